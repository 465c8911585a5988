//! Reading 1-D numpy arguments as broadcast columns.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use super::errors::invalid_request;

/// Contiguous slice of a read-only numpy array, or a clear error naming the argument.
pub(crate) fn slice<'a, T: numpy::Element>(array: &'a PyReadonlyArray1<'_, T>, name: &str) -> PyResult<&'a [T]> {
    array.as_slice().map_err(|_| invalid_request(format!("{name} must be a contiguous 1-D array")))
}

/// Row count of the broadcast, or ValueError naming the column that does not fit.
pub(crate) fn broadcast_rows(lengths: &[(&str, usize)]) -> PyResult<usize> {
    crate::columns::broadcast_rows(lengths).map_err(invalid_request)
}

/// `read_columns!(rows; a, b, ...)` rebinds each numpy argument as a `Column` and `rows` as the row count.
macro_rules! read_columns {
    ($rows:ident; $($name:ident),+ $(,)?) => {
        $(let $name = $crate::python::columns::slice(&$name, stringify!($name))?;)+
        let $rows = $crate::python::columns::broadcast_rows(&[$((stringify!($name), $name.len())),+])?;
        $(let $name = $crate::columns::Column::new($name, $rows);)+
    };
}
pub(crate) use read_columns;
