//! An append-only file whose writes never give up the caller's thread.
//!
//! The execution journal is written on the engine's hot path, between a signal
//! and its order. Python's `os.write` releases the GIL around the system call,
//! and a background thread that is waiting for the GIL (the broker SDK's
//! sender, the DuckDB writer) then takes it and can hold it for its whole
//! switch interval (5 ms) while the decision waits. A page-cache write takes a
//! few microseconds, so the Python binding of [`AppendFile`] writes while still
//! holding the GIL: the hot path keeps the interpreter.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A file opened with `O_APPEND | O_CREAT` (mode 0600 when created) that takes whole records.
#[derive(Debug)]
pub struct AppendFile {
    path: PathBuf,
    file: Option<File>,
}

impl AppendFile {
    /// Opens (creating with mode 0600) `path` for appending.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create(true).mode(0o600).open(&path)?;
        Ok(Self { path, file: Some(file) })
    }

    /// The path it was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True once [`AppendFile::close`] ran.
    pub fn is_closed(&self) -> bool {
        self.file.is_none()
    }

    fn file(&mut self) -> io::Result<&mut File> {
        let path = &self.path;
        self.file.as_mut().ok_or_else(|| io::Error::other(format!("{} is closed", path.display())))
    }

    /// Writes all of `record` at the end of the file (`O_APPEND`: each write lands at the end
    /// even with other writers; a short write is continued, `EINTR` retried by `write_all`).
    pub fn append(&mut self, record: &[u8]) -> io::Result<()> {
        self.file()?.write_all(record)
    }

    /// `fsync`: the records written so far are on disk when it returns.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file()?.sync_all()
    }

    /// Closes the file; later appends fail. Idempotent.
    pub fn close(&mut self) {
        self.file = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("alphastock-append-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn appends_whole_records_in_order_and_keeps_what_was_there() {
        let path = temp_path("order");
        std::fs::write(&path, b"earlier\n").unwrap();
        let mut file = AppendFile::open(&path).unwrap();
        file.append(b"one\n").unwrap();
        file.append(b"two\n").unwrap();
        file.sync().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"earlier\none\ntwo\n");
    }

    #[test]
    fn a_new_file_is_private_to_its_owner() {
        let path = temp_path("mode");
        let _file = AppendFile::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_closed_file_refuses_appends_with_an_error_naming_it() {
        let path = temp_path("closed");
        let mut file = AppendFile::open(&path).unwrap();
        file.close();
        file.close();
        assert!(file.is_closed());
        let error = file.append(b"late\n").unwrap_err();
        assert!(error.to_string().contains("journal.jsonl is closed"), "{error}");
        assert!(file.sync().is_err());
    }

    #[test]
    fn an_unopenable_path_is_an_error_not_a_panic() {
        let error = AppendFile::open("/nonexistent-dir-alphastock/x.jsonl").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}
