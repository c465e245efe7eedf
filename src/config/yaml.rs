//! YAML files into [`Node`] trees, through serde-saphyr.
//!
//! This is the only module that knows which YAML parser flowgate uses. It
//! reads YAML 1.2 (`yes`, `on` and `no` are strings), rejects duplicate keys,
//! and keeps the byte span of every key and value.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned as YamlSpanned;

use super::FormatError;
use super::node::{Key, Node, NodeKind, Span};

/// The tree of a YAML file, or why it has none. A key repeated in a map is
/// an error too, but not one that ends the reading: the first entry stays,
/// each later one is left out and reported, so the file's other mistakes
/// are found in the same run.
pub fn parse(text: &str) -> Result<(Node, Vec<FormatError>), FormatError> {
    if text.trim().is_empty() {
        return Ok((
            Node::new(Span::point(0), NodeKind::Map(Vec::new())),
            Vec::new(),
        ));
    }
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
        null_as_string: true,
        // Every entry reaches the tree, where `repeated_keys` finds them all.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    match serde_saphyr::from_str_with_options::<YamlNode>(text, options) {
        // A file of comments only reads as an empty map, like an empty file.
        Ok(YamlNode(node)) if node.kind == NodeKind::Null => Ok((
            Node::new(Span::point(0), NodeKind::Map(Vec::new())),
            Vec::new(),
        )),
        Ok(YamlNode(mut node)) => {
            let mut repeated = Vec::new();
            repeated_keys(&mut node, &mut repeated);
            repeated.sort_by_key(|err| err.span.map(|span| span.start));
            Ok((node, repeated))
        }
        Err(err) => Err(syntax_error(text, &err)),
    }
}

/// Takes every repeated key out of its map, first entry kept, with an
/// error at each one taken. Keys are text: `1:` and `"1":` are one key,
/// which YAML's own check (of values, not texts) would let through.
fn repeated_keys(node: &mut Node, errors: &mut Vec<FormatError>) {
    match &mut node.kind {
        NodeKind::Map(entries) => {
            // A set keeps a map of many keys linear.
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            entries.retain(|(key, _)| {
                if seen.insert(key.name.clone()) {
                    return true;
                }
                errors.push(FormatError {
                    message: format!("the key `{}` appears twice in this map", key.name),
                    span: Some(key.span),
                });
                false
            });
            for (_, value) in entries {
                repeated_keys(value, errors);
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                repeated_keys(item, errors);
            }
        }
        _ => {}
    }
}

fn syntax_error(text: &str, err: &serde_saphyr::Error) -> FormatError {
    let err = err.without_snippet();
    let offset = err
        .location()
        .and_then(|loc| offset_of(text, loc.line(), loc.column()));
    let mut span = offset.map(Span::point);
    // serde-saphyr's own words for these speak of its API (options, other
    // functions to call); a user needs to hear what is wrong with the file.
    let mut cause = err;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = cause
    {
        cause = error;
    }
    let message = match cause {
        serde_saphyr::Error::MultipleDocuments { .. } => {
            // It points at the second document's content; its `---` is what to remove.
            if let Some(marker) = offset.and_then(|at| document_marker_before(text, at)) {
                span = Some(Span::new(marker, marker + 3));
            }
            "a process file holds one YAML document; this is a second one".to_owned()
        }
        serde_saphyr::Error::Budget { breach, .. } => too_big(breach),
        // The scanner may complain about a tab while it reads the scalar
        // before it (`operation: get` then `\tobject: Foo` is reported at
        // `get`); the tab itself is what to change.
        _ if err.to_string().contains("tab")
            && let Some(tab) = indenting_tab(text, offset.unwrap_or(0)) =>
        {
            span = Some(Span::new(tab, tab + 1));
            "a tab indents this line; YAML indents with spaces only".to_owned()
        }
        _ if err.to_string().contains("non-finite float") => super::toml::NON_FINITE.to_owned(),
        // Our own refusal (`visit_u64`), not YAML's: no "syntax error".
        _ if err.to_string().contains(super::toml::TOO_WIDE) => without_position(err),
        _ => format!(
            "YAML syntax error: {}",
            character_named(&without_position(err))
        ),
    };
    FormatError { message, span }
}

/// The parser names a character it did not expect in Rust's own spelling
/// (`` `\u{7}' ``): as a user reads it, `U+0007`.
fn character_named(message: &str) -> String {
    let named = message.split_once("`\\u{").and_then(|(before, rest)| {
        let (hex, after) = rest.split_once("}'")?;
        let code = u32::from_str_radix(hex, 16).ok()?;
        Some(format!("{before}U+{code:04X}{after}"))
    });
    named.unwrap_or_else(|| message.to_owned())
}

/// serde-saphyr's message without the " at line L column C" it appends:
/// the diagnostic shows the position itself.
fn without_position(err: &serde_saphyr::Error) -> String {
    let message = err.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

/// The first tab in the indentation of a line, from the line of `offset` on.
fn indenting_tab(text: &str, offset: usize) -> Option<usize> {
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let mut at = line_start;
    for line in text[line_start..].split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return Some(at + tab);
        }
        at += line.len();
    }
    None
}

/// The start of the last `---` document marker line before `offset`.
fn document_marker_before(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    before
        .match_indices("---")
        .map(|(at, _)| at)
        .filter(|&at| at == 0 || before.as_bytes()[at - 1] == b'\n')
        .filter(|&at| {
            text[at + 3..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace())
        })
        .last()
}

/// What a breached parser budget means for the file. The budget guards
/// against alias bombs (a few lines that expand to billions of values)
/// and absurd nesting; a real process file is nowhere near it.
fn too_big(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach;
    let budget = serde_saphyr::Budget::default();
    match breach {
        BudgetBreach::Nodes { .. } => format!(
            "the file expands to more than {} nodes through aliases; flowgate reads no file that large",
            budget.max_nodes
        ),
        BudgetBreach::Aliases { .. } => format!(
            "the file uses aliases (`*name`) more than {} times",
            budget.max_aliases
        ),
        BudgetBreach::AliasAnchorRatio { aliases, anchors } => format!(
            "the file uses its {anchors} anchors through {aliases} aliases, which looks like an alias bomb"
        ),
        BudgetBreach::Depth { .. } => format!(
            "the file nests lists and maps more than {} levels deep",
            budget.max_depth
        ),
        BudgetBreach::ScalarBytes { .. } => format!(
            "the file's text values add up to more than {} bytes",
            budget.max_total_scalar_bytes
        ),
        _ => "the file is too large, or expands too much through aliases, to be read".to_owned(),
    }
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u64, column: u64) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        let nth = usize::try_from(line - 2).ok()?;
        text.match_indices('\n').nth(nth).map(|(i, _)| i + 1)?
    };
    let rest = &text[line_start..];
    let col = usize::try_from(column.saturating_sub(1)).ok()?;
    let within = rest
        .char_indices()
        .nth(col)
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    Some(line_start + within)
}

fn span_of(location: &serde_saphyr::Location) -> Span {
    let span = location.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => {
            let start = usize::try_from(start).unwrap_or(usize::MAX);
            Span::new(
                start,
                start.saturating_add(usize::try_from(len).unwrap_or(0)),
            )
        }
        _ => Span::default(),
    }
}

struct YamlNode(Node);

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = YamlSpanned::<YamlKind>::deserialize(deserializer)?;
        Ok(YamlNode(Node::new(
            span_of(&spanned.referenced),
            spanned.value.0,
        )))
    }
}

/// A map key, as written: keys are text, so `1.0:` is the key `1.0`, not
/// the number's digits (`1`), and `0x1F:` is not `31`, as in TOML.
struct YamlKey(String);

impl<'de> Deserialize<'de> for YamlKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A plain scalar read as a string is its text; `null:` is the text
        // `null` (a `route` case of that name, as `null =`), by the
        // `null_as_string` option, which only keys ask for.
        String::deserialize(deserializer).map(YamlKey)
    }
}

struct YamlKind(NodeKind);

impl<'de> Deserialize<'de> for YamlKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = YamlKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Null))
    }
    fn visit_none<E>(self) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YamlKind, D::Error> {
        YamlKind::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<YamlKind, E> {
        match i64::try_from(v) {
            Ok(v) => Ok(YamlKind(NodeKind::Int(v))),
            Err(_) => Err(E::custom(super::toml::too_wide(&v.to_string()))),
        }
    }
    fn visit_f64<E>(self, v: f64) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Str(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<YamlKind, E> {
        Ok(YamlKind(NodeKind::Str(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<YamlNode>()? {
            items.push(item.0);
        }
        Ok(YamlKind(NodeKind::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlKind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<YamlSpanned<YamlKey>>()? {
            let value = map.next_value::<YamlNode>()?;
            entries.push((
                Key {
                    name: key.value.0,
                    span: span_of(&key.referenced),
                },
                value.0,
            ));
        }
        Ok(YamlKind(NodeKind::Map(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree, or the first error: a repeated key's or a fatal one.
    fn parse(text: &str) -> Result<Node, FormatError> {
        let (node, mut repeated) = super::parse(text)?;
        if repeated.is_empty() {
            Ok(node)
        } else {
            Err(repeated.remove(0))
        }
    }

    #[test]
    fn every_repeated_key_is_reported_and_the_first_entry_kept() {
        let src = "a: 1\nb: { x: 1, x: 2, y: 3 }\na: 4\nc: [{ k: 1, k: 2 }]\n";
        let (node, repeated) = super::parse(src).unwrap();
        let spans: Vec<&str> = repeated
            .iter()
            .map(|err| text_at(src, err.span.unwrap()))
            .collect();
        assert_eq!(spans, ["x", "a", "k"], "{repeated:?}");
        assert_eq!(repeated[0].message, "the key `x` appears twice in this map");
        assert_eq!(node.get("a").unwrap().kind, NodeKind::Int(1));
        let b = node.get("b").unwrap();
        assert_eq!(b.get("x").unwrap().kind, NodeKind::Int(1));
        assert!(b.get("y").is_some());
    }

    fn text_at(src: &str, span: Span) -> &str {
        &src[span.range()]
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let src = "listen:\n  operation: get\n  object: Hello\nsteps:\n  - message: 'hi {{ x }}'\n";
        let node = parse(src).unwrap();
        let listen = node.get("listen").unwrap();
        assert_eq!(text_at(src, node.key("listen").unwrap().span), "listen");
        assert_eq!(text_at(src, listen.key("object").unwrap().span), "object");
        assert_eq!(text_at(src, listen.get("object").unwrap().span), "Hello");
        let NodeKind::Seq(steps) = &node.get("steps").unwrap().kind else {
            panic!("steps is a list")
        };
        let message = steps[0].get("message").unwrap();
        assert_eq!(message.as_str(), Some("hi {{ x }}"));
        assert!(text_at(src, message.span).starts_with("'hi"));
    }

    #[test]
    fn yaml_1_2_booleans() {
        let node = parse("a: yes\nb: on\nc: true\nd: no\n").unwrap();
        assert_eq!(node.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(node.get("b").unwrap().as_str(), Some("on"));
        assert_eq!(node.get("c").unwrap().kind, NodeKind::Bool(true));
        assert_eq!(node.get("d").unwrap().as_str(), Some("no"));
    }

    #[test]
    fn keys_are_text_so_a_number_and_its_digits_are_one_key() {
        let src = "route:\n  cases:\n    1: []\n    \"1\": []\n";
        let err = parse(src).unwrap_err();
        assert_eq!(err.message, "the key `1` appears twice in this map");
        assert_eq!(text_at(src, err.span.unwrap()), "\"1\"");
        let node = parse("cases: { null: [], ~x: [] }").unwrap();
        let cases = node.get("cases").unwrap();
        assert!(cases.key("null").is_some());
    }

    #[test]
    fn a_control_character_is_named_by_its_code_point() {
        let err = parse("a: \"x\u{0}\"\n").unwrap_err();
        assert_eq!(
            err.message,
            "YAML syntax error: unexpected character: U+0000"
        );
        assert_eq!(character_named("no character here"), "no character here");
    }

    #[test]
    fn keys_are_the_text_written() {
        let node = parse("{1.0: a, 0x1F: b, True: c, 1e3: d, ~: e, -0: f, 'x y': g}").unwrap();
        let NodeKind::Map(entries) = &node.kind else {
            panic!("a map")
        };
        let names: Vec<&str> = entries.iter().map(|(key, _)| key.name.as_str()).collect();
        assert_eq!(names, ["1.0", "0x1F", "True", "1e3", "~", "-0", "x y"]);
        let err = parse(
            "? [a, b]
: c
",
        )
        .unwrap_err();
        assert!(err.span.is_some(), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_position() {
        let src = "a: 1\nb: 2\na: 3\n";
        let err = parse(src).unwrap_err();
        assert!(err.message.contains("appears twice"), "{}", err.message);
        let span = err.span.unwrap();
        assert_eq!(&src[span.start as usize..span.start as usize + 1], "a");
        assert_eq!(span.start, 10);
    }

    /// The parser's words for these name its API; the messages say what is
    /// wrong with the file, at the place it is wrong.
    #[test]
    fn file_mistakes_in_user_terms() {
        let src = "listen:\n  output: json\n  output: xml\n";
        let err = parse(src).unwrap_err();
        assert_eq!(err.message, "the key `output` appears twice in this map");
        assert_eq!(err.span.unwrap().range(), 25..31);

        let src = "set:\n  f: .inf\n";
        let err = parse(src).unwrap_err();
        assert_eq!(err.message, crate::config::toml::NON_FINITE);
        assert!(err.span.is_some());

        let src = "steps: []\n---\nsteps: []\n";
        let err = parse(src).unwrap_err();
        assert_eq!(
            err.message,
            "a process file holds one YAML document; this is a second one"
        );
        assert_eq!(err.span.unwrap().range(), 10..13);

        let mut src = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (c, prev) in ["b", "c", "d", "e", "f", "g"]
            .into_iter()
            .zip(["a", "b", "c", "d", "e", "f"])
        {
            let aliases = vec![format!("*{prev}"); 10].join(", ");
            src.push_str(&format!("{c}: &{c} [{aliases}]\n"));
        }
        let err = parse(&src).unwrap_err();
        assert_eq!(
            err.message,
            "the file expands to more than 250000 nodes through aliases; flowgate reads no file that large"
        );
        assert!(err.span.is_some());
    }

    #[test]
    fn a_tab_in_the_indentation_is_shown_where_it_is() {
        let src = "listen:\n  operation: get\n\tobject: Foo\n";
        let err = parse(src).unwrap_err();
        assert_eq!(
            err.message,
            "a tab indents this line; YAML indents with spaces only"
        );
        assert_eq!(err.span.unwrap().range(), 25..26);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let src = "a: [1, 2\nb: 3\n";
        let err = parse(src).unwrap_err();
        assert!(
            err.message.starts_with("YAML syntax error"),
            "{}",
            err.message
        );
        assert!(err.span.is_some());
    }

    #[test]
    fn empty_file_is_an_empty_map() {
        assert_eq!(parse("# nothing\n").unwrap().kind, NodeKind::Map(vec![]));
    }
}
