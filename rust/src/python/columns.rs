//! Broadcast-aware views of the 1-D input columns passed from Python.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use super::errors::invalid_request;

/// A column that is either one value per row or one value for all rows.
#[derive(Clone, Copy)]
pub(crate) struct Column<'a, T> {
    data: &'a [T],
    step: usize,
}

impl<T: Copy> Column<'_, T> {
    #[inline]
    pub(crate) fn at(&self, row: usize) -> T {
        self.data[row * self.step]
    }
}

/// Contiguous slice of a read-only numpy array, or a clear error naming the argument.
pub(crate) fn slice<'a, T: numpy::Element>(array: &'a PyReadonlyArray1<'_, T>, name: &str) -> PyResult<&'a [T]> {
    array.as_slice().map_err(|_| invalid_request(format!("{name} must be a contiguous 1-D array")))
}

/// Rows of the broadcast result: every column has length 1 or the same length n.
pub(crate) fn broadcast_rows(lengths: &[(&str, usize)]) -> PyResult<usize> {
    let rows = lengths.iter().map(|(_, n)| *n).filter(|&n| n != 1).max().unwrap_or(1);
    let rows = if lengths.iter().any(|(_, n)| *n == 0) { 0 } else { rows };
    for (name, n) in lengths {
        if *n != 1 && *n != rows {
            let shapes: Vec<String> = lengths.iter().map(|(a, n)| format!("{a}[{n}]")).collect();
            return Err(invalid_request(format!(
                "{name} has {n} elements and cannot broadcast with the others: {}",
                shapes.join(", ")
            )));
        }
    }
    Ok(rows)
}

/// View `data` as a column of `rows` rows; [`broadcast_rows`] has checked the length.
pub(crate) fn column<T>(data: &[T], rows: usize) -> Column<'_, T> {
    Column { data, step: usize::from(data.len() == rows && rows != 1) }
}

/// Read every argument into a slice and work out the broadcast row count in one go.
/// `read_columns!(rows; a, b, ...)` rebinds each numpy argument as a [`Column`] and `rows` as the row count.
macro_rules! read_columns {
    ($rows:ident; $($name:ident),+ $(,)?) => {
        $(let $name = $crate::python::columns::slice(&$name, stringify!($name))?;)+
        let $rows = $crate::python::columns::broadcast_rows(&[$((stringify!($name), $name.len())),+])?;
        $(let $name = $crate::python::columns::column($name, $rows);)+
    };
}
pub(crate) use read_columns;
