//! Diagnostics: what is wrong with a config root, and where.
//!
//! Every stage that reads user files reports through [`Diagnostic`]. A
//! diagnostic is self-contained (it carries its file, line, column and the
//! source line), so it can be printed like a compiler error, serialized as
//! JSON for `flowgate check --format json`, or kept with a failed reload.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::Serialize;
use unicode_width::UnicodeWidthChar;

use crate::config::node::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One file of a config root, kept for pointing into it.
#[derive(Debug)]
pub struct SourceFile {
    /// The path relative to the root, with `/` separators.
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: String) -> Arc<SourceFile> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(SourceFile {
            path: path.into(),
            text,
            line_starts,
        })
    }

    /// The line, column and source line of a span's start; columns count characters.
    pub fn locate(&self, span: Span) -> Location {
        let start = (span.start as usize).min(self.text.len());
        let line_index = match self.line_starts.binary_search(&start) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index];
        let line_end = self
            .line_starts
            .get(line_index + 1)
            .map(|next| next - 1)
            .unwrap_or(self.text.len());
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        let column = char_count(&self.text, line_start, start) + 1;
        // A span may start at the CR of a CRLF, past the line's text.
        let end = (span.end as usize)
            .min(line_start + line_text.len())
            .max(start);
        let width = char_count(&self.text, start, end).max(1);
        let (source_line, caret_column, width) = shown_line(line_text, column, width);
        Location {
            file: self.path.clone(),
            line: line_index + 1,
            column,
            width,
            source_line,
            caret_column,
        }
    }

    pub fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message).at(self.locate(span))
    }

    pub fn warning(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, message).at(self.locate(span))
    }
}

/// Characters of a long source line shown with a diagnostic: the part
/// around its column, so a file of one long line (minified, or mangled)
/// costs each of its diagnostics a short copy.
const SHOWN_CHARS: usize = 160;

/// The source line as shown, the caret's column in it, and the caret's
/// width: the whole line, or `SHOWN_CHARS` of it around `column` with `…`
/// where it is cut.
fn shown_line(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let count = line.chars().count();
    if count <= SHOWN_CHARS {
        return (line.to_owned(), column, width);
    }
    let from = column
        .saturating_sub(1 + SHOWN_CHARS / 4)
        .min(count - SHOWN_CHARS);
    let mut shown = String::with_capacity(SHOWN_CHARS + 8);
    if from > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(from).take(SHOWN_CHARS));
    if from + SHOWN_CHARS < count {
        shown.push('…');
    }
    let caret = column - from + usize::from(from > 0);
    let room = (SHOWN_CHARS + 1).saturating_sub(column - from);
    (shown, caret, width.min(room).max(1))
}

fn char_count(text: &str, from: usize, to: usize) -> usize {
    text.get(from..to).map(|s| s.chars().count()).unwrap_or(0)
}

/// Where a diagnostic points: a place in a file, or a whole file or folder
/// (one that cannot be read), whose `line` and `column` are 0 and left out
/// of every rendering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    /// 1-based; 0 for a whole file.
    #[serde(skip_serializing_if = "is_zero")]
    pub line: usize,
    /// 1-based, in characters; 0 for a whole file.
    #[serde(skip_serializing_if = "is_zero")]
    pub column: usize,
    /// Characters underlined, at least one.
    #[serde(skip)]
    pub width: usize,
    /// The line as shown: all of it, or the part around the column of a
    /// long one.
    #[serde(skip)]
    pub source_line: String,
    /// Where the caret goes in `source_line` (the column, unless the line
    /// was cut before it).
    #[serde(skip)]
    pub caret_column: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Location {
    /// A whole file or folder of the root, by its path relative to the root.
    pub fn whole_file(path: impl Into<String>) -> Location {
        Location {
            file: path.into(),
            line: 0,
            column: 0,
            width: 0,
            source_line: String::new(),
            caret_column: 0,
        }
    }

    pub fn is_whole_file(&self) -> bool {
        self.line == 0
    }
}

impl fmt::Display for Location {
    /// `file:line:col`, or `file` for a whole file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_whole_file() {
            return write!(f, "{}", self.file);
        }
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Other places that take part, such as the first of two duplicate routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            message: message.into(),
            location: None,
            hint: None,
            notes: Vec::new(),
        }
    }

    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message)
    }

    /// An error about a whole file or folder of the root (`path` relative
    /// to it), such as one that cannot be read.
    pub fn file_error(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message).at(Location::whole_file(path))
    }

    pub fn at(mut self, location: Location) -> Diagnostic {
        self.location = Some(location);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Renders like a compiler: severity, message, `--> file:line:col`, the
    /// source line with a caret under the span, then notes and hint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{severity}: {}", self.message)?;
        if let Some(loc) = self.location.as_ref().filter(|loc| loc.is_whole_file()) {
            writeln!(f, " --> {loc}")?;
        }
        if let Some(loc) = self.location.as_ref().filter(|loc| !loc.is_whole_file()) {
            let gutter = loc.line.to_string().len();
            let pad = " ".repeat(gutter);
            writeln!(f, "{pad}--> {loc}")?;
            writeln!(f, "{pad} |")?;
            let shown = loc.source_line.replace('\t', " ");
            writeln!(f, "{} | {}", loc.line, shown)?;
            // Columns count characters; a terminal shows a wide one (CJK,
            // most emoji) in two cells, so the caret moves by cells.
            let cells = |c: char| c.width().unwrap_or(0);
            let before = loc.caret_column.saturating_sub(1);
            let indent: usize = shown.chars().take(before).map(cells).sum();
            let under: usize = shown.chars().skip(before).take(loc.width).map(cells).sum();
            let mut caret = " ".repeat(indent);
            caret.push_str(&"^".repeat(under.max(1)));
            writeln!(f, "{pad} | {caret}")?;
            for note in &self.notes {
                writeln!(f, "{pad} = note: {note}")?;
            }
            if let Some(hint) = &self.hint {
                writeln!(f, "{pad} = hint: {hint}")?;
            }
        } else {
            for note in &self.notes {
                writeln!(f, "  = note: {note}")?;
            }
            if let Some(hint) = &self.hint {
                writeln!(f, "  = hint: {hint}")?;
            }
        }
        Ok(())
    }
}

/// Every diagnostic of one load or compile, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Adds a diagnostic, unless the same one (severity, place and
    /// message) is there already: two checks that meet the same mistake
    /// report it once.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        let known = self.0.iter().any(|d| {
            d.severity == diagnostic.severity
                && d.message == diagnostic.message
                && d.location == diagnostic.location
        });
        if !known {
            self.0.push(diagnostic);
        }
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for diagnostic in other.0 {
            self.push(diagnostic);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Orders by file, then line and column, so output reads top to bottom.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                d.location
                    .as_ref()
                    .map(|l| (l.file.clone(), l.line, l.column))
            };
            key(a).cmp(&key(b))
        });
    }

    /// The human rendering of every diagnostic followed by a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for diagnostic in &self.0 {
            let _ = writeln!(out, "{diagnostic}");
        }
        out
    }

    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("1 {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        format!(
            "{}, {}",
            plural(self.error_count(), "error"),
            plural(self.warning_count(), "warning")
        )
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_diagnostic_is_reported_once() {
        let file = SourceFile::new("p.yaml", "a: 1\nb: 2\n".to_owned());
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(file.error(Span::new(0, 1), "bad"));
        diagnostics.push(file.error(Span::new(0, 1), "bad"));
        diagnostics.push(file.warning(Span::new(0, 1), "bad"));
        diagnostics.push(file.error(Span::new(5, 6), "bad"));
        diagnostics.push(file.error(Span::new(0, 1), "worse"));
        let mut again = Diagnostics::default();
        again.push(file.error(Span::new(5, 6), "bad"));
        diagnostics.extend(again);
        assert_eq!(diagnostics.iter().count(), 4);
    }

    #[test]
    fn locates_lines_and_character_columns() {
        let file = SourceFile::new("p.yaml", "a: 1\nnäme: ok\n".to_owned());
        let start = file.text.find("ok").unwrap();
        let loc = file.locate(Span::new(start, start + 2));
        assert_eq!((loc.line, loc.column, loc.width), (2, 7, 2));
        assert_eq!(loc.source_line, "näme: ok");
    }

    #[test]
    fn a_span_at_a_carriage_return_is_located() {
        let file = SourceFile::new("flowgate.toml", "a = \"x\r\nb = 1\r".to_owned());
        let loc = file.locate(Span::new(6, 8));
        assert_eq!((loc.line, loc.column, loc.width), (1, 7, 1));
        assert_eq!(loc.source_line, "a = \"x");
        let loc = file.locate(Span::new(13, 14));
        assert_eq!(
            (loc.line, loc.column, loc.source_line.as_str()),
            (2, 6, "b = 1")
        );
    }

    #[test]
    fn a_long_line_is_shown_around_the_column() {
        let line = format!("{}<bad>{}", "x".repeat(1000), "y".repeat(1000));
        let file = SourceFile::new("p.toml", line);
        let loc = file.locate(Span::new(1000, 1005));
        assert_eq!((loc.line, loc.column, loc.width), (1, 1001, 5));
        assert!(loc.source_line.chars().count() <= SHOWN_CHARS + 2);
        let caret_at: String = loc
            .source_line
            .chars()
            .skip(loc.caret_column - 1)
            .take(5)
            .collect();
        assert_eq!(caret_at, "<bad>");
        // At either end too.
        let loc = file.locate(Span::new(0, 1));
        assert_eq!(
            (loc.caret_column, loc.source_line.chars().next()),
            (1, Some('x'))
        );
        let loc = file.locate(Span::new(2005, 2005));
        assert!(loc.caret_column <= loc.source_line.chars().count() + 1);
    }

    proptest::proptest! {
        /// Any span of any text is located without a panic.
        #[test]
        fn every_span_is_located(text in "[a\r\n\u{e9}]{0,12}|[ab\n]{150,400}", start in 0usize..420, len in 0usize..16) {
            let file = SourceFile::new("f", text);
            let loc = file.locate(Span::new(start, start + len));
            proptest::prop_assert!(loc.line >= 1 && loc.column >= 1 && loc.width >= 1);
            let shown = loc.source_line.chars().count();
            proptest::prop_assert!(shown <= SHOWN_CHARS + 2);
            proptest::prop_assert!(loc.caret_column == loc.column || loc.caret_column <= shown + 1);
            // Rendering never panics either.
            let _ = Diagnostic::new(Severity::Error, "x").at(loc).to_string();
        }
    }

    #[test]
    fn renders_like_a_compiler() {
        let file = SourceFile::new(
            "processes/hello.yaml",
            "steps:\n  - mesage: hi\n".to_owned(),
        );
        let start = file.text.find("mesage").unwrap();
        let d = file
            .error(Span::new(start, start + 6), "unknown step `mesage`")
            .with_hint("did you mean `message`?");
        assert_eq!(
            d.to_string(),
            "error: unknown step `mesage`\n --> processes/hello.yaml:2:5\n  |\n2 |   - mesage: hi\n  |     ^^^^^^\n  = hint: did you mean `message`?\n"
        );
    }

    #[test]
    fn the_caret_counts_the_cells_wide_characters_take() {
        let file = SourceFile::new("p.yaml", "a: \"注文 🚚\" 数量: x\n".to_owned());
        let start = file.text.find("数量").unwrap();
        let d = file.error(Span::new(start, start + "数量".len()), "bad");
        // Columns still count characters; the caret goes under the cells.
        assert_eq!(d.location.as_ref().unwrap().column, 11);
        let rendered = d.to_string();
        let shown: Vec<&str> = rendered.lines().skip(3).take(2).collect();
        assert_eq!(
            shown,
            [
                "1 | a: \"注文 🚚\" 数量: x",
                &format!("  | {}^^^^", " ".repeat(13))
            ]
        );
    }

    #[test]
    fn a_whole_file_is_named_without_a_line() {
        let d = Diagnostic::file_error(
            "processes/sub",
            "the folder cannot be read: Permission denied (os error 13)",
        );
        assert_eq!(
            d.to_string(),
            "error: the folder cannot be read: Permission denied (os error 13)\n --> processes/sub\n"
        );
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({
                "severity": "error",
                "message": "the folder cannot be read: Permission denied (os error 13)",
                "file": "processes/sub"
            })
        );
    }

    #[test]
    fn spans_past_the_end_are_clamped() {
        let file = SourceFile::new("x", "abc".to_owned());
        let loc = file.locate(Span::new(10, 20));
        assert_eq!((loc.line, loc.column, loc.width), (1, 4, 1));
    }
}
