//! Simple types at work: the lexical rules of the built-in types, whitespace
//! handling, facets, and turning checked text into typed template values.
//!
//! Used by the reader (text → value) and the writer (value → text → the
//! same checks), so both accept exactly the same leaves. Nothing here knows
//! about documents or schemas.

use std::borrow::Cow;

use minijinja::Value;

use super::identity::Identity;
use super::model::{SimpleType, SimpleTypeRef};
use super::pattern::Pattern;

/// The primitive built-in types supported: the twelve of SPEC §7 and
/// seven more that partners' schemas use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuiltIn {
    String,
    Boolean,
    Int,
    Integer,
    Long,
    Decimal,
    Double,
    Date,
    DateTime,
    Time,
    Base64Binary,
    AnyUri,
    // Not named by SPEC §7: common in partner schemas.
    HexBinary,
    Duration,
    GYear,
    GYearMonth,
    GMonthDay,
    GDay,
    GMonth,
}

impl BuiltIn {
    pub const ALL: [BuiltIn; 19] = [
        BuiltIn::String,
        BuiltIn::Boolean,
        BuiltIn::Int,
        BuiltIn::Integer,
        BuiltIn::Long,
        BuiltIn::Decimal,
        BuiltIn::Double,
        BuiltIn::Date,
        BuiltIn::DateTime,
        BuiltIn::Time,
        BuiltIn::Base64Binary,
        BuiltIn::AnyUri,
        BuiltIn::HexBinary,
        BuiltIn::Duration,
        BuiltIn::GYear,
        BuiltIn::GYearMonth,
        BuiltIn::GMonthDay,
        BuiltIn::GDay,
        BuiltIn::GMonth,
    ];

    /// The local name in the XML Schema namespace.
    pub fn name(self) -> &'static str {
        match self {
            BuiltIn::String => "string",
            BuiltIn::Boolean => "boolean",
            BuiltIn::Int => "int",
            BuiltIn::Integer => "integer",
            BuiltIn::Long => "long",
            BuiltIn::Decimal => "decimal",
            BuiltIn::Double => "double",
            BuiltIn::Date => "date",
            BuiltIn::DateTime => "dateTime",
            BuiltIn::Time => "time",
            BuiltIn::Base64Binary => "base64Binary",
            BuiltIn::AnyUri => "anyURI",
            BuiltIn::HexBinary => "hexBinary",
            BuiltIn::Duration => "duration",
            BuiltIn::GYear => "gYear",
            BuiltIn::GYearMonth => "gYearMonth",
            BuiltIn::GMonthDay => "gMonthDay",
            BuiltIn::GDay => "gDay",
            BuiltIn::GMonth => "gMonth",
        }
    }

    pub fn from_name(name: &str) -> Option<BuiltIn> {
        BuiltIn::ALL.into_iter().find(|b| b.name() == name)
    }

    /// int, integer and long: template values are integers.
    pub fn is_integer(self) -> bool {
        matches!(self, BuiltIn::Int | BuiltIn::Integer | BuiltIn::Long)
    }

    /// The types with an order, where the bound facets apply.
    pub fn is_numeric(self) -> bool {
        self.is_integer() || matches!(self, BuiltIn::Decimal | BuiltIn::Double)
    }

    /// The types whose length facets count something (characters, or bytes
    /// for the binary types).
    pub fn has_length(self) -> bool {
        matches!(
            self,
            BuiltIn::String | BuiltIn::AnyUri | BuiltIn::Base64Binary | BuiltIn::HexBinary
        )
    }

    /// Only `xs:string` keeps whitespace as written; XSD fixes `collapse` for the others.
    pub fn default_whitespace(self) -> WhiteSpace {
        match self {
            BuiltIn::String => WhiteSpace::Preserve,
            _ => WhiteSpace::Collapse,
        }
    }
}

/// A built-in type XML Schema derives from a supported one (Part 2 §3.4),
/// supported as that restriction: its base, bounds and whitespace.
pub(crate) struct DerivedBuiltIn {
    pub name: &'static str,
    pub base: BuiltIn,
    pub min_inclusive: Option<&'static str>,
    pub max_inclusive: Option<&'static str>,
    pub whitespace: Option<WhiteSpace>,
    /// The `pattern` facet of the name types, and what a value of it is.
    pub pattern: Option<(&'static str, &'static str)>,
    pub identity: Identity,
}

const fn derived(
    name: &'static str,
    base: BuiltIn,
    min_inclusive: Option<&'static str>,
    max_inclusive: Option<&'static str>,
) -> DerivedBuiltIn {
    DerivedBuiltIn {
        name,
        base,
        min_inclusive,
        max_inclusive,
        whitespace: None,
        pattern: None,
        identity: Identity::None,
    }
}

/// XML names without a colon: `xs:NCName`, and `xs:ID` and `xs:IDREF`.
const NCNAME: &str = r"[\i-[:]][\c-[:]]*";

/// A name type: a token of a pattern (Part 2 §3.3.3 and §3.4.5 to §3.4.9).
const fn name_type(
    name: &'static str,
    pattern: &'static str,
    meaning: &'static str,
) -> DerivedBuiltIn {
    DerivedBuiltIn {
        whitespace: Some(WhiteSpace::Collapse),
        pattern: Some((pattern, meaning)),
        ..derived(name, BuiltIn::String, None, None)
    }
}

/// The derived built-in types supported, by name.
pub(crate) const DERIVED_BUILTINS: &[DerivedBuiltIn] = &[
    DerivedBuiltIn {
        whitespace: Some(WhiteSpace::Replace),
        ..derived("normalizedString", BuiltIn::String, None, None)
    },
    DerivedBuiltIn {
        whitespace: Some(WhiteSpace::Collapse),
        ..derived("token", BuiltIn::String, None, None)
    },
    // A double's lexical space and values; flowgate does not round to 32 bits.
    derived("float", BuiltIn::Double, None, None),
    derived("nonNegativeInteger", BuiltIn::Integer, Some("0"), None),
    derived("positiveInteger", BuiltIn::Integer, Some("1"), None),
    derived("nonPositiveInteger", BuiltIn::Integer, None, Some("0")),
    derived("negativeInteger", BuiltIn::Integer, None, Some("-1")),
    derived("short", BuiltIn::Int, Some("-32768"), Some("32767")),
    derived("byte", BuiltIn::Int, Some("-128"), Some("127")),
    derived("unsignedInt", BuiltIn::Long, Some("0"), Some("4294967295")),
    // Values are 64-bit signed integers, as for `xs:integer`: a larger one
    // is out of range, so the upper bound is implicit.
    derived("unsignedLong", BuiltIn::Integer, Some("0"), None),
    derived("unsignedShort", BuiltIn::Int, Some("0"), Some("65535")),
    derived("unsignedByte", BuiltIn::Int, Some("0"), Some("255")),
    name_type(
        "language",
        "[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*",
        "a language tag (such as en or pt-BR, xs:language)",
    ),
    name_type("Name", r"\i\c*", "an XML name (xs:Name)"),
    name_type("NCName", NCNAME, "an XML name without a colon (xs:NCName)"),
    name_type(
        "NMTOKEN",
        r"\c+",
        "a name token (XML name characters only, xs:NMTOKEN)",
    ),
    // NCNames that are unique in their document, or name one that is
    // (see `identity`). Not `ENTITY`: it names an entity of a DTD, which
    // documents may not have.
    DerivedBuiltIn {
        identity: Identity::Id,
        ..name_type("ID", NCNAME, "an XML name without a colon (xs:ID)")
    },
    DerivedBuiltIn {
        identity: Identity::IdRef,
        ..name_type("IDREF", NCNAME, "an XML name without a colon (xs:IDREF)")
    },
];

impl DerivedBuiltIn {
    pub(crate) fn by_name(name: &str) -> Option<&'static DerivedBuiltIn> {
        DERIVED_BUILTINS.iter().find(|d| d.name == name)
    }

    /// Its facets, as a restriction step of its base.
    pub(crate) fn facets(&self) -> Facets {
        let bound = |lexical: &str| {
            let atom = parse_lexical(self.base, lexical).ok()?;
            Some(Bound {
                lexical: lexical.to_owned(),
                number: Number::from_atom(atom)?,
            })
        };
        Facets {
            min_inclusive: self.min_inclusive.and_then(bound),
            max_inclusive: self.max_inclusive.and_then(bound),
            white_space: self.whitespace,
            // The patterns are this file's own; a test compiles each.
            patterns: self
                .pattern
                .and_then(|(source, meaning)| Pattern::defining(source, meaning).ok())
                .into_iter()
                .collect(),
            ..Facets::default()
        }
    }
}

/// The built-in list types flowgate supports, each with its item type:
/// a list of at least one item (`minLength 1`), as XML Schema derives them.
/// Not `ENTITIES`: its items are `ENTITY`, which names an entity of a DTD.
pub(crate) const LIST_BUILTINS: [(&str, &str); 2] = [("NMTOKENS", "NMTOKEN"), ("IDREFS", "IDREF")];

/// The `whiteSpace` facet: what happens to whitespace before a value is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhiteSpace {
    Preserve,
    /// Each tab, line feed and carriage return becomes a space.
    Replace,
    /// As `Replace`, then runs of spaces become one and the ends are trimmed.
    Collapse,
}

impl WhiteSpace {
    pub fn name(self) -> &'static str {
        match self {
            WhiteSpace::Preserve => "preserve",
            WhiteSpace::Replace => "replace",
            WhiteSpace::Collapse => "collapse",
        }
    }

    pub(crate) fn apply(self, text: &str) -> Cow<'_, str> {
        let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
        match self {
            WhiteSpace::Preserve => Cow::Borrowed(text),
            WhiteSpace::Replace if !text.contains(['\t', '\n', '\r']) => Cow::Borrowed(text),
            WhiteSpace::Replace => Cow::Owned(text.replace(['\t', '\n', '\r'], " ")),
            // The usual leaf (a number, a code) holds no whitespace at all.
            WhiteSpace::Collapse if !text.bytes().any(is_space_byte) => Cow::Borrowed(text),
            WhiteSpace::Collapse => {
                let trimmed = text.trim_matches(is_space);
                // Whitespace is ASCII, and no byte of another character is.
                let mut previous_space = false;
                let clean = trimmed.bytes().all(|b| {
                    let ok = b == b' ' && !previous_space || !is_space_byte(b);
                    previous_space = b == b' ';
                    ok
                });
                if clean {
                    return Cow::Borrowed(trimmed);
                }
                let mut out = String::with_capacity(trimmed.len());
                for word in trimmed.split(is_space).filter(|w| !w.is_empty()) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
                Cow::Owned(out)
            }
        }
    }
}

/// XML whitespace, which is ASCII; no byte of another character is one.
fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A checked leaf in the value space of its built-in type. Text stays with
/// the caller, which already holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Atom {
    Text,
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Atom {
    /// The template value: numbers and booleans typed, everything else the text.
    pub(crate) fn into_value(self, text: &str) -> Value {
        match self {
            Atom::Text => Value::from(text),
            Atom::Int(n) => Value::from(n),
            Atom::Float(x) => Value::from(x),
            Atom::Bool(b) => Value::from(b),
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Atom::Int(n) => Some(n as f64),
            Atom::Float(x) => Some(x),
            Atom::Text | Atom::Bool(_) => None,
        }
    }
}

/// A number in a bound facet, kept exact for integer types.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub(crate) fn from_atom(atom: Atom) -> Option<Number> {
        match atom {
            Atom::Int(n) => Some(Number::Int(n)),
            Atom::Float(x) => Some(Number::Float(x)),
            Atom::Text | Atom::Bool(_) => None,
        }
    }

    /// `value` compared with this bound; `None` when unordered (NaN).
    fn compare(self, value: Atom) -> Option<std::cmp::Ordering> {
        match (value, self) {
            (Atom::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (value, Number::Int(b)) => value.as_f64()?.partial_cmp(&(b as f64)),
            (value, Number::Float(b)) => value.as_f64()?.partial_cmp(&b),
        }
    }
}

/// A value a schema gives for a simple type, checked by it: one of an
/// `enumeration` facet, or a `default` or `fixed` value.
#[derive(Clone, Debug)]
pub struct EnumValue {
    /// As written in the schema, whitespace processed.
    pub lexical: String,
    pub(crate) atom: Atom,
}

impl EnumValue {
    /// Equality in the value space: `01` equals `1` for numbers.
    pub(crate) fn matches(&self, text: &str, atom: Atom) -> bool {
        same_value(&self.lexical, self.atom, text, atom)
    }
}

/// Equality of two checked values of one type, as [`EnumValue::matches`]
/// compares them.
fn same_value(a_text: &str, a: Atom, b_text: &str, b: Atom) -> bool {
    match (a, b) {
        (Atom::Text, Atom::Text) => a_text == b_text,
        (Atom::Int(a), Atom::Int(b)) => a == b,
        (Atom::Float(a), Atom::Float(b)) => a == b || a.is_nan() && b.is_nan(),
        (Atom::Bool(a), Atom::Bool(b)) => a == b,
        _ => false,
    }
}

/// A bound facet's value.
#[derive(Clone, Debug)]
pub struct Bound {
    /// As written in the schema.
    pub lexical: String,
    pub(crate) number: Number,
}

/// The facets of one restriction step. A value must satisfy every step of
/// its type's derivation; within a step, any one pattern and any one
/// enumeration value is enough, as XSD says.
#[derive(Clone, Debug, Default)]
pub struct Facets {
    pub enumeration: Vec<EnumValue>,
    pub patterns: Vec<Pattern>,
    pub length: Option<u64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_inclusive: Option<Bound>,
    pub max_inclusive: Option<Bound>,
    pub min_exclusive: Option<Bound>,
    pub max_exclusive: Option<Bound>,
    pub total_digits: Option<u32>,
    pub fraction_digits: Option<u32>,
    pub white_space: Option<WhiteSpace>,
}

impl Facets {
    pub fn is_empty(&self) -> bool {
        self.only_bounds()
            && self.bounds().iter().all(|(bound, _, _)| bound.is_none())
            && self.white_space.is_none()
    }

    /// Whether every facet of this step is a bound (its `whiteSpace` aside).
    fn only_bounds(&self) -> bool {
        self.enumeration.is_empty()
            && self.patterns.is_empty()
            && self.length.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.total_digits.is_none()
            && self.fraction_digits.is_none()
    }

    /// Checks a value that already passed its built-in type's lexical rules.
    pub(crate) fn check(&self, builtin: BuiltIn, text: &str, atom: Atom) -> Result<(), String> {
        if !self.enumeration.is_empty() && !self.enumeration.iter().any(|e| e.matches(text, atom)) {
            return Err(self.not_enumerated(text));
        }
        self.check_patterns(text)?;
        self.check_length(builtin, text)?;
        self.check_bounds(text, atom)?;
        self.check_digits(text)
    }

    /// [`check`](Self::check) for a list of `items` (of the type `item`),
    /// written `text`: enumeration values are compared item by item, and
    /// the length facets count items.
    pub(crate) fn check_list(
        &self,
        types: &[SimpleType],
        item: SimpleTypeRef,
        text: &str,
        items: &[(Cow<'_, str>, Atom)],
    ) -> Result<(), String> {
        let same = |lexical: &str| {
            let mut tokens = lexical.split(' ').filter(|t| !t.is_empty());
            items.iter().all(|(text, atom)| {
                tokens
                    .next()
                    .is_some_and(|token| match check(types, item, token) {
                        Ok((lexical, expected)) => same_value(&lexical, expected, text, *atom),
                        Err(_) => false,
                    })
            }) && tokens.next().is_none()
        };
        if !self.enumeration.is_empty() && !self.enumeration.iter().any(|e| same(&e.lexical)) {
            return Err(self.not_enumerated(text));
        }
        self.check_patterns(text)?;
        self.check_count(items.len() as u64, "items", text)
    }

    fn not_enumerated(&self, text: &str) -> String {
        let mut allowed = String::new();
        for (i, value) in self.enumeration.iter().enumerate() {
            if i == 10 {
                allowed.push_str(", …");
                break;
            }
            if i > 0 {
                allowed.push_str(", ");
            }
            allowed.push_str(&quoted(&value.lexical));
        }
        format!("{} is not one of {allowed}", quoted(text))
    }

    fn check_patterns(&self, text: &str) -> Result<(), String> {
        if !self.patterns.is_empty() && !self.patterns.iter().any(|p| p.is_match(text)) {
            if let [pattern] = &self.patterns[..]
                && let Some(meaning) = pattern.meaning()
            {
                return Err(format!("{} is not {meaning}", quoted(text)));
            }
            let which = if self.patterns.len() == 1 {
                format!("the pattern {}", quoted(self.patterns[0].source()))
            } else {
                "any of the allowed patterns".to_owned()
            };
            return Err(format!("{} does not match {which}", quoted(text)));
        }
        Ok(())
    }

    fn check_length(&self, builtin: BuiltIn, text: &str) -> Result<(), String> {
        if self.length.is_none() && self.min_length.is_none() && self.max_length.is_none() {
            return Ok(());
        }
        let (length, unit) = match builtin {
            BuiltIn::Base64Binary => (base64_length(text), "bytes"),
            BuiltIn::HexBinary => (text.len() as u64 / 2, "bytes"),
            _ => (text.chars().count() as u64, "characters"),
        };
        self.check_count(length, unit, text)
    }

    /// The length facets against a length counted in `unit`s.
    fn check_count(&self, length: u64, unit: &str, text: &str) -> Result<(), String> {
        let problem = if self.length.is_some_and(|n| length != n) {
            self.length.map(|n| format!("exactly {n}"))
        } else if self.min_length.is_some_and(|n| length < n) {
            self.min_length.map(|n| format!("at least {n}"))
        } else if self.max_length.is_some_and(|n| length > n) {
            self.max_length.map(|n| format!("at most {n}"))
        } else {
            None
        };
        match problem {
            Some(expected) => Err(format!(
                "{} has {length} {unit}, expected {expected}",
                quoted(text)
            )),
            None => Ok(()),
        }
    }

    /// Each bound facet with the orderings of the value it allows, and
    /// what a value outside it is.
    fn bounds(&self) -> [BoundFacet<'_>; 4] {
        use std::cmp::Ordering::{Greater, Less};
        [
            (&self.min_inclusive, |o| o != Less, "less than the minimum"),
            (&self.min_exclusive, |o| o == Greater, "not greater than"),
            (
                &self.max_inclusive,
                |o| o != Greater,
                "greater than the maximum",
            ),
            (&self.max_exclusive, |o| o == Less, "not less than"),
        ]
    }

    fn check_bounds(&self, text: &str, atom: Atom) -> Result<(), String> {
        for (bound, allows, problem) in self.bounds() {
            if let Some(bound) = bound
                && !bound.number.compare(atom).is_some_and(allows)
            {
                return Err(format!("{text} is {problem} {}", bound.lexical));
            }
        }
        Ok(())
    }

    /// Whether the bound facets are all this step has (its `whiteSpace`
    /// aside), and `atom` is within them.
    fn only_bounds_admit(&self, atom: Atom) -> bool {
        self.only_bounds()
            && self.bounds().into_iter().all(|(bound, allows, _)| {
                bound
                    .as_ref()
                    .is_none_or(|bound| bound.number.compare(atom).is_some_and(allows))
            })
    }

    fn check_digits(&self, text: &str) -> Result<(), String> {
        if self.total_digits.is_none() && self.fraction_digits.is_none() {
            return Ok(());
        }
        let (total, fraction) = significant_digits(text);
        if let Some(max) = self.total_digits
            && total > max
        {
            return Err(format!("{} has more than {max} digits", quoted(text)));
        }
        if let Some(max) = self.fraction_digits
            && fraction > max
        {
            return Err(format!(
                "{} has more than {max} fraction digits",
                quoted(text)
            ));
        }
        Ok(())
    }
}

/// A bound facet, the orderings of the value it allows and what a value
/// outside it is (see [`Facets::bounds`]).
type BoundFacet<'f> = (
    &'f Option<Bound>,
    fn(std::cmp::Ordering) -> bool,
    &'static str,
);

/// Digits of a decimal's value, as `totalDigits` and `fractionDigits` count
/// them: leading zeros and trailing fraction zeros do not count.
fn significant_digits(text: &str) -> (u32, u32) {
    let unsigned = text.trim_start_matches(['+', '-']);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let count = |s: &str| u32::try_from(s.len()).unwrap_or(u32::MAX);
    (
        count(whole).saturating_add(count(fraction)),
        count(fraction),
    )
}

/// A value echoed in a message, quoted and cut short.
pub(crate) fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut out = String::from("\"");
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => {
            out.push_str(&text[..cut]);
            out.push('…');
        }
        None => out.push_str(text),
    }
    out.push('"');
    out
}

/// Whitespace handling, the built-in type's lexical rules and every facet
/// of the derivation of `simple` in `types`: the text to keep and its
/// value.
pub(crate) fn check<'t>(
    types: &[SimpleType],
    simple: SimpleTypeRef,
    raw: &'t str,
) -> Result<(Cow<'t, str>, Atom), String> {
    let simple_type = &types[simple.0 as usize];
    if !simple_type.members.is_empty() {
        return check_union(types, simple_type, raw);
    }
    if let Some(item) = simple_type.item {
        return check_list(types, simple_type, item, raw, None);
    }
    let text = simple_type.whitespace.apply(raw);
    let atom = parse_lexical(simple_type.builtin, &text)?;
    let mut step = simple_type;
    // Built-in types (no base) have no facets.
    while let Some(base) = step.base {
        step.facets.check(step.builtin, &text, atom)?;
        step = &types[base.0 as usize];
    }
    Ok((text, atom))
}

/// [`check`] for a list or a restriction of one: each item by the item
/// type, then the facets of the restriction steps. The text is the items
/// separated by single spaces; its atom is text. The items' values go to
/// `values` when it is given (see [`check_value`]).
fn check_list<'t>(
    types: &[SimpleType],
    list: &SimpleType,
    item: SimpleTypeRef,
    raw: &'t str,
    values: Option<&mut Vec<Value>>,
) -> Result<(Cow<'t, str>, Atom), String> {
    let text = WhiteSpace::Collapse.apply(raw);
    {
        let mut items = Vec::new();
        for (i, token) in text.split(' ').filter(|t| !t.is_empty()).enumerate() {
            let checked = check(types, item, token).map_err(|e| format!("item {}: {e}", i + 1))?;
            items.push(checked);
        }
        let mut step = list;
        while let Some(base) = step.base {
            step.facets.check_list(types, item, &text, &items)?;
            step = &types[base.0 as usize];
        }
        if let Some(values) = values {
            values.extend(items.iter().map(|(text, atom)| atom.into_value(text)));
        }
    }
    Ok((text, Atom::Text))
}

/// [`check`] and the value it gives, in one pass: the atom's value, or
/// for a list type the list of its items' values.
pub(crate) fn check_value<'t>(
    types: &[SimpleType],
    simple: SimpleTypeRef,
    raw: &'t str,
) -> Result<(Cow<'t, str>, Atom, Value), String> {
    let simple_type = &types[simple.0 as usize];
    if simple_type.is_plain_string() {
        return Ok((Cow::Borrowed(raw), Atom::Text, Value::from(raw)));
    }
    if let Some(atom) = quick_number(types, simple_type, raw) {
        return Ok((Cow::Borrowed(raw), atom, atom.into_value(raw)));
    }
    match simple_type.item {
        Some(item) if simple_type.members.is_empty() => {
            let mut values = Vec::new();
            let (text, atom) = check_list(types, simple_type, item, raw, Some(&mut values))?;
            Ok((text, atom, Value::from(values)))
        }
        _ => {
            let (text, atom) = check(types, simple, raw)?;
            let value = atom.into_value(&text);
            Ok((text, atom, value))
        }
    }
}

/// The value of the everyday numeric leaf, which [`check`] would give
/// too: text without whitespace that is an `xs:int`, `xs:integer`,
/// `xs:long` or short `xs:decimal` (see [`short_decimal_value`]) within
/// the bound facets, if any, of a derivation that has no other facets.
/// `None` for every other text and type, and for a value that fails: the
/// general path says why.
fn quick_number(types: &[SimpleType], simple_type: &SimpleType, raw: &str) -> Option<Atom> {
    if !simple_type.members.is_empty() || simple_type.item.is_some() {
        return None;
    }
    let atom = match simple_type.builtin {
        BuiltIn::Int => Atom::Int(integer_value(raw)?.filter(|n| i32::try_from(*n).is_ok())?),
        BuiltIn::Integer | BuiltIn::Long => Atom::Int(integer_value(raw)??),
        BuiltIn::Decimal => Atom::Float(short_decimal_value(raw)?),
        _ => return None,
    };
    let mut step = simple_type;
    while let Some(base) = step.base {
        if !step.facets.only_bounds_admit(atom) {
            return None;
        }
        step = types.get(base.0 as usize)?;
    }
    Some(atom)
}

/// [`check`] for a union or a restriction of one: the value of the first
/// member type that accepts the text (with that member's whitespace rule),
/// then the facets of the restriction steps (`pattern` and `enumeration`)
/// on it.
fn check_union<'t>(
    types: &[SimpleType],
    union: &SimpleType,
    raw: &'t str,
) -> Result<(Cow<'t, str>, Atom), String> {
    let mut refusals = Vec::new();
    let mut accepted = None;
    for &member in &union.members {
        match check(types, member, raw) {
            Ok(value) => {
                accepted = Some(value);
                break;
            }
            Err(message) => refusals.push(message),
        }
    }
    let Some((text, atom)) = accepted else {
        return Err(format!(
            "{} is none of the union's member types ({})",
            quoted(raw),
            refusals.join("; ")
        ));
    };
    let mut step = union;
    while let Some(base) = step.base {
        step.facets.check(step.builtin, &text, atom)?;
        step = &types[base.0 as usize];
    }
    Ok((text, atom))
}

/// Checks `text` (whitespace already processed) against a built-in type's
/// lexical rules and gives its value.
pub(crate) fn parse_lexical(builtin: BuiltIn, text: &str) -> Result<Atom, String> {
    let invalid = |what: &str| Err(format!("{} is not {what}", quoted(text)));
    match builtin {
        BuiltIn::String | BuiltIn::AnyUri => Ok(Atom::Text),
        BuiltIn::Boolean => match text {
            "true" | "1" => Ok(Atom::Bool(true)),
            "false" | "0" => Ok(Atom::Bool(false)),
            _ => invalid("a boolean (true, false, 1 or 0)"),
        },
        BuiltIn::Int | BuiltIn::Integer | BuiltIn::Long => {
            let Some(value) = integer_value(text) else {
                return invalid("an integer");
            };
            let range = match builtin {
                BuiltIn::Int => "xs:int",
                BuiltIn::Long => "xs:long",
                _ => "a 64-bit integer",
            };
            match value {
                Some(n) if builtin != BuiltIn::Int || i32::try_from(n).is_ok() => Ok(Atom::Int(n)),
                _ => Err(format!("{} is out of range for {range}", quoted(text))),
            }
        }
        BuiltIn::Decimal => match decimal_end(text.as_bytes(), 0) {
            Some(end)
                if end == text.len()
                    && let Some(x) = short_decimal_value(text) =>
            {
                Ok(Atom::Float(x))
            }
            // Decimals are computed with as 64-bit floats: one beyond
            // their range would be infinite, which no step can use.
            Some(end) if end == text.len() => match parse_float(text) {
                Ok(Atom::Float(float)) if float.is_infinite() => Err(format!(
                    "{} is out of range: a decimal is at most about 1.8e308",
                    quoted(text)
                )),
                parsed => parsed,
            },
            _ => invalid("a decimal number"),
        },
        BuiltIn::Double => match text {
            "INF" => Ok(Atom::Float(f64::INFINITY)),
            "-INF" => Ok(Atom::Float(f64::NEG_INFINITY)),
            "NaN" => Ok(Atom::Float(f64::NAN)),
            _ if is_double_lexical(text) => parse_float(text),
            _ => invalid("a number"),
        },
        BuiltIn::Date => {
            let b = text.as_bytes();
            let mut at = 0;
            if date(b, &mut at) && timezone(b, &mut at) && at == b.len() {
                Ok(Atom::Text)
            } else {
                invalid("a date (YYYY-MM-DD)")
            }
        }
        BuiltIn::DateTime => {
            let b = text.as_bytes();
            let mut at = 0;
            let valid = date(b, &mut at)
                && eat(b, &mut at, b'T')
                && time(b, &mut at)
                && timezone(b, &mut at)
                && at == b.len();
            if valid {
                Ok(Atom::Text)
            } else {
                invalid("a date and time (YYYY-MM-DDThh:mm:ss)")
            }
        }
        BuiltIn::Time => {
            let b = text.as_bytes();
            let mut at = 0;
            if time(b, &mut at) && timezone(b, &mut at) && at == b.len() {
                Ok(Atom::Text)
            } else {
                invalid("a time (hh:mm:ss)")
            }
        }
        BuiltIn::Base64Binary => {
            if is_base64(text) {
                Ok(Atom::Text)
            } else {
                invalid("base64")
            }
        }
        BuiltIn::HexBinary => {
            if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(Atom::Text)
            } else {
                invalid("hexadecimal octets (pairs of 0-9, a-f, A-F)")
            }
        }
        BuiltIn::Duration => {
            if is_duration(text.as_bytes()) {
                Ok(Atom::Text)
            } else {
                invalid("a duration (such as P1Y2M3DT4H5M6.5S or -PT15M)")
            }
        }
        BuiltIn::GYear
        | BuiltIn::GYearMonth
        | BuiltIn::GMonthDay
        | BuiltIn::GDay
        | BuiltIn::GMonth => {
            let b = text.as_bytes();
            let mut at = 0;
            if calendar_part(builtin, b, &mut at) && timezone(b, &mut at) && at == b.len() {
                Ok(Atom::Text)
            } else {
                invalid(match builtin {
                    BuiltIn::GYear => "a year (YYYY)",
                    BuiltIn::GYearMonth => "a year and month (YYYY-MM)",
                    BuiltIn::GMonthDay => "a month and day (--MM-DD)",
                    BuiltIn::GDay => "a day of the month (---DD)",
                    _ => "a month (--MM)",
                })
            }
        }
    }
}

fn parse_float(text: &str) -> Result<Atom, String> {
    text.parse::<f64>()
        .map(Atom::Float)
        .map_err(|_| format!("{} is not a number", quoted(text)))
}

/// An integer `[+-]?[0-9]+` and its value, read in one pass: `None` when
/// the text is no integer, `Some(None)` when it is one beyond 64 bits.
fn integer_value(text: &str) -> Option<Option<i64>> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        digits => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    // Summed below zero, which reaches one further than above: i64::MIN.
    let mut sum = Some(0i64);
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        sum = sum
            .and_then(|n| n.checked_mul(10))
            .and_then(|n| n.checked_sub(i64::from(d - b'0')));
    }
    Some(if negative {
        sum
    } else {
        sum.and_then(i64::checked_neg)
    })
}

/// The value of a decimal `[+-]?(d+(.d*)?|.d+)` when it is short (at most
/// 16 bytes after its sign) and its digits, as an integer, are below 2^53:
/// that integer and the power of ten of its fraction are both exact
/// doubles, so their quotient is the correctly rounded value, the double
/// `str::parse` gives, without a general float parse. `None` for any
/// other decimal, and for text that is none.
fn short_decimal_value(text: &str) -> Option<f64> {
    /// The powers of ten up to a 15-digit fraction, each an exact double.
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, unsigned) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        unsigned => (false, unsigned),
    };
    if unsigned.len() > 16 {
        return None;
    }
    // At most 16 digits: no overflow.
    let mut digits = 0u64;
    let mut fraction = None;
    for (i, &b) in unsigned.iter().enumerate() {
        match b {
            b'.' if fraction.is_none() => fraction = Some(unsigned.len() - i - 1),
            b'0'..=b'9' => digits = digits * 10 + u64::from(b - b'0'),
            _ => return None,
        }
    }
    // Not `.` alone (nor nothing).
    if unsigned.len() == usize::from(fraction.is_some()) || digits >= 1 << 53 {
        return None;
    }
    // Exact: below 2^53.
    let magnitude = digits as f64 / POWERS.get(fraction.unwrap_or(0))?;
    Some(if negative { -magnitude } else { magnitude })
}

/// The end of a decimal `[+-]?(d+(.d*)?|.d+)` starting at `at`, if there is one.
fn decimal_end(b: &[u8], mut at: usize) -> Option<usize> {
    if matches!(b.get(at), Some(b'+' | b'-')) {
        at += 1;
    }
    let whole = digits(b, &mut at);
    let mut fraction = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        fraction = digits(b, &mut at);
    }
    (whole + fraction > 0).then_some(at)
}

fn is_double_lexical(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(mut at) = decimal_end(b, 0) else {
        return false;
    };
    if matches!(b.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(b.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if digits(b, &mut at) == 0 {
            return false;
        }
    }
    at == b.len()
}

fn digits(b: &[u8], at: &mut usize) -> usize {
    let start = *at;
    while b.get(*at).is_some_and(u8::is_ascii_digit) {
        *at += 1;
    }
    *at - start
}

/// Exactly `count` digits as a number.
fn fixed_digits(b: &[u8], at: &mut usize, count: usize) -> Option<u32> {
    let part = b.get(*at..*at + count)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *at += count;
    Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn eat(b: &[u8], at: &mut usize, expected: u8) -> bool {
    if b.get(*at) == Some(&expected) {
        *at += 1;
        true
    } else {
        false
    }
}

/// `-?YYYY-MM-DD`: at least four year digits (more only without a leading
/// zero), no year 0000, and a day that exists in that month.
fn date(b: &[u8], at: &mut usize) -> bool {
    let Some(year) = year(b, at) else {
        return false;
    };
    if !eat(b, at, b'-') {
        return false;
    }
    let Some(month) = fixed_digits(b, at, 2) else {
        return false;
    };
    if !eat(b, at, b'-') {
        return false;
    }
    let Some(day) = fixed_digits(b, at, 2) else {
        return false;
    };
    day_exists(Some(year), month, day)
}

/// `-?YYYY`: at least four digits (more only without a leading zero), not 0000.
fn year(b: &[u8], at: &mut usize) -> Option<u64> {
    eat(b, at, b'-');
    let year_start = *at;
    let year_digits = digits(b, at);
    let year_text = &b[year_start..*at];
    if year_digits < 4 || year_digits > 4 && year_text[0] == b'0' || year_digits > 9 {
        return None;
    }
    let year = year_text
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    (year != 0).then_some(year)
}

/// Whether `day` is a day of `month`; without a year, February has 29.
fn day_exists(year: Option<u64>, month: u32, day: u32) -> bool {
    let leap = year.is_none_or(|year| year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// A month: two digits, 01 to 12.
fn month(b: &[u8], at: &mut usize) -> Option<u32> {
    fixed_digits(b, at, 2).filter(|month| (1..=12).contains(month))
}

/// The parts of a date the `g…` types hold, before their timezone:
/// `YYYY`, `YYYY-MM`, `--MM-DD`, `---DD`, `--MM`.
fn calendar_part(builtin: BuiltIn, b: &[u8], at: &mut usize) -> bool {
    match builtin {
        BuiltIn::GYear => year(b, at).is_some(),
        BuiltIn::GYearMonth => year(b, at).is_some() && eat(b, at, b'-') && month(b, at).is_some(),
        BuiltIn::GMonthDay => {
            if !(eat(b, at, b'-') && eat(b, at, b'-')) {
                return false;
            }
            let Some(month) = month(b, at) else {
                return false;
            };
            eat(b, at, b'-')
                && fixed_digits(b, at, 2).is_some_and(|day| day_exists(None, month, day))
        }
        BuiltIn::GDay => {
            (0..3).all(|_| eat(b, at, b'-'))
                && fixed_digits(b, at, 2).is_some_and(|day| (1..=31).contains(&day))
        }
        BuiltIn::GMonth => eat(b, at, b'-') && eat(b, at, b'-') && month(b, at).is_some(),
        _ => false,
    }
}

/// `-?PnYnMnDTnHnMnS`: each part optional and in this order, at least one
/// present, a `T` only before a time part, a fraction only on the seconds.
fn is_duration(b: &[u8]) -> bool {
    let mut at = 0;
    eat(b, &mut at, b'-');
    if !eat(b, &mut at, b'P') {
        return false;
    }
    let Some(date_parts) = duration_parts(b, &mut at, b"YMD") else {
        return false;
    };
    let time_parts = if eat(b, &mut at, b'T') {
        match duration_parts(b, &mut at, b"HMS") {
            Some(0) | None => return false,
            Some(parts) => parts,
        }
    } else {
        0
    };
    date_parts + time_parts > 0 && at == b.len()
}

/// The parts of one half of a duration (`nYnMnD` or `nHnMnS`), each digits
/// then one of `letters` in their order; only the seconds (`S`) take a
/// fraction. Stops before anything that is not digits; `None` when a part
/// is broken.
fn duration_parts(b: &[u8], at: &mut usize, letters: &[u8]) -> Option<usize> {
    let mut next = 0;
    let mut parts = 0;
    while b.get(*at).is_some_and(u8::is_ascii_digit) {
        digits(b, at);
        let fraction = eat(b, at, b'.');
        if fraction && digits(b, at) == 0 {
            return None;
        }
        let found = letters[next..].iter().position(|l| b.get(*at) == Some(l))?;
        let letter = letters[next + found];
        if fraction && letter != b'S' {
            return None;
        }
        *at += 1;
        next += found + 1;
        parts += 1;
    }
    Some(parts)
}

/// `hh:mm:ss(.s+)?`; `24:00:00` is the end of a day.
fn time(b: &[u8], at: &mut usize) -> bool {
    let Some(hour) = fixed_digits(b, at, 2) else {
        return false;
    };
    if !eat(b, at, b':') {
        return false;
    }
    let Some(minute) = fixed_digits(b, at, 2) else {
        return false;
    };
    if !eat(b, at, b':') {
        return false;
    }
    let Some(second) = fixed_digits(b, at, 2) else {
        return false;
    };
    let mut fraction_is_zero = true;
    if eat(b, at, b'.') {
        let start = *at;
        if digits(b, at) == 0 {
            return false;
        }
        fraction_is_zero = b[start..*at].iter().all(|&d| d == b'0');
    }
    if hour == 24 {
        return minute == 0 && second == 0 && fraction_is_zero;
    }
    hour < 24 && minute < 60 && second < 60
}

/// An optional `Z` or `±hh:mm` up to 14:00.
fn timezone(b: &[u8], at: &mut usize) -> bool {
    match b.get(*at) {
        None => true,
        Some(b'Z') => {
            *at += 1;
            true
        }
        Some(b'+' | b'-') => {
            *at += 1;
            let Some(hour) = fixed_digits(b, at, 2) else {
                return false;
            };
            if !eat(b, at, b':') {
                return false;
            }
            let Some(minute) = fixed_digits(b, at, 2) else {
                return false;
            };
            hour < 14 && minute < 60 || hour == 14 && minute == 0
        }
        Some(_) => false,
    }
}

fn is_base64_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// base64Binary after whitespace collapse: groups of four characters (single
/// spaces allowed between characters), `=` padding only at the end, and the
/// unused bits before padding zero, as XSD's grammar requires.
fn is_base64(text: &str) -> bool {
    if text.contains("  ") {
        return false;
    }
    let chars: Vec<u8> = text.bytes().filter(|&b| b != b' ').collect();
    if !chars.len().is_multiple_of(4) {
        return false;
    }
    let padding = chars.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &chars[..chars.len() - padding];
    if padding > 2 || !body.iter().all(|&b| is_base64_char(b)) {
        return false;
    }
    let Some(&last) = body.last() else {
        return padding == 0;
    };
    match padding {
        1 => b"AEIMQUYcgkosw048".contains(&last),
        2 => b"AQgw".contains(&last),
        _ => true,
    }
}

/// Decoded bytes of a checked base64 text.
fn base64_length(text: &str) -> u64 {
    let chars = text.bytes().filter(|&b| b != b' ').count() as u64;
    let padding = text
        .bytes()
        .rev()
        .filter(|&b| b != b' ')
        .take_while(|&b| b == b'=')
        .count() as u64;
    (chars / 4 * 3).saturating_sub(padding)
}

/// How `write` spells a number for a built-in type, or why it cannot.
pub(crate) fn number_text(builtin: BuiltIn, value: &Value) -> Result<String, String> {
    let out_of_range = || Err(format!("{value} is out of range for a 64-bit integer"));
    if value.is_integer() {
        match i64::try_from(value.clone()) {
            Ok(n) => return Ok(n.to_string()),
            Err(_) if builtin.is_integer() => return out_of_range(),
            // Beyond 64 bits: a double holds it as a float; a decimal or a
            // string keeps every digit.
            Err(_) if builtin == BuiltIn::Double => {}
            Err(_) => {
                if let Some(wide) = crate::doc::json::wide_integer(value) {
                    return Ok(wide);
                }
            }
        }
    }
    let Ok(x) = f64::try_from(value.clone()) else {
        return Err(format!("{value} is not a number"));
    };
    match builtin {
        BuiltIn::Int | BuiltIn::Integer | BuiltIn::Long => {
            // 2^63: integral floats below it are written as integers,
            // without needless decimals.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if x.fract() != 0.0 || !x.is_finite() {
                Err(format!("{value} is not an integer"))
            } else if x.abs() >= LIMIT {
                out_of_range()
            } else {
                Ok(format!("{x:.0}"))
            }
        }
        BuiltIn::Double if x.is_nan() => Ok("NaN".to_owned()),
        BuiltIn::Double if x.is_infinite() => Ok(if x > 0.0 { "INF" } else { "-INF" }.to_owned()),
        // Debug is the shortest form that reads back exactly, exponent included.
        BuiltIn::Double => Ok(format!("{x:?}")),
        _ if x.is_finite() => Ok(format!("{x}")),
        _ => Err(format!("{value} is not a decimal number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(builtin: BuiltIn, text: &str) -> Result<Atom, String> {
        parse_lexical(builtin, text)
    }

    #[test]
    fn integers() {
        assert_eq!(parsed(BuiltIn::Int, "+42"), Ok(Atom::Int(42)));
        assert_eq!(parsed(BuiltIn::Int, "-007"), Ok(Atom::Int(-7)));
        assert_eq!(
            parsed(BuiltIn::Int, "abc"),
            Err("\"abc\" is not an integer".into())
        );
        assert!(parsed(BuiltIn::Int, "1.0").is_err());
        assert!(parsed(BuiltIn::Int, "").is_err());
        assert!(parsed(BuiltIn::Int, "+").is_err());
        assert_eq!(
            parsed(BuiltIn::Int, "2147483647"),
            Ok(Atom::Int(i32::MAX.into()))
        );
        assert_eq!(
            parsed(BuiltIn::Int, "2147483648"),
            Err("\"2147483648\" is out of range for xs:int".into())
        );
        assert_eq!(
            parsed(BuiltIn::Long, "-9223372036854775808"),
            Ok(Atom::Int(i64::MIN))
        );
        assert!(parsed(BuiltIn::Long, "9223372036854775808").is_err());
        assert_eq!(
            parsed(BuiltIn::Integer, "99999999999999999999"),
            Err("\"99999999999999999999\" is out of range for a 64-bit integer".into())
        );
    }

    #[test]
    fn decimals_and_doubles() {
        assert_eq!(parsed(BuiltIn::Decimal, "12.50"), Ok(Atom::Float(12.5)));
        assert_eq!(parsed(BuiltIn::Decimal, "-.5"), Ok(Atom::Float(-0.5)));
        assert_eq!(parsed(BuiltIn::Decimal, "3."), Ok(Atom::Float(3.0)));
        let huge = format!("1{}", "0".repeat(309));
        assert!(
            parsed(BuiltIn::Decimal, &huge)
                .unwrap_err()
                .contains("out of range")
        );
        for bad in ["", ".", "1e3", "INF", "1,5", "--1", "1.2.3"] {
            assert!(parsed(BuiltIn::Decimal, bad).is_err(), "{bad}");
        }
        assert_eq!(parsed(BuiltIn::Double, "1E3"), Ok(Atom::Float(1000.0)));
        assert_eq!(
            parsed(BuiltIn::Double, "-INF"),
            Ok(Atom::Float(f64::NEG_INFINITY))
        );
        assert!(matches!(parsed(BuiltIn::Double, "NaN"), Ok(Atom::Float(x)) if x.is_nan()));
        for bad in ["inf", "nan", "+INF", "1e", "e3", "1e+"] {
            assert!(parsed(BuiltIn::Double, bad).is_err(), "{bad}");
        }
    }

    /// What `parse_lexical` read before it had its own integer and
    /// decimal readers: the lexical check, then the standard library's parse.
    fn parsed_by_std(builtin: BuiltIn, text: &str) -> Result<Atom, String> {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        match builtin {
            BuiltIn::Int | BuiltIn::Integer | BuiltIn::Long => {
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("{} is not an integer", quoted(text)));
                }
                let range = match builtin {
                    BuiltIn::Int => "xs:int",
                    BuiltIn::Long => "xs:long",
                    _ => "a 64-bit integer",
                };
                match text.parse::<i64>() {
                    Ok(n) if builtin != BuiltIn::Int || i32::try_from(n).is_ok() => {
                        Ok(Atom::Int(n))
                    }
                    _ => Err(format!("{} is out of range for {range}", quoted(text))),
                }
            }
            BuiltIn::Decimal if decimal_end(text.as_bytes(), 0) == Some(text.len()) => {
                parse_float(text)
            }
            _ => parse_lexical(builtin, text),
        }
    }

    /// Floats compared by their bits: `-0` is not `0`.
    fn same_bits(a: &Result<Atom, String>, b: &Result<Atom, String>) -> bool {
        match (a, b) {
            (Ok(Atom::Float(x)), Ok(Atom::Float(y))) => x.to_bits() == y.to_bits(),
            _ => a == b,
        }
    }

    proptest::proptest! {
        /// Integers are read in one pass to the same value, or the same
        /// refusal, as a lexical check and `str::parse` give.
        #[test]
        fn integers_read_as_std_parses_them(
            text in "[+-]?[0-9]{0,21}|[+-]?[0-9]{1,5}[ .a+-][0-9]{0,3}|[+-]?(214748364[6-9]|922337203685477580[6-9])"
        ) {
            for builtin in [BuiltIn::Int, BuiltIn::Integer, BuiltIn::Long] {
                proptest::prop_assert_eq!(parsed(builtin, &text), parsed_by_std(builtin, &text));
            }
        }

        /// Short decimals are divided out exactly as `str::parse` rounds
        /// them; long ones go to it.
        #[test]
        fn decimals_read_as_std_parses_them(
            text in "[+-]?[0-9]{0,20}(\\.[0-9]{0,20})?|[+-]?9007199254740(99[0-9]|100[0-9])(\\.[0-9])?"
        ) {
            let ours = parsed(BuiltIn::Decimal, &text);
            let std = parsed_by_std(BuiltIn::Decimal, &text);
            proptest::prop_assert!(same_bits(&ours, &std), "{:?}: {:?} != {:?}", text, ours, std);
        }
    }

    /// Numeric types as partners write them: built-in, restricted by
    /// bounds only, and restricted by other facets too.
    fn numeric_types() -> Vec<SimpleType> {
        let builtin = SimpleType::of_builtin;
        let restricted = |base: u32, facets: Facets| SimpleType {
            name: None,
            base: Some(SimpleTypeRef(base)),
            facets,
            ..builtin(builtin_of(base))
        };
        let bound = |lexical: &str, number: Number| {
            Some(Bound {
                lexical: lexical.to_owned(),
                number,
            })
        };
        vec![
            builtin(BuiltIn::Int),
            builtin(BuiltIn::Integer),
            builtin(BuiltIn::Long),
            builtin(BuiltIn::Decimal),
            // 4: 1 to 999, as a quantity.
            restricted(
                0,
                Facets {
                    min_inclusive: bound("1", Number::Int(1)),
                    max_inclusive: bound("999", Number::Int(999)),
                    ..Facets::default()
                },
            ),
            // 5: above 0, below 100.5.
            restricted(
                3,
                Facets {
                    min_exclusive: bound("0", Number::Float(0.0)),
                    max_exclusive: bound("100.5", Number::Float(100.5)),
                    ..Facets::default()
                },
            ),
            // 6: a restriction of 4, bounds again.
            restricted(
                4,
                Facets {
                    max_inclusive: bound("50", Number::Int(50)),
                    ..Facets::default()
                },
            ),
            // 7: other facets, left to the general path.
            restricted(
                3,
                Facets {
                    total_digits: Some(3),
                    ..Facets::default()
                },
            ),
            restricted(
                1,
                Facets {
                    enumeration: vec![EnumValue {
                        lexical: "7".to_owned(),
                        atom: Atom::Int(7),
                    }],
                    ..Facets::default()
                },
            ),
        ]
    }

    /// The built-in type at the root of `numeric_types()[base]`.
    fn builtin_of(base: u32) -> BuiltIn {
        [
            BuiltIn::Int,
            BuiltIn::Integer,
            BuiltIn::Long,
            BuiltIn::Decimal,
            BuiltIn::Int,
        ][base as usize]
    }

    proptest::proptest! {
        /// Numbers that take the quick path read to what the general path
        /// gives them; the rest go the general path's way.
        #[test]
        fn numbers_read_as_the_general_path_reads_them(
            text in "[+-]?[0-9]{0,20}(\\.[0-9]{0,4})?|[ \t]?[0-9]{1,3}[ \n]?|[0-9]{1,3}[a.e+][0-9]{0,2}|[0-9]{2,3}|100\\.[45][0-9]?"
        ) {
            let types = numeric_types();
            for simple in 0..types.len() {
                let simple = SimpleTypeRef(u32::try_from(simple).unwrap());
                let general = check(&types, simple, &text)
                    .map(|(text, atom)| (text.clone(), atom, atom.into_value(&text)));
                proptest::prop_assert_eq!(check_value(&types, simple, &text), general, "{:?}", simple);
            }
        }
    }

    /// `xs:string` is read without the general path, to the same text and value.
    #[test]
    fn plain_strings_read_as_the_general_path_reads_them() {
        let types = [SimpleType::of_builtin(BuiltIn::String)];
        assert!(types[0].is_plain_string());
        let string = SimpleTypeRef(0);
        for raw in [
            "",
            " ",
            "Ada",
            " a\t b \n",
            "Babbage & Sons",
            "é€😀",
            &"x".repeat(40),
        ] {
            let (text, atom, value) = check_value(&types, string, raw).unwrap();
            let (general_text, general_atom) = check(&types, string, raw).unwrap();
            assert_eq!((&text, atom), (&general_text, general_atom), "{raw:?}");
            assert_eq!(value, general_atom.into_value(&general_text), "{raw:?}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parsed(BuiltIn::Boolean, "1"), Ok(Atom::Bool(true)));
        assert_eq!(parsed(BuiltIn::Boolean, "false"), Ok(Atom::Bool(false)));
        assert!(parsed(BuiltIn::Boolean, "True").is_err());
        assert!(parsed(BuiltIn::Boolean, "yes").is_err());
    }

    #[test]
    fn dates_and_times() {
        for good in [
            "2024-02-29",
            "2000-02-29",
            "2023-12-31Z",
            "2023-01-01+14:00",
            "-0044-03-15",
            "12024-01-01",
        ] {
            assert!(parsed(BuiltIn::Date, good).is_ok(), "{good}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2023-13-01",
            "2023-04-31",
            "0000-01-01",
            "023-01-01",
            "02023-01-01",
            "2023-1-01",
            "2023-01-01+14:01",
            "2023-01-01 ",
            "2023-01-01T00:00:00",
        ] {
            assert!(parsed(BuiltIn::Date, bad).is_err(), "{bad}");
        }
        for good in ["00:00:00", "23:59:59.999", "24:00:00", "12:00:00-05:30"] {
            assert!(parsed(BuiltIn::Time, good).is_ok(), "{good}");
        }
        for bad in ["24:00:01", "12:60:00", "12:00", "12:00:00.", "1:00:00"] {
            assert!(parsed(BuiltIn::Time, bad).is_err(), "{bad}");
        }
        assert!(parsed(BuiltIn::DateTime, "2024-05-01T10:30:00.5Z").is_ok());
        assert!(parsed(BuiltIn::DateTime, "2024-05-01 10:30:00").is_err());
        assert!(parsed(BuiltIn::DateTime, "2024-05-01").is_err());
    }

    #[test]
    fn durations_and_calendar_parts() {
        for good in [
            "P1Y",
            "P1Y2M3DT4H5M6S",
            "-P1D",
            "PT15M",
            "PT0.5S",
            "P0D",
            "PT1H1S",
            "P12M",
        ] {
            assert!(parsed(BuiltIn::Duration, good).is_ok(), "{good}");
        }
        for bad in [
            "P", "PT", "-P", "P1DT", "1D", "P1.5D", "PT1.5M", "P1M1Y", "P1D1D", "PT1S1M", "P-1D",
            "P1", "PT1.S", "P1DT1H ", "+P1D",
        ] {
            assert!(parsed(BuiltIn::Duration, bad).is_err(), "{bad}");
        }
        let cases: [(BuiltIn, &[&str], &[&str]); 5] = [
            (
                BuiltIn::GYear,
                &["2024", "-0044", "12024", "2024Z", "2024+14:00"],
                &["24", "0000", "02024", "2024-01", "2024+15:00"],
            ),
            (
                BuiltIn::GYearMonth,
                &["2024-02", "-0001-12Z"],
                &["2024-00", "2024-13", "2024-2", "2024"],
            ),
            (
                BuiltIn::GMonthDay,
                &["--02-29", "--12-31", "--01-01-05:00"],
                &["--02-30", "--04-31", "--13-01", "-02-01", "--0201"],
            ),
            (
                BuiltIn::GDay,
                &["---01", "---31Z"],
                &["---00", "---32", "--01", "---1"],
            ),
            (
                BuiltIn::GMonth,
                &["--01", "--12+01:00"],
                &["--00", "--13", "--1", "--01-"],
            ),
        ];
        for (builtin, good, bad) in cases {
            for text in good {
                assert!(parsed(builtin, text).is_ok(), "{builtin:?} {text}");
            }
            for text in bad {
                assert!(parsed(builtin, text).is_err(), "{builtin:?} {text}");
            }
        }
        assert!(parsed(BuiltIn::HexBinary, "").is_ok());
        assert!(parsed(BuiltIn::HexBinary, "00fFaA").is_ok());
        for bad in ["0", "0g", "0x00", "0 0"] {
            assert!(parsed(BuiltIn::HexBinary, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_name_types_patterns_compile() {
        for derived in DERIVED_BUILTINS {
            if let Some((source, _)) = derived.pattern {
                assert!(Pattern::new(source).is_ok(), "{}", derived.name);
                assert_eq!(derived.facets().patterns.len(), 1, "{}", derived.name);
            }
        }
    }

    #[test]
    fn base64() {
        for good in ["", "QUJD", "QUI=", "QQ==", "QU JD", "Q U J D QQ=="] {
            assert!(is_base64(good), "{good}");
        }
        for bad in ["QUJ", "Q===", "QUJ=D", "QUB=", "QR==", "QU  JD", "QU*D"] {
            assert!(!is_base64(bad), "{bad}");
        }
        assert_eq!(base64_length("QUJD QQ=="), 4);
        assert_eq!(base64_length(""), 0);
    }

    #[test]
    fn whitespace() {
        assert!(matches!(
            WhiteSpace::Collapse.apply("12.50"),
            Cow::Borrowed("12.50")
        ));
        assert_eq!(WhiteSpace::Collapse.apply("\t12\r\n"), "12");
        assert_eq!(WhiteSpace::Collapse.apply("  a \t\n b  "), "a b");
        assert!(matches!(
            WhiteSpace::Collapse.apply("a b"),
            Cow::Borrowed("a b")
        ));
        assert!(matches!(
            WhiteSpace::Collapse.apply(" 42\n"),
            Cow::Borrowed("42")
        ));
        assert_eq!(WhiteSpace::Replace.apply("a\tb\n"), "a b ");
        assert_eq!(WhiteSpace::Preserve.apply(" a\n"), " a\n");
    }

    #[test]
    fn digits_are_counted_as_values() {
        assert_eq!(significant_digits("-00120.4500"), (5, 2));
        assert_eq!(significant_digits("0.0"), (0, 0));
        assert_eq!(significant_digits("+7"), (1, 0));
    }

    #[test]
    fn numbers_for_writing() {
        assert_eq!(number_text(BuiltIn::Int, &Value::from(3.0)), Ok("3".into()));
        assert_eq!(
            number_text(BuiltIn::Int, &Value::from(2.5)),
            Err("2.5 is not an integer".into())
        );
        assert_eq!(
            number_text(BuiltIn::Decimal, &Value::from(2.5)),
            Ok("2.5".into())
        );
        assert_eq!(
            number_text(BuiltIn::Decimal, &Value::from(7)),
            Ok("7".into())
        );
        assert_eq!(
            number_text(BuiltIn::Double, &Value::from(7)),
            Ok("7".into())
        );
        assert_eq!(
            number_text(BuiltIn::Long, &Value::from(1e17)),
            Ok("100000000000000000".into())
        );
        assert_eq!(
            number_text(BuiltIn::Long, &Value::from(1e19)),
            Err("10000000000000000000.0 is out of range for a 64-bit integer".into())
        );
        assert_eq!(
            number_text(BuiltIn::Int, &Value::from(u64::MAX)),
            Err("18446744073709551615 is out of range for a 64-bit integer".into())
        );
        assert_eq!(
            number_text(BuiltIn::Double, &Value::from(1e300)),
            Ok("1e300".into())
        );
        assert_eq!(
            number_text(BuiltIn::Double, &Value::from(f64::NEG_INFINITY)),
            Ok("-INF".into())
        );
        assert!(number_text(BuiltIn::Decimal, &Value::from(f64::NAN)).is_err());
        assert_eq!(
            number_text(BuiltIn::String, &Value::from(1.5)),
            Ok("1.5".into())
        );
        // Integers beyond i64 keep every digit where the type can hold them.
        for builtin in [BuiltIn::String, BuiltIn::Decimal] {
            assert_eq!(
                number_text(builtin, &Value::from(12_345_678_901_234_567_890_u64)),
                Ok("12345678901234567890".into())
            );
        }
        assert_eq!(
            number_text(BuiltIn::Double, &Value::from(u64::MAX)),
            Ok("1.8446744073709552e19".into())
        );
    }
}
