//! TOML files into [`Node`] trees, through the `toml` crate's spanned parser.
//!
//! This is the only module that knows which TOML parser flowgate uses. TOML
//! datetimes have no counterpart in flowgate's files and are read as strings.

use toml::Spanned as TomlSpanned;
use toml::de::{DeTable, DeValue};

use super::FormatError;
use super::node::{Key, Node, NodeKind, Span};

/// Syntax errors of one file reported one by one; the rest are counted.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Parses a TOML document. A file with several syntax errors reports each,
/// up to [`MAX_SYNTAX_ERRORS`].
pub fn parse(text: &str) -> Result<Node, Vec<FormatError>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        let more = errors.len().saturating_sub(MAX_SYNTAX_ERRORS);
        let mut reported: Vec<FormatError> = errors
            .into_iter()
            .take(MAX_SYNTAX_ERRORS + usize::from(more > 0))
            .map(|err| FormatError {
                message: format!("TOML syntax error: {}", err.message().trim_end()),
                span: err.span().map(|r| Span::new(r.start, r.end)),
            })
            .collect();
        // A file garbled throughout would bury its first mistake, which
        // often causes the rest, under thousands.
        if let Some(next) = reported.get_mut(MAX_SYNTAX_ERRORS) {
            next.message = format!(
                "{more} more TOML syntax errors from here on are not shown; fix the ones above first"
            );
        }
        return Err(reported);
    }
    let span = table.span();
    let mut errors = Vec::new();
    let node = Node::new(
        Span::new(span.start, span.end),
        table_kind(table.into_inner(), &mut errors),
    );
    non_finite(&node, &mut errors);
    if errors.is_empty() {
        Ok(node)
    } else {
        Err(errors)
    }
}

/// What YAML's reader refuses, TOML's is held to: `inf` and `nan` have no
/// JSON form, and a file means the same in either format.
fn non_finite(node: &Node, errors: &mut Vec<FormatError>) {
    match &node.kind {
        NodeKind::Float(f) if !f.is_finite() => errors.push(FormatError {
            message: NON_FINITE.to_owned(),
            span: Some(node.span),
        }),
        NodeKind::Seq(items) => items.iter().for_each(|item| non_finite(item, errors)),
        NodeKind::Map(entries) => entries
            .iter()
            .for_each(|(_, value)| non_finite(value, errors)),
        _ => {}
    }
}

/// Why a number that is not finite is refused, in YAML and TOML alike.
pub(super) const NON_FINITE: &str = "a number must be finite: `inf` and `nan` have no JSON form (write a string if the text is meant)";

/// Why an integer outside TOML's 64-bit range is refused, in YAML and TOML
/// alike: TOML says so, and a YAML reader would round it.
pub(super) fn too_wide(written: &str) -> String {
    format!(
        "`{written}` {TOO_WIDE} ({} to {}): write a string if the text is meant",
        i64::MIN,
        i64::MAX
    )
}

/// The words of [`too_wide`] that say it is ours.
pub(super) const TOO_WIDE: &str = "is beyond the integers a file holds";

fn table_kind(table: DeTable<'_>, errors: &mut Vec<FormatError>) -> NodeKind {
    NodeKind::Map(
        table
            .into_iter()
            .map(|(key, value)| {
                let span = key.span();
                (
                    Key {
                        name: key.into_inner().into_owned(),
                        span: Span::new(span.start, span.end),
                    },
                    node(value, errors),
                )
            })
            .collect(),
    )
}

fn node(value: TomlSpanned<DeValue<'_>>, errors: &mut Vec<FormatError>) -> Node {
    let span = value.span();
    let span = Span::new(span.start, span.end);
    let kind = match value.into_inner() {
        DeValue::String(s) => NodeKind::Str(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => NodeKind::Int(n),
            Err(_) => {
                errors.push(FormatError {
                    message: too_wide(i.as_str()),
                    span: Some(span),
                });
                NodeKind::Null
            }
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(n) => NodeKind::Float(n),
            Err(_) => NodeKind::Str(f.as_str().to_owned()),
        },
        DeValue::Boolean(b) => NodeKind::Bool(b),
        DeValue::Datetime(d) => NodeKind::Str(d.to_string()),
        DeValue::Array(items) => {
            NodeKind::Seq(items.into_iter().map(|item| node(item, errors)).collect())
        }
        DeValue::Table(table) => table_kind(table, errors),
    };
    Node::new(span, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_arrays_and_spans() {
        let src = "name = \"echo\"\n[listen]\noperation = \"create\"\n\n[[steps]]\nmessage = \"hi\"\n\n[[steps]]\nreturn = { status = 201 }\n";
        let node = parse(src).unwrap();
        let listen = node.get("listen").unwrap();
        let op = listen.get("operation").unwrap();
        assert_eq!(op.as_str(), Some("create"));
        assert_eq!(
            &src[listen.key("operation").unwrap().span.range()],
            "operation"
        );
        let NodeKind::Seq(steps) = &node.get("steps").unwrap().kind else {
            panic!("steps is a list")
        };
        assert_eq!(steps.len(), 2);
        let status = steps[1].get("return").unwrap().get("status").unwrap();
        assert_eq!(status.kind, NodeKind::Int(201));
        assert_eq!(&src[status.span.range()], "201");
        assert_eq!(&src[steps[1].key("return").unwrap().span.range()], "return");
    }

    #[test]
    fn a_file_garbled_throughout_reports_its_first_errors_and_counts_the_rest() {
        let errors = parse(&"<a".repeat(4000)).unwrap_err();
        assert_eq!(errors.len(), MAX_SYNTAX_ERRORS + 1);
        let last = &errors[MAX_SYNTAX_ERRORS];
        assert!(
            last.message.contains("more TOML syntax errors"),
            "{}",
            last.message
        );
        assert!(last.span.is_some());
        let few = parse("a = \nb = \n").unwrap_err();
        assert!(few.len() < MAX_SYNTAX_ERRORS);
        assert!(
            few.iter()
                .all(|e| e.message.starts_with("TOML syntax error"))
        );
    }

    #[test]
    fn numbers_that_are_not_finite_are_refused() {
        let src = "a = inf\nb = [1.5, -nan]\n";
        let errors = parse(src).unwrap_err();
        let at: Vec<&str> = errors
            .iter()
            .map(|e| &src[e.span.expect("placed").range()])
            .collect();
        assert_eq!(at, ["inf", "-nan"]);
        assert!(errors.iter().all(|e| e.message == NON_FINITE));
    }

    #[test]
    fn integers_in_every_radix() {
        let node = parse("a = 0x1F\nb = 1_000\nc = -3\n").unwrap();
        assert_eq!(node.get("a").unwrap().kind, NodeKind::Int(31));
        assert_eq!(node.get("b").unwrap().kind, NodeKind::Int(1000));
        assert_eq!(node.get("c").unwrap().kind, NodeKind::Int(-3));
    }

    #[test]
    fn every_syntax_error_is_reported() {
        let errors = parse("a = \nb = [1,\n").unwrap_err();
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|e| e.span.is_some()));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let errors = parse("a = 1\na = 2\n").unwrap_err();
        assert!(
            errors[0].message.contains("duplicate"),
            "{}",
            errors[0].message
        );
    }
}
