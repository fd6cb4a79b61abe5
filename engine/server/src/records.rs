//! The call-record log: one JSON object per finished call, appended and synced to disk before
//! the call's resources are released, so a crash never loses a finished record.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use voxgate_call::CallRecord;

/// Appends call records to a JSON-lines file.
pub struct RecordLog {
    file: File,
}

impl RecordLog {
    /// Open (creating the file and its folder) for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Self {
            file: OpenOptions::new().create(true).append(true).open(path)?,
        })
    }

    /// Append one record and sync it.
    pub fn append(&mut self, record: &CallRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}
