//! Arrow batch builders: records go straight into column builders, one set per dataset.
//!
//! A [`DatasetBatch`] holds one typed builder per column of a dataset's schema
//! (see [`crate::schema`]). Records are appended through a [`Row`] cursor that
//! fills columns in schema order; `finish` checks the columns against the schema
//! with `RecordBatch::try_new`, so a builder that skipped a column is an error,
//! not a silently shifted table.

mod common;
mod dns;
mod flow;
mod http;
mod tls;
mod weird;

pub use common::{Common, ProtoText};
pub use dns::append_dns;
pub use flow::{append_flow, FlowExtra};
pub use http::{append_file, append_http};
pub use tls::{append_tls, append_x509};
pub use weird::{append_weird, WeirdRow};

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::schema::{self, Col};

enum Column {
    Ts(TimestampMicrosecondBuilder),
    Str(StringBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    StrList(ListBuilder<StringBuilder>),
    I64List(ListBuilder<Int64Builder>),
}

impl Column {
    fn new(col: Col, rows: usize) -> Self {
        match col {
            Col::Ts => {
                Column::Ts(TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"))
            }
            Col::Str => Column::Str(StringBuilder::with_capacity(rows, rows * 16)),
            Col::I32 => Column::I32(Int32Builder::with_capacity(rows)),
            Col::I64 => Column::I64(Int64Builder::with_capacity(rows)),
            Col::F64 => Column::F64(Float64Builder::with_capacity(rows)),
            Col::Bool => Column::Bool(BooleanBuilder::with_capacity(rows)),
            Col::StrList => Column::StrList(ListBuilder::new(StringBuilder::new())),
            Col::I64List => Column::I64List(ListBuilder::new(Int64Builder::new())),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Ts(b) => Arc::new(b.finish()),
            Column::Str(b) => Arc::new(b.finish()),
            Column::I32(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
            Column::F64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::StrList(b) => Arc::new(b.finish()),
            Column::I64List(b) => Arc::new(b.finish()),
        }
    }
}

/// The column builders of one dataset, pre-sized for a batch of `max_rows`.
pub struct DatasetBatch {
    name: &'static str,
    schema: SchemaRef,
    columns: Vec<Column>,
    rows: usize,
    max_rows: usize,
}

impl DatasetBatch {
    /// Builders for `dataset` (a name from [`schema::DATASETS`]).
    ///
    /// # Panics
    /// On a dataset name that is not in the schema table: a programming error.
    pub fn new(dataset: &'static str, max_rows: usize) -> Self {
        let own = schema::DATASETS
            .iter()
            .find(|(n, _)| *n == dataset)
            .map(|(_, cols)| *cols)
            .unwrap_or_else(|| panic!("unknown dataset {dataset}"));
        let columns = schema::COMMON
            .iter()
            .chain(own)
            .map(|(_, c)| Column::new(*c, max_rows))
            .collect();
        DatasetBatch {
            name: dataset,
            schema: schema::schema(dataset).expect("dataset is in the table"),
            columns,
            rows: 0,
            max_rows,
        }
    }

    /// The dataset name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Rows appended since the last `finish`.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row is pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// True once the batch has reached its row limit and should be cut.
    pub fn is_full(&self) -> bool {
        self.rows >= self.max_rows
    }

    /// Start a row; fill every column in schema order through the cursor.
    pub fn row(&mut self) -> Row<'_> {
        self.rows += 1;
        Row {
            cols: &mut self.columns,
            at: 0,
        }
    }

    /// The pending rows as a record batch (builders are reset), or `None` when empty.
    ///
    /// # Errors
    /// When an append function filled the columns unevenly or with the wrong types.
    pub fn finish(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows == 0 {
            return Ok(None);
        }
        self.rows = 0;
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(self.schema.clone(), arrays).map(Some)
    }
}

/// A cursor over one row's columns, filled in schema order.
///
/// A call whose type does not match the column leaves the column short, which
/// `DatasetBatch::finish` reports as an error.
pub struct Row<'a> {
    cols: &'a mut [Column],
    at: usize,
}

impl Row<'_> {
    fn next(&mut self) -> Option<&mut Column> {
        let c = self.cols.get_mut(self.at);
        self.at += 1;
        c
    }

    /// A timestamp column (microseconds since the epoch, UTC).
    pub fn ts(&mut self, v: Option<i64>) -> &mut Self {
        if let Some(Column::Ts(b)) = self.next() {
            b.append_option(v);
        }
        self
    }

    /// A text column.
    pub fn str(&mut self, v: Option<&str>) -> &mut Self {
        if let Some(Column::Str(b)) = self.next() {
            b.append_option(v);
        }
        self
    }

    /// A text column formatted in place (no intermediate `String`).
    pub fn fmt(&mut self, v: Option<std::fmt::Arguments<'_>>) -> &mut Self {
        if let Some(Column::Str(b)) = self.next() {
            match v {
                Some(args) => {
                    let _ = b.write_fmt(args);
                    b.append_value("");
                }
                None => b.append_null(),
            }
        }
        self
    }

    /// A text column from any `Display` value, formatted in place.
    pub fn display<D: std::fmt::Display>(&mut self, v: Option<D>) -> &mut Self {
        if let Some(Column::Str(b)) = self.next() {
            match v {
                Some(d) => {
                    let _ = write!(b, "{d}");
                    b.append_value("");
                }
                None => b.append_null(),
            }
        }
        self
    }

    /// An Int32 column.
    pub fn i32(&mut self, v: Option<i32>) -> &mut Self {
        if let Some(Column::I32(b)) = self.next() {
            b.append_option(v);
        }
        self
    }

    /// An Int64 column.
    pub fn i64(&mut self, v: Option<i64>) -> &mut Self {
        if let Some(Column::I64(b)) = self.next() {
            b.append_option(v);
        }
        self
    }

    /// A Float64 column.
    pub fn f64(&mut self, v: Option<f64>) -> &mut Self {
        if let Some(Column::F64(b)) = self.next() {
            b.append_option(v);
        }
        self
    }

    /// A Boolean column.
    pub fn bool(&mut self, v: Option<bool>) -> &mut Self {
        if let Some(Column::Bool(b)) = self.next() {
            b.append_option(v);
        }
        self
    }

    /// A `List<Utf8>` column; `None` is null, `Some` of an empty iterator an empty list.
    pub fn str_list<'s, I: IntoIterator<Item = &'s str>>(&mut self, v: Option<I>) -> &mut Self {
        if let Some(Column::StrList(b)) = self.next() {
            match v {
                Some(items) => {
                    for s in items {
                        b.values().append_value(s);
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        self
    }

    /// A `List<Int64>` column.
    pub fn i64_list<I: IntoIterator<Item = i64>>(&mut self, v: Option<I>) -> &mut Self {
        if let Some(Column::I64List(b)) = self.next() {
            match v {
                Some(items) => {
                    for x in items {
                        b.values().append_value(x);
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_row_is_an_error_not_a_shifted_table() {
        let mut b = DatasetBatch::new("weird", 4);
        b.row().ts(Some(1)).str(Some("only uid"));
        assert!(b.finish().is_err());
    }
}
