//! Serde over a [`Node`] tree: how raw config types are read from any format.
//!
//! The raw types in [`super::raw`] derive `Deserialize` with
//! `deny_unknown_fields`; this deserializer feeds them from a parsed [`Node`]
//! and puts the span of the innermost offending key or value on every error,
//! so a diagnostic can point at it. Two wrapper types take part in the
//! protocol through marker names (the same technique `toml` uses for its
//! `Spanned`):
//!
//! * [`Spanned<T>`] keeps the span of a value next to it;
//! * [`Node`] itself can be a field (a spanned copy of that part of the
//!   tree), which defers decoding it (step lists are decoded step by step, so one bad step does not hide
//!   the errors of the others).

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};

use super::node::{Key, Node, NodeKind, Span};

const SPANNED: &str = "$flowgate::private::Spanned";

/// Decodes `T` from a node. Errors carry the span of what was wrong; the
/// first is returned.
pub fn from_node<'a, T: Deserialize<'a>>(node: &'a Node) -> Result<T, DeError> {
    from_node_all(node).map_err(|mut errors| errors.remove(0))
}

/// Decodes `T` from a node, with every mistake as an error of its own (a
/// file with three misspelled keys and two values of the wrong kind is told
/// about all five), in the order they are written.
///
/// Decoding goes on past an unknown key: it is left out of its map. Every
/// config struct denies unknown fields, so a key that no field takes is
/// always a mistake. A value that does not decode (the wrong kind, a bad
/// duration, a map missing a required key) is noted, and the decode is run
/// again with that entry left out of its map or list, until one runs
/// through; what only follows from an entry left out (the key its map now
/// lacks) is not noted again.
pub fn from_node_all<'a, T: Deserialize<'a>>(node: &'a Node) -> Result<T, Vec<DeError>> {
    match from_node_lenient(node) {
        Lenient {
            value: Some(value),
            errors,
            ..
        } if errors.is_empty() => Ok(value),
        Lenient { errors, .. } => Err(errors),
    }
}

/// As [`from_node_all`], but with the value too whenever a run of the
/// decode went through: without its unknown keys and without the entries
/// left out for their bad values, as if they were not written. A file can
/// then be compiled on, so that mistakes further in (its steps, say) are
/// found in the same run, and what the file defines (its process, its
/// users) is still known to the others. The errors still fail the
/// compilation. The value is `None` only when no run went through.
pub fn from_node_lenient<'a, T: Deserialize<'a>>(node: &'a Node) -> Lenient<T> {
    // The state of a decode that is running on this thread (none does
    // today) is put aside and given back.
    let outer = DECODE.with(|state| state.take());
    let mut errors: Vec<DeError> = Vec::new();
    let mut left_out: Vec<Entry> = Vec::new();
    let value = loop {
        DECODE.with(|state| {
            *state.borrow_mut() = Decode {
                left_out: left_out.clone(),
                ..Decode::default()
            }
        });
        let result = T::deserialize(NodeDeserializer { node }).map_err(|e| e.at(node.span));
        let attempt = DECODE.with(|state| state.take());
        // An unknown key inside an entry left out later is still a mistake.
        for unknown in attempt.unknown {
            if !errors.contains(&unknown) {
                errors.push(unknown);
            }
        }
        match result {
            Ok(value) => break Some(value),
            Err(err) => match attempt.failed {
                Some((entry, why))
                    if left_out.len() < MAX_LEFT_OUT && !left_out.contains(&entry) =>
                {
                    errors.extend(why);
                    left_out.push(entry);
                }
                _ => {
                    if !follows(&err, node, &errors, &left_out) {
                        errors.push(err);
                    }
                    break None;
                }
            },
        }
    };
    DECODE.with(|state| *state.borrow_mut() = outer);
    errors.sort_by_key(|e| e.span.map(|s| s.start));
    let left_out = LeftOut(
        left_out
            .into_iter()
            .filter_map(|entry| entry_path(node, entry))
            .collect(),
    );
    Lenient {
        value,
        errors,
        left_out,
    }
}

/// What [`from_node_lenient`] gives.
#[derive(Debug)]
pub struct Lenient<T> {
    pub value: Option<T>,
    pub errors: Vec<DeError>,
    pub left_out: LeftOut,
}

/// Where the entries left out of a value were written, as paths of keys
/// and list positions (`listen`, `access.auth`, `users[1]`): what the value
/// lacks because it was written wrong. A check that would judge what is
/// missing there can stand aside.
#[derive(Debug, Default, PartialEq)]
pub struct LeftOut(Vec<String>);

impl LeftOut {
    /// Whether nothing was left out: every error, if any, was an unknown key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether something written at `path` (a table such as `access`, a key
    /// such as `access.auth`) or under it was left out.
    pub fn lacks(&self, path: &str) -> bool {
        self.0.iter().any(|entry| {
            entry
                .strip_prefix(path)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    /// The keys of the table `table` with something left out at or under
    /// them: `billing` for `upstreams.billing` or `upstreams.billing.timeout`.
    pub fn keys_under<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter_map(move |entry| {
            let rest = entry.strip_prefix(table)?.strip_prefix('.')?;
            rest.split(['.', '[']).next()
        })
    }
}

/// The path of `entry` in `node`: `listen.page_size`, `access.users[1]`.
fn entry_path(node: &Node, entry: Entry) -> Option<String> {
    let inner = |key: String, value: &Node| {
        let rest = entry_path(value, entry)?;
        Some(if rest.starts_with('[') {
            format!("{key}{rest}")
        } else {
            format!("{key}.{rest}")
        })
    };
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find_map(|(key, value)| {
            if entry == Entry::Key(key.span) {
                Some(key.name.clone())
            } else {
                inner(key.name.clone(), value)
            }
        }),
        NodeKind::Seq(items) => items.iter().enumerate().find_map(|(index, item)| {
            if entry == Entry::Item(item.span) {
                Some(format!("[{index}]"))
            } else {
                inner(format!("[{index}]"), item)
            }
        }),
        _ => None,
    }
}

/// Entries left out of one decode at most: past them it stops at the next mistake.
const MAX_LEFT_OUT: usize = 100;

/// Whether `error`, raised by decoding `node`, only follows from another
/// mistake: a required key missing because it was left out, or because it
/// was misspelled (`expext:` is told once, as an unknown key that may mean
/// `expect`, not again as `expect` missing).
fn follows(error: &DeError, node: &Node, unknown: &[DeError], left_out: &[Entry]) -> bool {
    let DeErrorKind::MissingField(name) = error.kind else {
        return false;
    };
    unknown.iter().any(|e| meant(e, name))
        || node.as_map().is_some_and(|entries| {
            entries
                .iter()
                .any(|(key, _)| key.name == name && left_out.contains(&Entry::Key(key.span)))
        })
}

/// Whether `error` is an unknown key that looks like a misspelled `name`.
fn meant(error: &DeError, name: &str) -> bool {
    match &error.kind {
        DeErrorKind::UnknownField { field, expected } => {
            did_you_mean(field, expected.iter().copied()) == Some(name)
        }
        _ => false,
    }
}

/// An entry of a map (by its key) or of a list (by the item) that a decode leaves out.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    Key(Span),
    Item(Span),
}

/// What the running decode has met (decoding is synchronous, so one thread
/// runs one decode at a time).
#[derive(Default)]
struct Decode {
    /// Unknown keys, each an error of its own.
    unknown: Vec<DeError>,
    /// Entries whose values failed in an earlier run, skipped in this one.
    left_out: Vec<Entry>,
    /// The innermost entry that failed in this run, with its error, or
    /// `None` when it failed only because of an entry left out of it.
    failed: Option<(Entry, Option<DeError>)>,
}

thread_local! {
    static DECODE: std::cell::RefCell<Decode> = std::cell::RefCell::new(Decode::default());
}

/// Whether the running decode skips `entry`.
fn is_left_out(entry: Entry) -> bool {
    DECODE.with(|state| state.borrow().left_out.contains(&entry))
}

/// Notes that the value of `entry` (the node `node`) failed with `error`,
/// unless an entry inside it failed first.
fn note_failure(entry: Entry, node: &Node, error: &DeError) {
    DECODE.with(|state| {
        let mut state = state.borrow_mut();
        if state.failed.is_none() {
            let why =
                (!follows(error, node, &state.unknown, &state.left_out)).then(|| error.clone());
            state.failed = Some((entry, why));
        }
    });
}

/// A value and the span it was written at.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub span: Span,
    pub value: T,
}

impl<T> Spanned<T> {
    pub fn new(span: Span, value: T) -> Spanned<T> {
        Spanned { span, value }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Default> Default for Spanned<T> {
    fn default() -> Self {
        Spanned::new(Span::default(), T::default())
    }
}

/// Spans take no part in comparisons: two keys are equal when their text is.
impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: Ord> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

/// The entries of a map in the order they were written.
#[derive(Clone, Debug)]
pub struct Entries<K, V>(pub Vec<(K, V)>);

/// No entries, whatever the key and value types.
impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(std::marker::PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

/// What went wrong while decoding a node, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct DeError {
    pub kind: DeErrorKind,
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DeErrorKind {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
    /// A map that should name exactly one variant (a step, say) had these keys.
    NotOneKey(Vec<String>),
    Other(String),
}

impl DeError {
    fn new(kind: DeErrorKind) -> DeError {
        DeError { kind, span: None }
    }

    /// Puts `span` on the error unless an inner, more precise one is there.
    pub fn at(mut self, span: Span) -> DeError {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    /// Like [`DeError::at`], except for missing keys, which the enclosing key
    /// points at better than the map that lacks them.
    fn at_value(self, span: Span) -> DeError {
        match self.kind {
            DeErrorKind::MissingField(_) => self,
            _ => self.at(span),
        }
    }

    /// A "did you mean" for unknown keys and values, when one is close.
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            DeErrorKind::UnknownField { field, expected }
            | DeErrorKind::UnknownVariant {
                variant: field,
                expected,
            } => Some(match did_you_mean(field, expected.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("expected one of {}", quoted_list(expected)),
            }),
            DeErrorKind::NotOneKey(keys) if keys.len() > 1 => Some(format!(
                "a step is a map with one key, its kind; put the options of `{}` under it",
                keys[0]
            )),
            _ => None,
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::UnknownField { field, .. } => write!(f, "unknown key `{field}`"),
            DeErrorKind::UnknownVariant { variant, .. } => write!(f, "unknown value `{variant}`"),
            DeErrorKind::MissingField(field) => write!(f, "missing required key `{field}`"),
            DeErrorKind::NotOneKey(keys) if keys.is_empty() => {
                f.write_str("expected a map with one key, found an empty map")
            }
            DeErrorKind::NotOneKey(keys) => write!(
                f,
                "expected a map with one key, found {} keys ({})",
                keys.len(),
                quoted_list(keys)
            ),
            DeErrorKind::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(DeErrorKind::Other(msg.to_string()))
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::custom(format_args!(
            "expected {}, found {}",
            expected(exp),
            describe(&unexp)
        ))
    }

    // A value out of range reads to a user as one of the wrong kind.
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::invalid_type(unexp, exp)
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownField {
            field: field.to_owned(),
            expected,
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownVariant {
            variant: variant.to_owned(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::custom(format_args!("key `{field}` is given twice"))
    }
}

/// What was expected, in the words of the files: serde names integer
/// types by their Rust names, and lists sequences.
fn expected(exp: &dyn de::Expected) -> String {
    let name = exp.to_string();
    let (min, max) = match name.as_str() {
        "a sequence" => return "a list".to_owned(),
        "u8" => (0, u64::from(u8::MAX)),
        "u16" => (0, u64::from(u16::MAX)),
        "u32" => (0, u64::from(u32::MAX)),
        "u64" | "usize" => (0, u64::MAX),
        _ => return name,
    };
    format!("a whole number from {min} to {max}")
}

fn describe(unexp: &de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match unexp {
        U::Str(s) => format!("the string \"{s}\""),
        U::Signed(n) => format!("the integer {n}"),
        U::Unsigned(n) => format!("the integer {n}"),
        U::Float(n) => format!("the number {n}"),
        U::Bool(b) => format!("the boolean {b}"),
        U::Unit | U::Option => "an empty value".to_owned(),
        U::Seq => "a list".to_owned(),
        U::Map => "a map".to_owned(),
        other => other.to_string(),
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        // On a tie the name that sorts first wins, so the hint does not depend on map order.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

pub fn quoted_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

struct NodeDeserializer<'a> {
    node: &'a Node,
}

impl NodeDeserializer<'_> {
    fn wrap<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|e| e.at_value(self.node.span))
    }
}

impl<'de, 'a> Deserializer<'de> for NodeDeserializer<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_str(s),
            NodeKind::Seq(items) => visitor.visit_seq(NodeSeq {
                items: items.iter(),
            }),
            NodeKind::Map(entries) => visitor.visit_map(NodeMap {
                entries: entries.iter(),
                value: None,
                fields: None,
            }),
        };
        self.wrap(result)
    }

    /// Scalars read as strings too: `status: 201` and `status: "201"` mean
    /// the same to a user.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) => {
                let text = self.node.scalar_text().unwrap_or_default();
                self.wrap(visitor.visit_string(text))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.kind {
            NodeKind::Null => self.wrap(visitor.visit_none()),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Map(entries) if entries.is_empty() => self.wrap(visitor.visit_unit()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            // `stop:` with nothing after it is an empty options block.
            NodeKind::Null => self.wrap(visitor.visit_map(NodeMap {
                entries: [].iter(),
                value: None,
                fields: None,
            })),
            NodeKind::Map(entries) => self.wrap(visitor.visit_map(NodeMap {
                entries: entries.iter(),
                value: None,
                fields: Some(fields),
            })),
            // A struct read from a sequence would be told its length.
            NodeKind::Seq(_) => {
                self.wrap(Err(de::Error::invalid_type(de::Unexpected::Seq, &visitor)))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match name {
            SPANNED => visitor.visit_seq(SpanParts::new(self.node.span, self)),
            _ => {
                let span = self.node.span;
                visitor
                    .visit_newtype_struct(self)
                    .map_err(|e| e.at_value(span))
            }
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Str(s) => self.wrap(visitor.visit_enum(UnitVariant {
                name: s,
                span: self.node.span,
            })),
            NodeKind::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                self.wrap(visitor.visit_enum(MapVariant { key, value }))
            }
            NodeKind::Map(entries) => Err(DeError::new(DeErrorKind::NotOneKey(
                entries.iter().map(|(k, _)| k.name.clone()).collect(),
            ))
            .at(self.node.span)),
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// The three parts of a span-carrying value: start, end, the value itself.
struct SpanParts<D> {
    span: Span,
    next: u8,
    value: Option<D>,
}

impl<D> SpanParts<D> {
    fn new(span: Span, value: D) -> SpanParts<D> {
        SpanParts {
            span,
            next: 0,
            value: Some(value),
        }
    }
}

impl<'de, D: Deserializer<'de, Error = DeError>> SeqAccess<'de> for SpanParts<D> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.next += 1;
        match self.next {
            1 => seed
                .deserialize(self.span.start.into_deserializer())
                .map(Some),
            2 => seed
                .deserialize(self.span.end.into_deserializer())
                .map(Some),
            3 => match self.value.take() {
                Some(value) => seed.deserialize(value).map(Some),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }
}

struct NodeSeq<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de, 'a> SeqAccess<'de> for NodeSeq<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self
            .items
            .by_ref()
            .find(|node| !is_left_out(Entry::Item(node.span)))
        else {
            return Ok(None);
        };
        seed.deserialize(NodeDeserializer { node })
            .map(Some)
            .map_err(|e| {
                let e = e.at(node.span);
                note_failure(Entry::Item(node.span), node, &e);
                e
            })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct NodeMap<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    value: Option<(&'a Key, &'a Node)>,
    /// A struct's fields: another key is noted as unknown and left out.
    fields: Option<&'static [&'static str]>,
}

impl<'de, 'a> MapAccess<'de> for NodeMap<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (key, value) in self.entries.by_ref() {
            if let Some(fields) = self.fields
                && !fields.contains(&key.name.as_str())
            {
                let unknown = <DeError as de::Error>::unknown_field(&key.name, fields).at(key.span);
                DECODE.with(|state| state.borrow_mut().unknown.push(unknown));
                continue;
            }
            if is_left_out(Entry::Key(key.span)) {
                continue;
            }
            self.value = Some((key, value));
            return seed.deserialize(KeyDeserializer { key }).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, node)) = self.value.take() else {
            return Err(DeError::custom("a map value was read before its key"));
        };
        // A missing key is best shown at the key of the map that lacks it;
        // anything else not placed yet, such as a `Deserialize` impl that
        // read a string and then found it no size (`max_body = "lots"`),
        // is about the value.
        seed.deserialize(NodeDeserializer { node }).map_err(|e| {
            let e = match e.kind {
                DeErrorKind::MissingField(_) => e.at(key.span),
                _ => e.at(node.span),
            };
            note_failure(Entry::Key(key.span), node, &e);
            e
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct KeyDeserializer<'a> {
    key: &'a Key,
}

impl<'de, 'a> Deserializer<'de> for KeyDeserializer<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor
            .visit_str(&self.key.name)
            .map_err(|e: DeError| e.at(self.key.span))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match name {
            SPANNED => visitor.visit_seq(SpanParts::new(self.key.span, self)),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// An enum written as a bare string: `- stop` or `operation: create`.
struct UnitVariant<'a> {
    name: &'a str,
    span: Span,
}

impl<'de, 'a> EnumAccess<'de> for UnitVariant<'a> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let value = seed
            .deserialize(self.name.into_deserializer())
            .map_err(|e: DeError| e.at(self.span))?;
        Ok((value, self))
    }
}

impl<'de, 'a> VariantAccess<'de> for UnitVariant<'a> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        // `- stop` reads like `- stop: {}`: decode the variant's value from nothing.
        let empty = Node::new(self.span, NodeKind::Null);
        seed.deserialize(NodeDeserializer { node: &empty })
            .map_err(|e| e.at(self.span))
            .map_err(|e| match e.kind {
                DeErrorKind::Other(_) => DeError::custom(format_args!(
                    "`{}` needs options: write `{}: …`",
                    self.name, self.name
                ))
                .at(self.span),
                _ => e,
            })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::custom(format_args!("`{}` needs a list", self.name)).at(self.span))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(DeError::custom(format_args!("`{}` needs a map of options", self.name)).at(self.span))
    }
}

/// An enum written as a one-key map: `- message: "…"`.
struct MapVariant<'a> {
    key: &'a Key,
    value: &'a Node,
}

impl<'de, 'a> EnumAccess<'de> for MapVariant<'a> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let value = seed.deserialize(KeyDeserializer { key: self.key })?;
        Ok((value, self))
    }
}

impl<'de, 'a> VariantAccess<'de> for MapVariant<'a> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match &self.value.kind {
            NodeKind::Null => Ok(()),
            NodeKind::Map(entries) if entries.is_empty() => Ok(()),
            _ => Err(
                DeError::custom(format_args!("`{}` takes no options", self.key.name))
                    .at(self.value.span),
            ),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(NodeDeserializer { node: self.value })
            .map_err(|e| e.at(self.key.span))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        NodeDeserializer { node: self.value }
            .deserialize_any(visitor)
            .map_err(|e| e.at(self.key.span))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        NodeDeserializer { node: self.value }
            .deserialize_struct("", fields, visitor)
            .map_err(|e| e.at(self.key.span))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spanned<T>, A::Error> {
                let start: u32 = seq.next_element()?.unwrap_or_default();
                let end: u32 = seq.next_element()?.unwrap_or_default();
                let value = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a spanned value without its value"))?;
                Ok(Spanned::new(Span { start, end }, value))
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Spanned<T>, D::Error> {
                Ok(Spanned::new(Span::default(), T::deserialize(d)?))
            }
        }

        deserializer.deserialize_newtype_struct(SPANNED, SpannedVisitor(std::marker::PhantomData))
    }
}

/// A [`Node`] field keeps that part of the tree, spans and all, for later.
impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<KindOnly>::deserialize(deserializer)?;
        Ok(Node::new(spanned.span, spanned.value.0))
    }
}

/// The value of a node without its span; its children keep theirs.
struct KindOnly(NodeKind);

impl<'de> Deserialize<'de> for KindOnly {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KindVisitor;

        impl<'de> Visitor<'de> for KindVisitor {
            type Value = KindOnly;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Null))
            }
            fn visit_none<E>(self) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Null))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KindOnly, E> {
                i64::try_from(v)
                    .map(|v| KindOnly(NodeKind::Int(v)))
                    .map_err(|_| E::custom(format_args!("the integer {v} is too large")))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Str(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<KindOnly, E> {
                Ok(KindOnly(NodeKind::Str(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KindOnly, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(KindOnly(NodeKind::Seq(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindOnly, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Node>()?;
                    entries.push((
                        Key {
                            name: key.value,
                            span: key.span,
                        },
                        value,
                    ));
                }
                Ok(KindOnly(NodeKind::Map(entries)))
            }
        }

        deserializer.deserialize_any(KindVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn s(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    fn str_node(span: Span, text: &str) -> Node {
        Node::new(span, NodeKind::Str(text.to_owned()))
    }

    fn map(span: Span, entries: Vec<(&str, Span, Node)>) -> Node {
        Node::new(
            span,
            NodeKind::Map(
                entries
                    .into_iter()
                    .map(|(name, span, value)| {
                        (
                            Key {
                                name: name.to_owned(),
                                span,
                            },
                            value,
                        )
                    })
                    .collect(),
            ),
        )
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Listen {
        operation: Spanned<String>,
        #[serde(default)]
        soap: bool,
    }

    #[test]
    fn unknown_key_points_at_the_key_and_suggests() {
        let node = map(
            s(0, 40),
            vec![
                ("operation", s(0, 9), str_node(s(11, 14), "get")),
                ("sop", s(20, 23), Node::new(s(25, 29), NodeKind::Bool(true))),
            ],
        );
        let err = from_node::<Listen>(&node).unwrap_err();
        assert_eq!(err.to_string(), "unknown key `sop`");
        assert_eq!(err.span, Some(s(20, 23)));
        assert_eq!(err.hint().as_deref(), Some("did you mean `soap`?"));
    }

    #[test]
    fn missing_key_points_at_the_enclosing_key() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            listen: Listen,
        }
        let node = map(s(0, 30), vec![("listen", s(0, 6), map(s(10, 30), vec![]))]);
        let err = from_node::<Outer>(&node).unwrap_err();
        assert_eq!(err.to_string(), "missing required key `operation`");
        assert_eq!(err.span, Some(s(0, 6)));
    }

    #[test]
    fn spanned_values_keep_their_span() {
        let node = map(
            s(0, 20),
            vec![("operation", s(0, 9), str_node(s(11, 14), "get"))],
        );
        let listen: Listen = from_node(&node).unwrap();
        assert_eq!(listen.operation.value, "get");
        assert_eq!(listen.operation.span, s(11, 14));
    }

    #[test]
    fn nodes_round_trip_with_spans() {
        #[derive(Deserialize)]
        struct Holder {
            steps: Node,
        }
        let inner = Node::new(
            s(10, 30),
            NodeKind::Seq(vec![map(
                s(12, 30),
                vec![("stop", s(12, 16), Node::new(s(18, 18), NodeKind::Null))],
            )]),
        );
        let node = map(s(0, 30), vec![("steps", s(0, 5), inner.clone())]);
        let holder: Holder = from_node(&node).unwrap();
        assert_eq!(holder.steps, inner);
        assert_eq!(holder.steps.span, inner.span);
        let NodeKind::Seq(items) = &holder.steps.kind else {
            panic!()
        };
        assert_eq!(items[0].span, s(12, 30));
        assert_eq!(items[0].as_map().unwrap()[0].0.span, s(12, 16));
    }

    #[test]
    fn enums_from_strings_and_one_key_maps() {
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(rename_all = "snake_case")]
        enum Step {
            Stop,
            Message(String),
        }
        assert_eq!(
            from_node::<Step>(&str_node(s(0, 4), "stop")).unwrap(),
            Step::Stop
        );
        let node = map(
            s(0, 10),
            vec![("message", s(0, 7), str_node(s(9, 10), "x"))],
        );
        assert_eq!(from_node::<Step>(&node).unwrap(), Step::Message("x".into()));
        let node = map(s(0, 10), vec![("mesage", s(0, 6), str_node(s(8, 10), "x"))]);
        let err = from_node::<Step>(&node).unwrap_err();
        assert_eq!(err.span, Some(s(0, 6)));
        assert_eq!(err.hint().as_deref(), Some("did you mean `message`?"));
        let node = map(
            s(0, 20),
            vec![
                ("message", s(0, 7), str_node(s(9, 10), "x")),
                ("content_type", s(11, 23), str_node(s(25, 30), "y")),
            ],
        );
        let err = from_node::<Step>(&node).unwrap_err();
        assert!(matches!(err.kind, DeErrorKind::NotOneKey(_)));
    }

    #[test]
    fn scalars_read_as_strings() {
        let node = Node::new(s(0, 3), NodeKind::Int(201));
        assert_eq!(from_node::<String>(&node).unwrap(), "201");
        let node = map(
            s(0, 3),
            vec![("a", s(0, 1), Node::new(s(2, 3), NodeKind::Bool(true)))],
        );
        let m: BTreeMap<String, String> = from_node(&node).unwrap();
        assert_eq!(m["a"], "true");
    }

    #[test]
    fn wrong_type_names_both_sides() {
        let node = str_node(s(0, 5), "hello");
        let err = from_node::<Vec<String>>(&node).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a list, found the string \"hello\""
        );
        assert_eq!(err.span, Some(s(0, 5)));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Process {
        description: Option<String>,
        listen: Option<Listen>,
        page_size: Option<u32>,
        #[serde(default)]
        roles: Vec<String>,
    }

    fn messages(errors: &[DeError]) -> Vec<(String, Option<Span>)> {
        errors.iter().map(|e| (e.to_string(), e.span)).collect()
    }

    #[test]
    fn every_bad_value_of_a_map_is_an_error_of_its_own() {
        let node = map(
            s(0, 60),
            vec![
                (
                    "description",
                    s(0, 11),
                    Node::new(s(13, 20), NodeKind::Seq(vec![])),
                ),
                ("page_size", s(21, 30), str_node(s(32, 36), "many")),
                (
                    "roles",
                    s(37, 42),
                    Node::new(
                        s(44, 60),
                        NodeKind::Seq(vec![
                            str_node(s(45, 48), "ops"),
                            map(s(50, 55), vec![]),
                            Node::new(s(56, 59), NodeKind::Bool(true)),
                        ]),
                    ),
                ),
            ],
        );
        let Lenient {
            value,
            errors,
            left_out,
        } = from_node_lenient::<Process>(&node);
        assert_eq!(
            left_out,
            LeftOut(vec![
                "description".into(),
                "page_size".into(),
                "roles[1]".into()
            ])
        );
        let value = value.expect("the value without its bad entries");
        assert_eq!(value.description, None);
        assert_eq!(value.page_size, None);
        // Scalars read as strings: only the map is left out of the list.
        assert_eq!(value.roles, ["ops", "true"]);
        assert_eq!(
            messages(&errors),
            vec![
                (
                    "expected a string, found a list".to_owned(),
                    Some(s(13, 20))
                ),
                (
                    "expected a whole number from 0 to 4294967295, found the string \"many\""
                        .to_owned(),
                    Some(s(32, 36))
                ),
                ("expected a string, found a map".to_owned(), Some(s(50, 55))),
            ]
        );
    }

    /// The errors of a process whose `listen` is `listen`, with a bad
    /// `page_size` after it: that one is always the second and last.
    fn errors_with_bad_page_size(listen: Node) -> Vec<(String, Option<Span>)> {
        let node = map(
            s(0, 46),
            vec![
                ("listen", s(0, 6), listen),
                ("page_size", s(31, 40), str_node(s(42, 46), "many")),
            ],
        );
        let errors = messages(&from_node_all::<Process>(&node).unwrap_err());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[1].1, Some(s(42, 46)));
        errors
    }

    #[test]
    fn a_bad_block_is_told_once_and_decoding_goes_on() {
        // `operation` holds a list: its map then lacks it, which is no second mistake.
        let bad_operation = map(
            s(8, 30),
            vec![(
                "operation",
                s(8, 17),
                Node::new(s(19, 22), NodeKind::Seq(vec![])),
            )],
        );
        // A map without its required key is told so at its own key.
        let no_operation = map(s(8, 20), vec![]);
        for (listen, message, span) in [
            (bad_operation, "expected a string, found a list", s(19, 22)),
            (no_operation, "missing required key `operation`", s(0, 6)),
        ] {
            let errors = errors_with_bad_page_size(listen);
            assert_eq!(errors[0], (message.to_owned(), Some(span)));
        }
    }

    /// A process with only a `listen` block of these entries.
    fn process_listening(entries: Vec<(&str, Span, Node)>) -> Node {
        map(s(0, 40), vec![("listen", s(0, 6), map(s(8, 40), entries))])
    }

    #[test]
    fn unknown_keys_inside_a_value_left_out_are_still_reported() {
        // `sop` is unknown and `operation` is a list: both are told, nothing else.
        let node = process_listening(vec![
            (
                "operation",
                s(8, 17),
                Node::new(s(19, 22), NodeKind::Seq(vec![])),
            ),
            ("sop", s(23, 26), Node::new(s(28, 32), NodeKind::Bool(true))),
        ]);
        let errors = from_node_all::<Process>(&node).unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            ["expected a string, found a list", "unknown key `sop`"]
        );
    }

    #[test]
    fn a_misspelled_required_key_is_told_once_as_unknown() {
        let node = process_listening(vec![("operaton", s(8, 16), str_node(s(18, 21), "get"))]);
        let errors = from_node_all::<Process>(&node).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].to_string(), "unknown key `operaton`");
        assert_eq!(
            errors[0].hint().as_deref(),
            Some("did you mean `operation`?")
        );
    }

    #[test]
    fn what_was_left_out_is_found_by_its_path_or_a_parent() {
        let left_out = LeftOut(vec![
            "access.auth".into(),
            "users[1]".into(),
            "upstreams.billing".into(),
            "upstreams.stock.timeout".into(),
        ]);
        for path in ["access", "access.auth", "users", "upstreams.stock"] {
            assert!(left_out.lacks(path), "{path}");
        }
        for path in ["access.users", "acc", "user", "listen"] {
            assert!(!left_out.lacks(path), "{path}");
        }
        let upstreams: Vec<&str> = left_out.keys_under("upstreams").collect();
        assert_eq!(upstreams, ["billing", "stock"]);
        assert_eq!(left_out.keys_under("access").collect::<Vec<_>>(), ["auth"]);
    }

    #[test]
    fn unknown_keys_alone_keep_the_value() {
        let node = map(
            s(0, 40),
            vec![
                (
                    "page_size",
                    s(0, 9),
                    Node::new(s(11, 13), NodeKind::Int(20)),
                ),
                (
                    "pagesize",
                    s(14, 22),
                    Node::new(s(24, 26), NodeKind::Int(5)),
                ),
            ],
        );
        let Lenient { value, errors, .. } = from_node_lenient::<Process>(&node);
        assert_eq!(value.map(|p| p.page_size), Some(Some(20)));
        assert_eq!(errors.len(), 1);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Settings {
            a: Option<u32>,
            b: Option<String>,
            c: Option<Vec<u32>>,
            d: Option<Listen>,
            #[serde(default)]
            e: bool,
        }

        const FIELDS: [&str; 5] = ["a", "b", "c", "d", "e"];

        /// A value for a field: the right kind, or one it cannot take.
        #[derive(Clone, Copy, Debug)]
        enum Written {
            Good,
            Bad,
        }

        fn value(field: &str, written: Written, at: u32) -> Node {
            let span = s(at, at + 1);
            let kind = match (field, written) {
                ("a", Written::Good) => NodeKind::Int(7),
                ("b", Written::Good) => NodeKind::Str("text".into()),
                ("c", Written::Good) => NodeKind::Seq(vec![Node::new(span, NodeKind::Int(1))]),
                ("d", Written::Good) => {
                    return map(span, vec![("operation", span, str_node(span, "get"))]);
                }
                (_, Written::Good) => NodeKind::Bool(true),
                ("b", Written::Bad) => NodeKind::Seq(vec![]),
                // A block without its required key.
                ("d", Written::Bad) => NodeKind::Map(vec![]),
                (_, Written::Bad) => NodeKind::Str("wrong".into()),
            };
            Node::new(span, kind)
        }

        proptest! {
            /// Every bad value is reported once, at its value (a block
            /// missing a key at its key), in the order written, beside every
            /// unknown key; the value keeps the good entries and only them.
            #[test]
            fn each_mistake_is_one_error_at_its_place(
                entries in proptest::collection::vec(
                    (0..FIELDS.len() + 1, prop_oneof![Just(Written::Good), Just(Written::Bad)]),
                    0..12,
                )
            ) {
                let mut seen = std::collections::HashSet::new();
                let mut written = Vec::new();
                let mut expected = Vec::new();
                let mut good = Vec::new();
                let mut bad: Vec<String> = Vec::new();
                for (index, (field, how)) in entries.into_iter().enumerate() {
                    // Keys are 10 bytes apart: a key at 10·i, its value at 10·i + 5.
                    let at = 10 * index as u32;
                    let name = FIELDS.get(field).copied().unwrap_or("zz");
                    if !seen.insert(name) {
                        continue;
                    }
                    if name == "zz" {
                        expected.push(("unknown key `zz`".to_owned(), s(at, at + 2)));
                    } else if let Written::Bad = how {
                        let place = if name == "d" { s(at, at + 1) } else { s(at + 5, at + 6) };
                        expected.push((String::new(), place));
                        bad.push(name.to_owned());
                    } else {
                        good.push(name);
                    }
                    written.push((name, s(at, at + name.len() as u32), value(name, how, at + 5)));
                }
                let node = map(s(0, 1000), written);
                let Lenient { value, errors, left_out } = from_node_lenient::<Settings>(&node);
                // Each bad field is left out under its own name.
                prop_assert_eq!(&left_out, &LeftOut(bad), "{:?}", errors);
                let places: Vec<Span> = errors.iter().map(|e| e.span.unwrap()).collect();
                let expected_places: Vec<Span> = expected.iter().map(|(_, span)| *span).collect();
                prop_assert_eq!(places, expected_places, "{:?}", errors);
                for ((message, _), error) in expected.iter().zip(&errors) {
                    if !message.is_empty() {
                        prop_assert_eq!(message, &error.to_string());
                    }
                }
                // Every field is optional, so a run always goes through: the
                // value holds each field written well, and no other.
                let value = value.expect("a value without the bad entries");
                let present = [
                    value.a.is_some(),
                    value.b.is_some(),
                    value.c.is_some(),
                    value.d.is_some(),
                    value.e,
                ];
                for (name, present) in FIELDS.iter().zip(present) {
                    prop_assert_eq!(present, good.contains(name), "field {}", name);
                }
            }
        }
    }
}
