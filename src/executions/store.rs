//! The SQLite store of execution records: one table, one row per
//! execution; steps and documents are JSON columns. Two indexes, the id and
//! the start time: every list is newest first, and a filter by process or
//! status reads at most `max_records` rows, so each index more would cost
//! every write for little.
//!
//! The writer thread of [`super::Recorder`] is the only writer; readers
//! (`flowgate executions`, the admin API) open it read-only, which WAL mode
//! allows while the server writes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params_from_iter};
use serde::{Deserialize, Serialize};

use super::redact::Redactor;
use super::{ExecutionRecord, RecordedBody};
use crate::pipeline::trace::DocumentRecord;

/// The schema version this code writes and reads (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY NOT NULL,
    process TEXT NOT NULL,
    user TEXT,
    debug INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_us INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    status INTEGER NOT NULL,
    error TEXT,
    steps TEXT NOT NULL,
    input TEXT,
    output TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (started_us);
";

const INSERT: &str = "INSERT OR REPLACE INTO executions
    (id, process, user, debug, method, path, started_at, started_us, duration_us, status, error, steps, input, output)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

const SUMMARY_COLUMNS: &str =
    "id, started_at, process, user, status, duration_us, error, debug, method, path";

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The cause is in the message, and not also a `source` that a report
    // of the whole chain (`{:#}`) would print again, with SQLite's own
    // repeats of it.
    #[error("cannot create the folder of the execution store {path}: {cause}")]
    Folder {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("execution store {path}: {cause}")]
    Sqlite {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error(
        "execution store {path} was written by a newer flowgate (schema {found}, this one reads {SCHEMA_VERSION})"
    )]
    Newer { path: PathBuf, found: i64 },
}

/// What one pass of [`Store::prune`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pruned {
    pub removed: usize,
    /// A pass reached its limit: there may be more to delete.
    pub more: bool,
}

/// An open store.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the store for writing, creating its folder, the file and the
    /// table as needed.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|cause| StoreError::Folder {
                path: folder.to_path_buf(),
                cause,
            })?;
        }
        let sqlite = |cause| StoreError::Sqlite {
            path: path.to_path_buf(),
            cause,
        };
        let connection = Connection::open(path).map_err(sqlite)?;
        // WAL: readers see a consistent store while the writer writes, and a
        // write is one append; NORMAL: a power cut may lose the last
        // records, never the file.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(sqlite)?;
        let store = Store {
            connection,
            path: path.to_path_buf(),
        };
        let version = store.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: path.to_path_buf(),
                found: version,
            });
        }
        store.connection.execute_batch(SCHEMA).map_err(sqlite)?;
        store
            .connection
            .pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite)?;
        Ok(store)
    }

    /// Opens the store to read it, as the server writes on; `None` when
    /// there is no store yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        let sqlite = |cause| StoreError::Sqlite {
            path: path.to_path_buf(),
            cause,
        };
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(sqlite)?;
        let store = Store {
            connection,
            path: path.to_path_buf(),
        };
        match store.schema_version()? {
            0 => Ok(None),
            SCHEMA_VERSION => Ok(Some(store)),
            found => Err(StoreError::Newer {
                path: path.to_path_buf(),
                found,
            }),
        }
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        self.connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|cause| StoreError::Sqlite {
                path: self.path.clone(),
                cause,
            })
    }

    /// Writes records in one transaction, redacting their properties.
    pub fn insert(
        &mut self,
        records: impl IntoIterator<Item = ExecutionRecord>,
    ) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        {
            let mut statement = transaction.prepare_cached(INSERT)?;
            for mut record in records {
                let row = Row::of(&mut record);
                statement.execute(rusqlite::params![
                    &*record.id,
                    &*record.process,
                    record.user.as_deref(),
                    record.debug,
                    record.method,
                    record.path,
                    crate::logging::rfc3339(record.started_at),
                    micros_since_epoch(record.started_at),
                    i64::try_from(record.duration.as_micros()).unwrap_or(i64::MAX),
                    record.status,
                    record.error,
                    row.steps,
                    row.input,
                    row.output,
                ])?;
            }
        }
        transaction.commit()
    }

    /// Deletes records that started before `now - retention`, then the
    /// earliest written beyond `max_records`, at most `limit` of each, so
    /// that one pass is a short transaction whatever the backlog (a
    /// retention cut from days to an hour, say): the writer runs passes
    /// until one finds no more, writing new records between them. Rows
    /// are numbered in the order they were written, so the count needs no
    /// sort, only the rows that go.
    pub fn prune(
        &self,
        now: SystemTime,
        retention: Duration,
        max_records: u64,
        limit: usize,
    ) -> rusqlite::Result<Pruned> {
        let oldest = now.checked_sub(retention).unwrap_or(UNIX_EPOCH);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let by_age = self.connection.execute(
            "DELETE FROM executions WHERE rowid IN
                (SELECT rowid FROM executions WHERE started_us < ?1 LIMIT ?2)",
            rusqlite::params![micros_since_epoch(oldest), limit],
        )?;
        let by_count = self.connection.execute(
            "DELETE FROM executions WHERE rowid IN
                (SELECT rowid FROM executions
                 WHERE rowid <= (SELECT max(rowid) FROM executions) - ?1
                 ORDER BY rowid LIMIT ?2)",
            rusqlite::params![i64::try_from(max_records).unwrap_or(i64::MAX), limit],
        )?;
        let full = |deleted: usize| i64::try_from(deleted).unwrap_or(i64::MAX) >= limit;
        Ok(Pruned {
            removed: by_age + by_count,
            more: full(by_age) || full(by_count),
        })
    }

    /// The executions that `filter` selects, newest first.
    pub fn list(&self, filter: &Filter) -> rusqlite::Result<Vec<Summary>> {
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM executions WHERE 1 = 1");
        let mut values: Vec<SqlValue> = Vec::new();
        if let Some(process) = &filter.process {
            sql.push_str(" AND process = ?");
            values.push(SqlValue::Text(process.clone()));
        }
        match filter.status {
            Some(StatusFilter::Ok) => sql.push_str(" AND status < 400 AND error IS NULL"),
            Some(StatusFilter::Failed) => sql.push_str(" AND (status >= 400 OR error IS NOT NULL)"),
            Some(StatusFilter::Code(code)) => {
                sql.push_str(" AND status = ?");
                values.push(SqlValue::Integer(i64::from(code)));
            }
            None => {}
        }
        if let Some(since) = filter.since {
            sql.push_str(" AND started_us >= ?");
            values.push(SqlValue::Integer(micros_since_epoch(since)));
        }
        // The index gives this order, so only `limit` rows are read.
        sql.push_str(" ORDER BY started_us DESC LIMIT ?");
        values.push(SqlValue::Integer(
            i64::try_from(filter.limit).unwrap_or(i64::MAX),
        ));
        let mut statement = self.connection.prepare(&sql)?;
        let rows = statement.query_map(params_from_iter(values), Summary::from_row)?;
        rows.collect()
    }

    /// One execution with its steps and documents.
    pub fn get(&self, id: &str) -> rusqlite::Result<Option<Execution>> {
        let sql =
            format!("SELECT {SUMMARY_COLUMNS}, steps, input, output FROM executions WHERE id = ?1");
        // Ids are UUIDs, written in lower case; one may be given in either.
        let id = id.trim().to_ascii_lowercase();
        self.connection
            .query_row(&sql, [id], |row| {
                let summary = Summary::from_row(row)?;
                let steps: String = row.get(10)?;
                let input: Option<String> = row.get(11)?;
                let output: Option<String> = row.get(12)?;
                Ok(Execution {
                    summary,
                    steps: serde_json::from_str(&steps).unwrap_or_default(),
                    input: input.and_then(|text| serde_json::from_str(&text).ok()),
                    output: output.and_then(|text| serde_json::from_str(&text).ok()),
                })
            })
            .optional()
    }
}

fn micros_since_epoch(at: SystemTime) -> i64 {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

/// The JSON columns of a record, redacted.
struct Row {
    steps: String,
    input: Option<String>,
    output: Option<String>,
}

impl Row {
    /// The columns of `record`, whose step documents are redacted in place.
    fn of(record: &mut ExecutionRecord) -> Row {
        let settings = record.settings.clone();
        let redactor = Redactor::new(&settings.redact);
        for step in &mut record.steps {
            for document in &mut step.output {
                redactor.document(document);
            }
        }
        let steps = &record.steps;
        let document = |body: &Option<RecordedBody>| {
            body.as_ref().map(|body| {
                let mut document = DocumentRecord {
                    media_type: body.media_type.clone(),
                    body: text_of(&body.body),
                    bytes: body.bytes,
                    cut: body.body.len() < body.bytes,
                    props: serde_json::Value::Null,
                };
                redactor.document(&mut document);
                serde_json::to_string(&document).unwrap_or_default()
            })
        };
        Row {
            steps: serde_json::to_string(steps).unwrap_or_else(|_| "[]".to_owned()),
            input: document(&record.input),
            output: document(&record.output),
        }
    }
}

/// A body as text: cut bodies may end inside a character, which is left
/// out; bytes that are not UTF-8 become U+FFFD.
fn text_of(body: &[u8]) -> String {
    match std::str::from_utf8(body) {
        Ok(text) => text.to_owned(),
        Err(err) if err.error_len().is_none() => {
            String::from_utf8_lossy(&body[..err.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// The most executions one listing holds: `flowgate executions --limit`
/// and `GET /executions?limit=` take 1 to this.
pub const MAX_LIMIT: usize = 1000;

/// Which executions to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub process: Option<String>,
    pub status: Option<StatusFilter>,
    /// Only executions that started at or after this time.
    pub since: Option<SystemTime>,
    /// At most this many, the newest.
    pub limit: usize,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            process: None,
            status: None,
            since: None,
            limit: 100,
        }
    }
}

/// `--status` and `?status=`: `ok` (answered below 400, no error),
/// `failed` (400 or more, or an error after a 202), or one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Ok,
    Failed,
    Code(u16),
}

impl std::str::FromStr for StatusFilter {
    type Err = String;

    fn from_str(text: &str) -> Result<StatusFilter, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ok" => Ok(StatusFilter::Ok),
            "failed" => Ok(StatusFilter::Failed),
            code => code
                .parse::<u16>()
                .ok()
                .filter(|code| (100..=599).contains(code))
                .map(StatusFilter::Code)
                .ok_or_else(|| {
                    format!(
                        "`{text}` is not a status: use `ok`, `failed` or an HTTP status like 422"
                    )
                }),
        }
    }
}

/// `--since` and `?since=`: a duration back from `now` (`30m`, `2h`, `7d`)
/// or an RFC 3339 time.
pub fn parse_since(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    if let Ok(ago) = text.parse::<crate::units::HumanDuration>() {
        return Ok(now.checked_sub(ago.0).unwrap_or(UNIX_EPOCH));
    }
    crate::logging::parse_rfc3339(text).ok_or_else(|| {
        format!(
            "`{text}` is not a time: use a duration back from now like `1h`, or an RFC 3339 time like `2026-11-28T14:00:00Z`"
        )
    })
}

/// One execution in a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub id: String,
    pub started_at: String,
    pub process: String,
    pub user: Option<String>,
    pub status: u16,
    pub duration_us: u64,
    pub error: Option<String>,
    /// Recorded because of `X-Flowgate-Debug` (a low-latency process).
    pub debug: bool,
    pub method: String,
    pub path: String,
}

impl Summary {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Summary> {
        Ok(Summary {
            id: row.get(0)?,
            started_at: row.get(1)?,
            process: row.get(2)?,
            user: row.get(3)?,
            status: row.get(4)?,
            duration_us: row.get::<_, i64>(5)?.try_into().unwrap_or(0),
            error: row.get(6)?,
            debug: row.get(7)?,
            method: row.get(8)?,
            path: row.get(9)?,
        })
    }

    /// `failed` from 400, or with an error (an output-`none` process that
    /// failed after its 202); else `ok`.
    pub fn outcome(&self) -> &'static str {
        if self.status < 400 && self.error.is_none() {
            "ok"
        } else {
            "failed"
        }
    }
}

/// One execution in full, as it is read back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Execution {
    #[serde(flatten)]
    pub summary: Summary,
    pub input: Option<StoredDocument>,
    pub output: Option<StoredDocument>,
    pub steps: Vec<StoredStep>,
}

/// A step as the store keeps it (the shape of [`crate::pipeline::trace::StepRecord`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredStep {
    pub process: String,
    pub path: String,
    pub line: usize,
    pub kind: String,
    pub started_us: u64,
    pub duration_us: u64,
    pub documents_in: usize,
    pub outcome: StoredOutcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<StoredDocument>,
}

/// The shape of [`crate::pipeline::trace::Outcome`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StoredOutcome {
    Running,
    Ok { documents_out: usize },
    Failed { error: String, http_status: u16 },
}

/// A document as the store keeps it (the shape of [`DocumentRecord`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredDocument {
    pub media_type: String,
    pub body: String,
    /// The whole body's size.
    pub bytes: usize,
    /// Whether `body` was cut at `max_document_bytes`; `None` in records
    /// written before the store kept it, where the sizes have to tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<bool>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub props: serde_json::Value,
}

impl StoredDocument {
    /// Whether the body was cut at the size limit (not only redacted or
    /// written again, which may change its length too).
    pub fn is_cut(&self) -> bool {
        self.cut.unwrap_or(self.bytes > self.body.len())
    }
}
