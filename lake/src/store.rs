//! Where a lake lives: a local directory or an S3 bucket, behind one `ObjectStore`.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;
use url::Url;

use crate::error::{Result, StreamError};

/// A parsed lake location: `s3://bucket[/prefix]`, `file:///dir` or a plain path.
///
/// S3 settings come from the usual environment variables that `object_store` reads
/// (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_ALLOW_HTTP`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`), so the same command works
/// against AWS, Garage or MinIO. A custom endpoint implies path-style requests
/// unless `AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeLocation {
    /// A local directory (created on first write).
    Local(PathBuf),
    /// An S3 bucket and a key prefix (may be empty; no leading or trailing `/`).
    S3 {
        /// The bucket name.
        bucket: String,
        /// The key prefix under which the datasets live.
        prefix: String,
    },
}

impl LakeLocation {
    /// Parses `s3://bucket[/prefix]`, `file:///dir` or a plain path.
    ///
    /// # Errors
    /// [`StreamError::InvalidLocation`] for another scheme or an empty bucket.
    pub fn parse(location: &str) -> Result<Self> {
        let invalid = |reason: &str| StreamError::InvalidLocation {
            location: location.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("no bucket name").into());
            }
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if let Some(rest) = location.strip_prefix("file://") {
            if rest.is_empty() {
                return Err(invalid("no directory").into());
            }
            return Ok(Self::Local(PathBuf::from(rest)));
        }
        if location.contains("://") {
            return Err(invalid("use s3://bucket/prefix, file:///dir or a path").into());
        }
        Ok(Self::Local(PathBuf::from(location)))
    }

    /// Opens the object store for this location and the key prefix of the lake root.
    ///
    /// A local directory is created if missing; its store writes each object to a
    /// staging name and renames it, so readers never see partial objects. S3 uploads
    /// are single PUTs, visible only once complete.
    ///
    /// # Errors
    /// [`StreamError::Store`] when the store cannot be configured or the directory
    /// cannot be created.
    pub fn open(&self) -> Result<(Arc<dyn ObjectStore>, ObjectPath)> {
        match self {
            Self::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| crate::LakeError::io(dir, e))?;
                let abs = std::path::absolute(dir).map_err(|e| crate::LakeError::io(dir, e))?;
                let store = LocalFileSystem::new_with_prefix(&abs).map_err(|source| {
                    StreamError::Store {
                        what: "open",
                        key: abs.display().to_string(),
                        source,
                    }
                })?;
                Ok((Arc::new(store), ObjectPath::default()))
            }
            Self::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                // Garage and MinIO want path-style requests; from_env already reads
                // AWS_VIRTUAL_HOSTED_STYLE_REQUEST, default false.
                if std::env::var_os("AWS_REGION").is_none()
                    && std::env::var_os("AWS_DEFAULT_REGION").is_none()
                {
                    builder = builder.with_region("us-east-1");
                }
                let store = builder.build().map_err(|source| StreamError::Store {
                    what: "configure",
                    key: format!("s3://{bucket}"),
                    source,
                })?;
                Ok((Arc::new(store), ObjectPath::from(prefix.as_str())))
            }
        }
    }

    /// The URL DataFusion uses to find this location's object store
    /// (`s3://bucket`), or `None` for a local directory.
    pub fn store_url(&self) -> Option<Url> {
        match self {
            Self::Local(_) => None,
            Self::S3 { bucket, .. } => Url::parse(&format!("s3://{bucket}")).ok(),
        }
    }

    /// The directory URL of one dataset table, with a trailing `/`.
    pub fn table_url(&self, dataset: &str) -> String {
        match self {
            Self::Local(dir) => {
                let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
                format!(
                    "{}/{dataset}/",
                    abs.display().to_string().trim_end_matches('/')
                )
            }
            Self::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}/{dataset}/"),
            Self::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}/{dataset}/"),
        }
    }
}

impl std::fmt::Display for LakeLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(dir) => write!(f, "{}", dir.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Joins a key prefix and a relative key with `/`.
pub(crate) fn child(prefix: &ObjectPath, rel: &str) -> ObjectPath {
    if prefix.as_ref().is_empty() {
        ObjectPath::from(rel)
    } else {
        ObjectPath::from(format!("{}/{rel}", prefix.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            LakeLocation::parse("s3://b/p/q/").unwrap(),
            LakeLocation::S3 {
                bucket: "b".into(),
                prefix: "p/q".into()
            }
        );
        assert_eq!(
            LakeLocation::parse("s3://b").unwrap().table_url("dns"),
            "s3://b/dns/"
        );
        assert_eq!(
            LakeLocation::parse("file:///x/y").unwrap(),
            LakeLocation::Local("/x/y".into())
        );
        assert_eq!(
            LakeLocation::parse("lake").unwrap(),
            LakeLocation::Local("lake".into())
        );
        assert!(LakeLocation::parse("gs://b").is_err());
        assert!(LakeLocation::parse("s3://").is_err());
    }
}
