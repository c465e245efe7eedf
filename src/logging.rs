//! Log setup: structured lines on stderr, written off the request path.
//!
//! Lines go to a background writer thread (tracing-appender) that writes
//! them in batches. The text format is flowgate's own: one line a request is
//! the default at info level, so formatting it is on the hot path, and the
//! general-purpose formatter costs several times more than this one.
//!
//! ```text
//! 2026-11-28T13:18:44.326549Z INFO Request process=hello status=200 duration_us=391 execution_id=01a2…
//! ```

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber, at `default_level` unless `RUST_LOG`
/// says otherwise; keep the guard alive until exit, it flushes the last
/// lines.
pub fn init(format: LogFormat, default_level: &str) -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::EnvFilter;
    // The writer thread drains lines in batches and flushes after each batch:
    // buffering makes that one write per batch instead of one per line.
    let stderr = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking(stderr);
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.event_format(TextFormat).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    guard
}

/// `TIME LEVEL message key=value …`, without ANSI colours or span context.
pub struct TextFormat;

impl<S, N> FormatEvent<S, N> for TextFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        FIELDS.with(|fields| {
            let mut fields = fields.borrow_mut();
            fields.message.clear();
            fields.rest.clear();
            event.record(&mut *fields);
            write_timestamp(&mut writer, SystemTime::now())?;
            writeln!(
                writer,
                " {} {}{}",
                event.metadata().level(),
                fields.message,
                fields.rest
            )
        })
    }
}

thread_local! {
    /// Reused per thread so formatting a line allocates nothing once warm.
    static FIELDS: RefCell<Fields> = RefCell::new(Fields::default());
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Fields {
    fn key(&mut self, field: &Field) {
        self.rest.push(' ');
        self.rest.push_str(field.name());
        self.rest.push('=');
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
            return;
        }
        self.key(field);
        write_value(&mut self.rest, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.rest, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.rest, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.rest.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
            return;
        }
        self.key(field);
        // `%value` fields arrive here; their Debug is their Display.
        let start = self.rest.len();
        let _ = write!(self.rest, "{value:?}");
        let written = &self.rest[start..];
        if needs_quotes(written) && !written.starts_with('"') {
            let text = self.rest.split_off(start);
            write_value(&mut self.rest, &text);
        }
    }
}

fn needs_quotes(value: &str) -> bool {
    value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '"' || c == '=')
}

/// A value as is when it is one word, else quoted with escapes.
fn write_value(out: &mut String, value: &str) {
    if needs_quotes(value) {
        let _ = write!(out, "{value:?}");
    } else {
        out.push_str(value);
    }
}

/// A time as RFC 3339 in UTC with microseconds.
/// Logs each diagnostic as one event, for `--log-format json`, where the
/// compiler-style text would break the stream of JSON lines: the message,
/// `at` (`file:line:col`, or the file alone), and the hint, at error or
/// warn level by its severity.
pub fn diagnostics(diagnostics: &crate::diag::Diagnostics) {
    for diagnostic in diagnostics.iter() {
        let at = diagnostic.location.as_ref().map(tracing::field::display);
        let hint = diagnostic.hint.as_deref();
        if diagnostic.is_error() {
            tracing::error!(at, hint, "{}", diagnostic.message);
        } else {
            tracing::warn!(at, hint, "{}", diagnostic.message);
        }
    }
}

pub fn rfc3339(time: SystemTime) -> String {
    let mut out = String::with_capacity(27);
    let _ = write_timestamp(&mut out, time);
    out
}

/// RFC 3339 in UTC with microseconds: `2026-11-28T13:18:44.326549Z`.
fn write_timestamp(out: &mut impl fmt::Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Reads an RFC 3339 time: `2026-11-28T13:18:44Z`, with an optional
/// fraction of a second and a `Z` or `±HH:MM` offset. `None` when it is not
/// one, or is before 1970.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (i, digit) in fraction.bytes().take(digits.min(9)).enumerate() {
            nanos += u32::from(digit - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let (hours, minutes) = (
                rest[1..3].parse::<i64>().ok()?,
                rest[4..6].parse::<i64>().ok()?,
            );
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + std::time::Duration::new(secs, nanos))
}

/// A (year, month, day) date to days since 1970-01-01 (the inverse of
/// [`civil_from_days`]).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Log lines written in the text format, kept for a test to read.
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl Sink {
    /// A sink and a subscriber that writes every level to it as text.
    pub(crate) fn text_subscriber() -> (Sink, impl tracing::Subscriber + Send + Sync) {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(TextFormat)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (sink, subscriber)
    }

    pub(crate) fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        let mut out = String::new();
        write_timestamp(&mut out, UNIX_EPOCH).unwrap();
        assert_eq!(out, "1970-01-01T00:00:00.000000Z");
        out.clear();
        // 2026-11-28T13:18:44.326549Z
        let at = UNIX_EPOCH + Duration::from_micros(1_795_871_924_326_549);
        write_timestamp(&mut out, at).unwrap();
        assert_eq!(out, "2026-11-28T13:18:44.326549Z");
        out.clear();
        // A leap day.
        write_timestamp(&mut out, UNIX_EPOCH + Duration::from_secs(951_782_400)).unwrap();
        assert_eq!(out, "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn rfc3339_times_are_read_back() {
        for at in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_micros(1_795_871_924_326_549),
            UNIX_EPOCH + Duration::from_secs(951_782_400),
        ] {
            assert_eq!(parse_rfc3339(&rfc3339(at)), Some(at));
        }
        assert_eq!(
            parse_rfc3339("2026-11-28T14:18:44+01:00"),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_871_924))
        );
        assert_eq!(
            parse_rfc3339("2026-11-28 13:18:44.5z"),
            Some(UNIX_EPOCH + Duration::from_millis(1_795_871_924_500))
        );
        for bad in [
            "",
            "yesterday",
            "2026-11-28",
            "2026-13-01T00:00:00Z",
            "2026-11-28T13:18:44",
            "2026-11-28T13:18:44+0100",
            "1969-12-31T23:59:59Z",
            "2026-11-28T13:18:44.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn values_are_quoted_only_when_needed() {
        let mut out = String::new();
        write_value(&mut out, "hello");
        out.push(' ');
        write_value(&mut out, "two words");
        out.push(' ');
        write_value(&mut out, "");
        assert_eq!(out, r#"hello "two words" """#);
    }

    #[test]
    fn a_field_without_a_value_is_left_out() {
        let (sink, subscriber) = Sink::text_subscriber();
        tracing::subscriber::with_default(subscriber, || {
            let user: Option<&str> = None;
            let address: Option<std::net::SocketAddr> = Some("127.0.0.1:19140".parse().unwrap());
            let admin: Option<std::net::SocketAddr> = None;
            tracing::info!(
                user,
                address = address.map(tracing::field::display),
                admin = admin.map(tracing::field::display),
                status = 200u64,
                "Request"
            );
        });
        let text = sink.text();
        let (_, rest) = text.lines().next().unwrap().split_once(' ').unwrap();
        assert_eq!(rest, "INFO Request address=127.0.0.1:19140 status=200");
    }

    #[test]
    fn lines_have_time_level_message_and_fields() {
        let (sink, subscriber) = Sink::text_subscriber();
        tracing::subscriber::with_default(subscriber, || {
            let name: std::sync::Arc<str> = std::sync::Arc::from("hello");
            tracing::info!(process = %name, status = 200u64, note = "two words", "Request");
        });
        let text = sink.text();
        let line = text.lines().next().unwrap();
        let (time, rest) = line.split_once(' ').unwrap();
        assert!(time.ends_with('Z') && time.len() == 27, "{time}");
        assert_eq!(
            rest,
            r#"INFO Request process=hello status=200 note="two words""#
        );
    }
}
