//! Python wrapper for `crate::append::AppendFile` (the execution journal's file).

use std::io;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use crate::append::AppendFile;

/// `OSError(errno, message, path)` for an I/O failure; ValueError for a closed file.
fn os_error(file: &AppendFile, error: io::Error) -> PyErr {
    let path = file.path().display().to_string();
    match error.raw_os_error() {
        Some(errno) => PyOSError::new_err((errno, error.to_string(), path)),
        None if file.is_closed() => PyValueError::new_err(format!("{path} is closed")),
        None => PyOSError::new_err(format!("{path}: {error}")),
    }
}

/// An append-only file (see `alphastock.persistence.journal`); `append` keeps the GIL on purpose.
#[pyclass(name = "AppendFile", module = "alphastock._core")]
pub(crate) struct PyAppendFile(AppendFile);

#[pymethods]
impl PyAppendFile {
    #[new]
    fn new(path: std::path::PathBuf) -> PyResult<Self> {
        AppendFile::open(&path).map(Self).map_err(|e| {
            let errno = e.raw_os_error().unwrap_or(0);
            PyOSError::new_err((errno, e.to_string(), path.display().to_string()))
        })
    }

    /// Append `record` whole. The GIL is held on purpose: the write takes microseconds, and
    /// releasing the GIL would let a waiting thread take the interpreter for up to 5 ms.
    fn append(&mut self, record: &[u8]) -> PyResult<()> {
        self.0.append(record).map_err(|e| os_error(&self.0, e))
    }

    /// `fsync` with the GIL released (it waits for the disk).
    fn sync(&mut self, py: Python<'_>) -> PyResult<()> {
        let PyAppendFile(file) = self;
        let result = py.detach(|| file.sync());
        result.map_err(|e| os_error(&self.0, e))
    }

    /// Close; later appends raise ValueError. Idempotent.
    fn close(&mut self) {
        self.0.close();
    }

    #[getter]
    fn closed(&self) -> bool {
        self.0.is_closed()
    }

    #[getter]
    fn path(&self) -> String {
        self.0.path().display().to_string()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAppendFile>()
}
