//! The in-flight marker: which objects a partition's uncommitted segment may have
//! written, so that a restart can remove them before writing that segment again.
//!
//! Why: a segment re-consumed after a crash may end at another offset (it is cut by
//! size, rows and age) and so span other hours than the first attempt. Rewriting the
//! same keys is not enough then; the first attempt's objects for hours the second one
//! does not touch would duplicate rows. Before a segment is written its keys go into
//! `<root>/_lakewriter/<topic>/<partition>.json`; after a restart, a marker whose
//! first offset is at or after the offset consumption resumes from describes an
//! uncommitted segment, and its objects are deleted.

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::{json, Value};

use crate::error::{Result, StreamError};
use crate::store::child;

/// The marker of one partition's last segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    pub first_offset: i64,
    pub last_offset: i64,
    pub keys: Vec<String>,
}

/// Where the marker of (topic, partition) lives.
pub(crate) fn marker_key(root: &ObjectPath, topic: &str, partition: i32) -> ObjectPath {
    child(root, &format!("_lakewriter/{topic}/{partition}.json"))
}

fn store_err(
    what: &'static str,
    key: &ObjectPath,
) -> impl FnOnce(object_store::Error) -> StreamError {
    let key = key.to_string();
    move |source| StreamError::Store { what, key, source }
}

/// Writes the marker (a single PUT: it is either all there or not at all).
pub(crate) async fn write(store: &dyn ObjectStore, key: &ObjectPath, m: &Marker) -> Result<()> {
    let body = json!({
        "first_offset": m.first_offset,
        "last_offset": m.last_offset,
        "keys": m.keys,
    })
    .to_string();
    store
        .put(key, PutPayload::from(Bytes::from(body)))
        .await
        .map_err(store_err("put", key))?;
    Ok(())
}

/// Reads the marker, `None` if there is none (or it is unreadable: then there is
/// nothing safe to delete, and a fresh marker replaces it).
pub(crate) async fn read(store: &dyn ObjectStore, key: &ObjectPath) -> Result<Option<Marker>> {
    let got = match store.get(key).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_err("get", key)(e).into()),
    };
    let bytes = got.bytes().await.map_err(store_err("get", key))?;
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(None);
    };
    let (Some(first), Some(last), Some(keys)) = (
        v["first_offset"].as_i64(),
        v["last_offset"].as_i64(),
        v["keys"].as_array(),
    ) else {
        return Ok(None);
    };
    Ok(Some(Marker {
        first_offset: first,
        last_offset: last,
        keys: keys
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect(),
    }))
}

/// Deletes `keys`, ignoring those already gone; returns how many were deleted.
pub(crate) async fn delete_all(store: &dyn ObjectStore, keys: &[String]) -> Result<usize> {
    let mut deleted = 0;
    for k in keys {
        let key = ObjectPath::from(k.as_str());
        match store.delete(&key).await {
            Ok(()) => deleted += 1,
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(store_err("delete", &key)(e).into()),
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    #[test]
    fn marker_round_trips_and_deletes_listed_objects() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = InMemory::new();
            let root = ObjectPath::from("lake");
            let key = marker_key(&root, "netlake.dns", 1);
            assert_eq!(key.as_ref(), "lake/_lakewriter/netlake.dns/1.json");
            assert_eq!(read(&store, &key).await.unwrap(), None);
            let obj = ObjectPath::from("lake/dns/x.parquet");
            store
                .put(&obj, PutPayload::from_static(b"x"))
                .await
                .unwrap();
            let m = Marker {
                first_offset: 7,
                last_offset: 9,
                keys: vec![obj.to_string(), "lake/dns/missing.parquet".into()],
            };
            write(&store, &key, &m).await.unwrap();
            assert_eq!(read(&store, &key).await.unwrap(), Some(m.clone()));
            assert!(delete_all(&store, &m.keys).await.unwrap() >= 1);
            assert!(store.get(&obj).await.is_err());
        });
    }
}
