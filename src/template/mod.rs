//! Templates and expressions: compiled once per snapshot, evaluated per document.
//!
//! Every template and expression of a config root lives in one minijinja
//! environment owned by the snapshot. Steps hold [`TemplateId`]s and
//! [`ExprId`]s; nothing is parsed on the request path. Output is escaped for
//! the content type it is written into (SPEC §2.2), so request data can never
//! inject markup: see [`Escape`]. The everyday forms skip minijinja's
//! machine and are evaluated straight from their syntax tree ([`fast`]),
//! with the same results.

mod borrow;
mod check;
pub mod context;
mod fast;

use std::sync::Arc;

use minijinja::value::{Value, ValueKind};
use minijinja::{
    AutoEscape, Environment, Error, ErrorKind, Expression, Output, State, Template,
    UndefinedBehavior,
};

pub(crate) use self::borrow::items;
use self::borrow::{Got, is_invalid};
pub use self::check::{Finding, ForName, Params, Seen};
use self::fast::{FastExpr, FastTemplate};
use crate::doc::{MediaType, xml};

/// How a template's output is escaped, chosen from the content type it produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// Plain text: values are written as they are.
    None,
    /// JSON string content: quotes, backslashes and control characters are
    /// escaped and no quotes are added, so `"name": "{{ x }}"` stays valid
    /// JSON whatever `x` holds. Numbers, booleans and none print as JSON
    /// literals; lists and maps print as escaped JSON text.
    Json,
    /// XML content and attribute values: `& < > " '` become entities.
    Xml,
    /// HTML, with minijinja's HTML escaping.
    Html,
}

impl Escape {
    /// The escaping for templates that build a body of this media type.
    pub fn for_media(media: &MediaType) -> Escape {
        match media {
            MediaType::Json => Escape::Json,
            MediaType::Xml => Escape::Xml,
            MediaType::Other(content_type) => {
                let essence = content_type.split(';').next().unwrap_or("").trim();
                if essence.eq_ignore_ascii_case("text/html") {
                    Escape::Html
                } else {
                    Escape::None
                }
            }
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Escape::None => "txt",
            Escape::Json => "json",
            Escape::Xml => "xml",
            Escape::Html => "html",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateId(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExprId(u32);

/// A syntax error in a template or expression, positioned in its own source.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    /// The byte range in the template source, when minijinja knows it.
    pub range: Option<std::ops::Range<usize>>,
    /// The 1-based line in the template source.
    pub line: Option<usize>,
}

impl SyntaxError {
    fn from_minijinja(err: &Error) -> SyntaxError {
        SyntaxError {
            message: err
                .detail()
                .map(str::to_owned)
                .unwrap_or_else(|| err.kind().to_string()),
            range: err.range(),
            line: err.line(),
        }
    }
}

/// The most work one template or expression may do: minijinja counts an
/// instruction as a unit of fuel, and stops with an error when it is spent.
/// A request's steps are checked against `request_timeout` between them,
/// but nothing can stop a template midway, and a loop over `range(…)` needs
/// no input to be long. About a second of CPU on the machines we measure on.
pub const FUEL: u64 = 50_000_000;

/// The most text one template may write. Fuel bounds the work, but a
/// short loop can write a long body over and over (`{% for x in doc.list
/// %}{{ body }}{% endfor %}`): past this the template fails, rather than
/// the server's memory.
pub const MAX_OUTPUT: usize = 64 << 20;

/// The widest `indent`: minijinja builds the indentation whether a line
/// takes it or not, so `indent(500000000)` alone would take half a GiB.
const MAX_INDENT: usize = 1024;

/// Collects templates and expressions while a root is compiled.
pub struct TemplatesBuilder {
    envs: Environments,
    templates: Vec<String>,
    /// Each expression's source, and whether it is a condition.
    expressions: Vec<(String, bool)>,
    /// The fast forms, by template and by expression, where there is one.
    fast_templates: Vec<Option<FastTemplate>>,
    fast_expressions: Vec<Option<FastExpr>>,
}

/// Two environments that differ in how they treat undefined values.
pub struct Environments {
    /// For templates and values: printing an undefined value is an error (a
    /// typo in a template should not silently produce empty output), but
    /// `{% if doc.Optional %}` and `| default(…)` work.
    values: Environment<'static>,
    /// For conditions (`if`, `$if`, `by`, `$for`): a missing field is
    /// undefined all the way down and compares false, so
    /// `doc.Order.Priority == "high"` is simply false when there is no priority.
    conditions: Environment<'static>,
}

impl Default for TemplatesBuilder {
    fn default() -> Self {
        TemplatesBuilder::new()
    }
}

impl TemplatesBuilder {
    pub fn new() -> TemplatesBuilder {
        TemplatesBuilder::with_fuel(FUEL)
    }

    /// A builder whose templates and expressions may each spend `fuel`.
    pub(crate) fn with_fuel(fuel: u64) -> TemplatesBuilder {
        let mut values = Environment::new();
        values.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        values.set_auto_escape_callback(|name| match name.rsplit('.').next() {
            Some("json") => AutoEscape::Custom("json".into()),
            Some("xml") => AutoEscape::Custom("xml".into()),
            Some("html") => AutoEscape::Html,
            _ => AutoEscape::None,
        });
        values.set_formatter(format_value);
        values.set_fuel(Some(fuel));
        values.add_filter("join", join);
        values.add_filter("tojson", tojson);
        values.add_filter("indent", indent);
        let mut conditions = Environment::new();
        conditions.set_undefined_behavior(UndefinedBehavior::Chainable);
        conditions.set_fuel(Some(fuel));
        conditions.add_filter("join", join);
        conditions.add_filter("tojson", tojson);
        conditions.add_filter("indent", indent);
        TemplatesBuilder {
            envs: Environments { values, conditions },
            templates: Vec::new(),
            expressions: Vec::new(),
            fast_templates: Vec::new(),
            fast_expressions: Vec::new(),
        }
    }

    /// Compiles a template whose output is escaped with `escape`.
    pub fn template(&mut self, source: &str, escape: Escape) -> Result<TemplateId, SyntaxError> {
        let id = TemplateId(self.templates.len() as u32);
        let name = format!("t{}.{}", id.0, escape.extension());
        self.envs
            .values
            .add_template_owned(name.clone(), source.to_owned())
            .map_err(|e| SyntaxError::from_minijinja(&e))?;
        self.templates.push(name);
        self.fast_templates
            .push(FastTemplate::compile(source, escape));
        Ok(id)
    }

    /// Compiles an expression whose value is used, such as `doc.Order.Total * 2`.
    pub fn expression(&mut self, source: &str) -> Result<ExprId, SyntaxError> {
        self.add_expression(source, false)
    }

    /// Compiles an expression that decides, such as `doc.Order.Total > 1000`.
    pub fn condition(&mut self, source: &str) -> Result<ExprId, SyntaxError> {
        self.add_expression(source, true)
    }

    /// What is wrong with the names a template uses, each positioned in
    /// `source`: a filter or test that does not exist, and what `seen`
    /// knows of: a key it reads that `[vars]` does not have, a path through
    /// `doc` its profile never has.
    pub fn check_template(&self, source: &str, escape: Escape, seen: Seen<'_>) -> Vec<Finding> {
        check::template(source, escape, &self.envs.values, seen)
    }

    /// As [`TemplatesBuilder::check_template`], for a value's expression.
    pub fn check_expression(&self, source: &str, seen: Seen<'_>) -> Vec<Finding> {
        check::expression(source, check::Kind::Value, &self.envs.values, seen)
    }

    /// As [`TemplatesBuilder::check_template`], for a condition.
    pub fn check_condition(&self, source: &str, seen: Seen<'_>) -> Vec<Finding> {
        check::expression(source, check::Kind::Condition, &self.envs.conditions, seen)
    }

    fn add_expression(&mut self, source: &str, condition: bool) -> Result<ExprId, SyntaxError> {
        let env = if condition {
            &self.envs.conditions
        } else {
            &self.envs.values
        };
        env.compile_expression(source)
            .map_err(|e| SyntaxError::from_minijinja(&e))?;
        let id = ExprId(self.expressions.len() as u32);
        self.expressions.push((source.to_owned(), condition));
        self.fast_expressions.push(FastExpr::compile(source));
        Ok(id)
    }

    pub fn build(self) -> Result<Templates, SyntaxError> {
        let TemplatesBuilder {
            envs,
            templates,
            expressions,
            fast_templates,
            fast_expressions,
        } = self;
        Templates::try_new(envs, |envs| {
            let templates = templates
                .iter()
                .map(|name| envs.values.get_template(name))
                .collect::<Result<Vec<_>, _>>()?;
            let shortcuts = expressions
                .iter()
                .map(|(source, condition)| {
                    condition
                        .then(|| Lookup::parse(source))
                        .flatten()
                        // A global (`range`, `namespace`, …) is found where the context has nothing.
                        .filter(|lookup| {
                            !envs
                                .conditions
                                .globals()
                                .any(|(name, _)| name == &*lookup.path.root)
                        })
                })
                .collect();
            let expressions = expressions
                .into_iter()
                .map(|(source, condition)| {
                    let env = if condition {
                        &envs.conditions
                    } else {
                        &envs.values
                    };
                    env.compile_expression_owned(source)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, Error>(Compiled {
                templates,
                expressions,
                shortcuts,
                fast_templates,
                fast_expressions,
            })
        })
        .map_err(|e| SyntaxError::from_minijinja(&e))
    }
}

/// The compiled templates and expressions, borrowing their environments.
pub struct Compiled<'env> {
    templates: Vec<Template<'env, 'env>>,
    expressions: Vec<Expression<'env, 'env>>,
    /// By expression: the condition as a [`Lookup`], when it is one.
    shortcuts: Vec<Option<Lookup>>,
    fast_templates: Vec<Option<FastTemplate>>,
    fast_expressions: Vec<Option<FastExpr>>,
}

self_cell::self_cell!(
    /// Every template and expression of one snapshot.
    pub struct Templates {
        owner: Environments,
        #[covariant]
        dependent: Compiled,
    }
);

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let compiled = self.borrow_dependent();
        f.debug_struct("Templates")
            .field("templates", &compiled.templates.len())
            .field("expressions", &compiled.expressions.len())
            .finish()
    }
}

impl Templates {
    pub fn render(&self, id: TemplateId, context: &Value) -> Result<String, Error> {
        let compiled = self.borrow_dependent();
        if let Some(Some(fast)) = compiled.fast_templates.get(id.0 as usize)
            && let Some(text) = fast.render(context)
        {
            return Ok(text);
        }
        let Some(template) = compiled.templates.get(id.0 as usize) else {
            return Err(missing("template"));
        };
        let mut out = Capped(Vec::new());
        match template.render_captured_to(context.clone(), &mut out) {
            Ok(_) => String::from_utf8(out.0).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    "the template wrote invalid UTF-8",
                )
            }),
            Err(_) if out.0.len() > MAX_OUTPUT => Err(over_output()),
            Err(err) => Err(err),
        }
    }

    pub fn eval(&self, id: ExprId, context: &Value) -> Result<Value, Error> {
        let compiled = self.borrow_dependent();
        if let Some(Some(lookup)) = compiled.shortcuts.get(id.0 as usize)
            && let Some(value) = lookup.eval_chained(context)
        {
            return Ok(value);
        }
        if let Some(Some(fast)) = compiled.fast_expressions.get(id.0 as usize)
            && let Some(value) = fast.eval(context)
        {
            return Ok(value);
        }
        match compiled.expressions.get(id.0 as usize) {
            Some(expression) => expression.eval(context.clone()),
            None => Err(missing("expression")),
        }
    }
}

/// A template's output, which refuses to grow past [`MAX_OUTPUT`].
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        if self.0.len() > MAX_OUTPUT {
            return Err(std::io::Error::other("over the output limit"));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn over_output() -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "the template writes more than {} of text",
            crate::units::ByteSize(MAX_OUTPUT as u64)
        ),
    )
}

/// minijinja's `indent`, no wider than [`MAX_INDENT`].
fn indent(
    value: minijinja::value::StringInput<'_>,
    width: Option<usize>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: minijinja::value::Kwargs,
) -> Result<Value, Error> {
    let wide = width.or(kwargs.get::<Option<usize>>("width")?);
    if wide.is_some_and(|width| width > MAX_INDENT) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`indent` is at most {MAX_INDENT} wide"),
        ));
    }
    minijinja::filters::indent(value, width, first, blank, kwargs)
}

fn missing(what: &str) -> Error {
    Error::new(
        minijinja::ErrorKind::InvalidOperation,
        format!("no such {what} in this snapshot"),
    )
}

/// If `source` is exactly one `{{ expression }}` (surrounding whitespace
/// aside), the expression: such a string keeps the expression's type.
pub fn single_expression(source: &str) -> Option<&str> {
    let inner = source
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim_start_matches('-')
        .trim_end_matches('-');
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") || inner.contains("{#")
    {
        return None;
    }
    let inner = inner.trim();
    (!inner.is_empty()).then_some(inner)
}

/// A step of a [`Path`]: `.name`, `['name']` or `[0]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    Key(Arc<str>),
    Index(i64),
}

impl PathStep {
    /// The value one step on, as `get_attr` or `get_item` gives it.
    fn follow<'a>(&self, value: Got<'a>) -> Result<Got<'a>, Error> {
        match self {
            PathStep::Key(key) => value.attr(key),
            PathStep::Index(index) => value.item(&Value::from(*index)),
        }
    }
}

/// An expression that only looks a value up, such as `doc.Order.Id`,
/// `line.Sku` or `doc.Order['@currency']`: most values of a `map` are
/// these, and following them directly is many times cheaper than running
/// an expression. It behaves exactly as the expression would.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub root: Arc<str>,
    pub steps: Vec<PathStep>,
}

impl Path {
    /// The path an expression is, if it is one.
    pub fn parse(source: &str) -> Option<Path> {
        let source = source.trim();
        let ident_end = |s: &str| {
            s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(s.len())
        };
        let first = ident_end(source);
        if first == 0 || source.as_bytes()[0].is_ascii_digit() {
            return None;
        }
        let root = &source[..first];
        // Names minijinja gives a meaning of their own are not plain lookups.
        if matches!(
            root,
            "true" | "false" | "none" | "True" | "False" | "None" | "loop" | "self"
        ) {
            return None;
        }
        let mut steps = Vec::new();
        let mut rest = &source[first..];
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = ident_end(after);
                if end == 0 || after.as_bytes()[0].is_ascii_digit() {
                    return None;
                }
                steps.push(PathStep::Key(after[..end].into()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']')?;
                let inner = after[..close].trim();
                let quoted = |q: char| inner.strip_prefix(q).and_then(|i| i.strip_suffix(q));
                match quoted('\'').or_else(|| quoted('"')) {
                    Some(key) if !key.contains(['\\', '\'', '"']) => {
                        steps.push(PathStep::Key(key.into()))
                    }
                    Some(_) => return None,
                    None => steps.push(PathStep::Index(inner.parse().ok()?)),
                }
                rest = &after[close + 1..];
            } else {
                return None;
            }
        }
        Some(Path {
            root: root.into(),
            steps,
        })
    }

    /// Follows the path from a context. As with the expression, a missing
    /// last step is undefined, and going on from an undefined value is an error.
    pub fn get(&self, context: &Value) -> Result<Value, Error> {
        let mut value = Got::root(context, &self.root)?;
        for (index, step) in self.steps.iter().enumerate() {
            if value.value().is_undefined() {
                return Err(Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    format!("`{}` is undefined", self.describe(index)),
                ));
            }
            value = step.follow(value)?;
        }
        Ok(value.into_owned())
    }

    /// The whole path as written, for messages.
    pub fn text(&self) -> String {
        self.describe(self.steps.len())
    }

    /// The path's first `steps` steps as written, for messages.
    fn describe(&self, steps: usize) -> String {
        let mut text = self.root.to_string();
        for step in &self.steps[..steps.min(self.steps.len())] {
            match step {
                PathStep::Key(key) => {
                    text.push('.');
                    text.push_str(key);
                }
                PathStep::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        text
    }
}

/// A condition that only looks a value up (`doc.Order.Lines.Line`) or
/// compares one with a literal (`doc.Order.Priority == "rush"`): most
/// conditions are these, and following them directly is many times cheaper
/// than running the expression. It gives what the expression gives in the
/// conditions' environment, where a missing value is undefined all the way
/// down; anything out of the ordinary on the way (an invalid value) is left
/// to the expression.
#[derive(Debug, Clone, PartialEq)]
struct Lookup {
    path: Path,
    /// `== literal` (true) or `!= literal` (false).
    compare: Option<(bool, Value)>,
}

impl Lookup {
    fn parse(source: &str) -> Option<Lookup> {
        let operator = ["==", "!="]
            .iter()
            .filter_map(|op| source.find(op).map(|at| (at, *op == "==")))
            .min();
        let Some((at, equal)) = operator else {
            return Some(Lookup {
                path: Path::parse(source)?,
                compare: None,
            });
        };
        Some(Lookup {
            path: Path::parse(&source[..at])?,
            compare: Some((equal, literal(source[at + 2..].trim())?)),
        })
    }

    /// The condition's value, or `None` to leave it to the expression.
    fn eval_chained(&self, context: &Value) -> Option<Value> {
        let mut value = Got::root(context, &self.path.root).ok()?;
        for step in &self.path.steps {
            if is_invalid(value.value()) {
                return None;
            }
            if value.value().is_undefined() {
                break;
            }
            value = step.follow(value).ok()?;
        }
        if is_invalid(value.value()) {
            return None;
        }
        Some(match &self.compare {
            None => value.into_owned(),
            Some((equal, literal)) => Value::from((*value.value() == *literal) == *equal),
        })
    }
}

/// A literal as the expression language reads it, for the plain forms:
/// a string without escapes, a small decimal integer, a boolean, none.
fn literal(source: &str) -> Option<Value> {
    let quoted = |q: char| source.strip_prefix(q).and_then(|s| s.strip_suffix(q));
    if let Some(text) = quoted('"').or_else(|| quoted('\'')) {
        return (!text.contains(['\\', '"', '\''])).then(|| Value::from(text));
    }
    match source {
        "true" | "True" => return Some(Value::from(true)),
        "false" | "False" => return Some(Value::from(false)),
        "none" | "None" => return Some(Value::from(())),
        _ => {}
    }
    let digits = source.bytes().all(|b| b.is_ascii_digit());
    // Longer numbers, or written with a leading zero, are left to the expression.
    (digits && (1..=18).contains(&source.len()) && (source == "0" || !source.starts_with('0')))
        .then(|| source.parse::<i64>().ok().map(Value::from))
        .flatten()
}

/// Whether `source` holds template syntax at all; plain strings are literals.
pub fn is_template(source: &str) -> bool {
    source.contains("{{") || source.contains("{%") || source.contains("{#")
}

/// Whether `source` may read documents' parsed form: it has the word `doc`
/// or `docs` anywhere, even in a string or after a dot. Saying yes too often
/// only costs a parse that was not needed; the parse itself stays lazy, so
/// a document is read correctly either way.
pub fn mentions_documents(source: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = source.as_bytes();
    source.match_indices("doc").any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let mut end = at + 3;
        if bytes.get(end) == Some(&b's') {
            end += 1;
        }
        !before.is_some_and(word) && !bytes.get(end).copied().is_some_and(word)
    })
}

fn format_value(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    let escape = match state.auto_escape() {
        AutoEscape::Custom(name) if name == "json" => Escape::Json,
        AutoEscape::Custom(name) if name == "xml" => Escape::Xml,
        AutoEscape::None => Escape::None,
        // HTML (the callback sets no other): text is the engine's to escape.
        _ => Escape::Html,
    };
    if let Some(written) = write_scalar(out, value, escape) {
        return written.map_err(Error::from);
    }
    match escape {
        Escape::Json | Escape::Xml if value.is_undefined() => Ok(()),
        Escape::Json => escape_json_into(out, &to_json(value)?).map_err(Error::from),
        Escape::Xml => out
            .write_str(&xml::escape_lossy(&value.to_string()))
            .map_err(Error::from),
        Escape::None | Escape::Html => minijinja::escape_formatter(out, state, value),
    }
}

/// Prints a scalar as templates print it into `escape`d output: markup as
/// it is, strings escaped, numbers and booleans as the data formats spell
/// them, none as JSON's `null` or as nothing. `None` for the rest (undefined
/// values, lists, maps, and numbers and text under HTML escaping), which
/// the engine's formatter handles.
fn write_scalar(
    out: &mut impl std::fmt::Write,
    value: &Value,
    escape: Escape,
) -> Option<std::fmt::Result> {
    if value.is_safe() {
        return Some(out.write_str(value.as_str().unwrap_or_default()));
    }
    let text = || value.as_str().unwrap_or_default();
    Some(match (value.kind(), escape) {
        (ValueKind::None, Escape::Json) => out.write_str("null"),
        (ValueKind::None, _) => Ok(()),
        (ValueKind::Bool, _) => out.write_str(if value.is_true() { "true" } else { "false" }),
        (ValueKind::Number, Escape::Html) | (ValueKind::String, Escape::Html) => return None,
        (ValueKind::Number, _) => write_number(out, value),
        (ValueKind::String, Escape::Json) => escape_json_into(out, text()),
        (ValueKind::String, Escape::Xml) => out.write_str(&xml::escape_lossy(text())),
        (ValueKind::String, Escape::None) => out.write_str(text()),
        _ => return None,
    })
}

/// A number exactly as minijinja prints it (`{value}`), without `fmt` for
/// the usual ones: an integer that fits `i64` by `itoa`, a float by `zmij`
/// where that spells it without an exponent. `zmij`, like `Display`, gives
/// the shortest digits that read back as the same float, so the two differ
/// only in notation: `Display` never writes an exponent, `zmij` does for very
/// large and very small magnitudes, and those floats (and integers wider
/// than `i64`, and NaN and the infinities) take `Display`; so do floats of
/// more than 15 significant digits, of which the two may round a tie apart
/// ([`significant_digits`]). minijinja adds
/// `.0` to a float `Display` writes without a point, as `zmij` writes it.
/// The tests hold the two to the same text for any float.
fn write_number(out: &mut impl std::fmt::Write, value: &Value) -> std::fmt::Result {
    if value.is_integer() {
        if let Some(int) = value.as_i64() {
            return out.write_str(itoa::Buffer::new().format(int));
        }
    } else if let Ok(float) = f64::try_from(value.clone())
        && float.is_finite()
    {
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(float);
        if !text.contains('e') && significant_digits(text) <= 15 {
            return out.write_str(text);
        }
    }
    write!(out, "{value}")
}

/// How many significant digits a number written without an exponent has.
///
/// With 15 or fewer, the shortest digits that read back as a float are
/// the only ones of their length: 15-digit decimals lie further apart than
/// a float's neighbours. With 16 or 17 two can read back, the float lying
/// exactly between them, and `zmij` and `Display` may pick different ones
/// (`1658206780088562.2` and `.3` for the float ending in `.25`).
fn significant_digits(text: &str) -> usize {
    let digits = text.bytes().filter(u8::is_ascii_digit);
    let leading_zeros = text
        .bytes()
        .filter(|b| *b != b'-' && *b != b'.')
        .take_while(|b| *b == b'0')
        .count();
    let trailing_zeros = text
        .bytes()
        .rev()
        .filter(|b| *b != b'.')
        .take_while(|b| *b == b'0')
        .count();
    digits
        .count()
        .saturating_sub(leading_zeros + trailing_zeros)
}

/// `join` as minijinja has it, but with each item written as templates
/// print it (`true`, `false`, none as nothing) rather than as the engine
/// spells values (`True`, `None`). A string joins its characters.
fn join(value: &Value, joiner: Option<&str>) -> Result<String, Error> {
    use std::fmt::Write as _;
    let joiner = joiner.unwrap_or_default();
    if value.is_undefined() || value.is_none() {
        return Ok(String::new());
    }
    if let Some(text) = value.as_str() {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        return Ok(chars.join(joiner));
    }
    let mut out = String::new();
    for (index, item) in value.try_iter()?.enumerate() {
        if index > 0 {
            out.push_str(joiner);
        }
        match write_scalar(&mut out, &item, Escape::None) {
            Some(written) => written,
            None => write!(out, "{item}"),
        }
        .map_err(Error::from)?;
    }
    Ok(out)
}

/// minijinja's `tojson`, except that a number JSON cannot hold (`inf`,
/// `nan`) is an error, as it is for `map`, rather than `null`.
fn tojson(
    value: &Value,
    indent: Option<Value>,
    args: minijinja::value::Kwargs,
) -> Result<Value, Error> {
    if let Some(number) = non_finite(value, 0) {
        return Err(Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("{number} is not a JSON number"),
        ));
    }
    minijinja::filters::tojson(value, indent, args)
}

/// The first number in `value` that is not finite. Values nest no deeper
/// than the documents they come from; past 256 levels the rest is left to
/// `tojson` itself.
fn non_finite(value: &Value, depth: usize) -> Option<f64> {
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone())
            .ok()
            .filter(|number| !number.is_finite()),
        ValueKind::Seq if depth < 256 => value
            .try_iter()
            .ok()?
            .find_map(|item| non_finite(&item, depth + 1)),
        ValueKind::Map if depth < 256 => value
            .try_iter()
            .ok()?
            .find_map(|key| non_finite(&value.get_item(&key).ok()?, depth + 1)),
        _ => None,
    }
}

/// A value as compact JSON text.
pub fn to_json(value: &Value) -> Result<String, Error> {
    let json =
        minijinja::filters::tojson(value, None, std::iter::empty::<(&str, Value)>().collect())?;
    Ok(json.as_str().unwrap_or_default().to_owned())
}

/// Writes `text` as the content of a JSON string (without the quotes).
pub fn escape_json_into(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f | 0x7f => "",
            _ => continue,
        };
        out.write_str(&text[start..i])?;
        if escaped.is_empty() {
            write!(out, "\\u{byte:04x}")?;
        } else {
            out.write_str(escaped)?;
        }
        start = i + 1;
    }
    out.write_str(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, escape: Escape, ctx: Value) -> Result<String, Error> {
        let mut builder = TemplatesBuilder::new();
        let id = builder.template(source, escape).unwrap();
        builder.build().unwrap().render(id, &ctx)
    }

    #[test]
    fn documents_are_mentioned_by_the_words_doc_and_docs() {
        for source in [
            "{{ doc.Order.Id }}",
            "doc",
            "{% for d in docs %}{{ d.id }}{% endfor %}",
            "{{ docs|length }}",
            "{{ props.doc }}",
            "{{ 'doc' }}",
            "x + doc['a']",
        ] {
            assert!(mentions_documents(source), "{source}");
        }
        for source in [
            "{{ request.query.name }}",
            "{{ props.document }}",
            "{{ mydoc }}",
            "{{ doc_id }}",
            "{{ vars.docsite }}",
            "plain text",
            "",
        ] {
            assert!(!mentions_documents(source), "{source}");
        }
    }

    #[test]
    fn join_writes_items_as_templates_print_them() {
        let ctx = crate::profile::json::to_value(&serde_json::json!({
            "l": [1, "a\"b", null, true, false, 2.5],
        }));
        assert_eq!(
            render("{{ l | join(',') }}", Escape::None, ctx.clone()).unwrap(),
            "1,a\"b,,true,false,2.5"
        );
        // The joined text is escaped like any output.
        assert_eq!(
            render("{{ l | join(',') }}", Escape::Json, ctx.clone()).unwrap(),
            "1,a\\\"b,,true,false,2.5"
        );
        assert_eq!(
            render(
                "{{ 'abc' | join('-') }}|{{ nothing | join }}",
                Escape::None,
                ctx
            )
            .unwrap(),
            "a-b-c|"
        );
    }

    fn ctx(x: Value) -> Value {
        Value::from_pairs([("x", x)])
    }

    #[test]
    fn a_template_that_works_too_long_runs_out_of_fuel() {
        let mut builder = TemplatesBuilder::with_fuel(10_000);
        let looping = "{% for i in range(100000) %}{{ i }}{% endfor %}";
        let template = builder.template(looping, Escape::None).unwrap();
        let short = builder
            .template("{% for i in range(10) %}{{ i }}{% endfor %}", Escape::None)
            .unwrap();
        let expression = builder.condition("range(100000) | sum > 0").unwrap();
        let templates = builder.build().unwrap();
        let err = templates
            .render(template, &ctx(Value::UNDEFINED))
            .unwrap_err();
        assert_eq!(err.kind(), minijinja::ErrorKind::OutOfFuel);
        assert_eq!(
            templates.render(short, &ctx(Value::UNDEFINED)).unwrap(),
            "0123456789"
        );
        // The fuel is per evaluation, not spent for good.
        assert_eq!(
            templates.render(short, &ctx(Value::UNDEFINED)).unwrap(),
            "0123456789"
        );
        let err = templates
            .eval(expression, &ctx(Value::UNDEFINED))
            .unwrap_err();
        assert_eq!(err.kind(), minijinja::ErrorKind::OutOfFuel);
    }

    #[test]
    fn json_escaping_keeps_documents_valid() {
        let tricky = Value::from("a \"quoted\" \\ back\nslash\u{1}");
        let out = render(r#"{"name": "{{ x }}"}"#, Escape::Json, ctx(tricky)).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["name"], "a \"quoted\" \\ back\nslash\u{1}");
    }

    #[test]
    fn json_numbers_booleans_and_tojson_are_literals() {
        assert_eq!(
            render("{{ x }}", Escape::Json, ctx(Value::from(42))).unwrap(),
            "42"
        );
        assert_eq!(
            render("{{ x }}", Escape::Json, ctx(Value::from(true))).unwrap(),
            "true"
        );
        assert_eq!(
            render("{{ x }}", Escape::Json, ctx(Value::from(()))).unwrap(),
            "null"
        );
        let list = Value::from(vec![Value::from("a"), Value::from(1)]);
        assert_eq!(
            render("{{ x | tojson }}", Escape::Json, ctx(list.clone())).unwrap(),
            r#"["a", 1]"#
        );
        // Inside quotes a list stays a valid string.
        let out = render(r#"{"v": "{{ x }}"}"#, Escape::Json, ctx(list)).unwrap();
        assert_eq!(out, r#"{"v": "[\"a\", 1]"}"#);
        // A number JSON cannot hold is an error, however deep, never `null`.
        for x in [
            Value::from(f64::INFINITY),
            Value::from(vec![Value::from(1.5), Value::from(f64::NAN)]),
            Value::from_pairs([(
                "a",
                Value::from_pairs([("b", Value::from(f64::NEG_INFINITY))]),
            )]),
        ] {
            let err = render("{{ x | tojson }}", Escape::Json, ctx(x)).unwrap_err();
            assert!(err.to_string().contains("is not a JSON number"), "{err}");
        }
        let finite = Value::from_pairs([("a", Value::from(vec![Value::from(2.5)]))]);
        assert_eq!(
            render("{{ x | tojson }}", Escape::Json, ctx(finite)).unwrap(),
            r#"{"a": [2.5]}"#
        );
    }

    #[test]
    fn xml_escaping() {
        let out = render(
            "<a>{{ x }}</a>",
            Escape::Xml,
            ctx(Value::from("</a><b x='1'>&")),
        )
        .unwrap();
        assert_eq!(out, "<a>&lt;/a&gt;&lt;b x=&apos;1&apos;&gt;&amp;</a>");
    }

    #[test]
    fn characters_xml_does_not_allow_become_the_replacement_character() {
        let text = ctx(Value::from("a\u{1}b\u{FFFE}c\t"));
        assert_eq!(
            render("<a>{{ x }}</a>", Escape::Xml, text).unwrap(),
            "<a>a\u{FFFD}b\u{FFFD}c\t</a>"
        );
    }

    #[test]
    fn a_template_writes_at_most_max_output_and_indents_at_most_max_indent() {
        let items = Value::from((0..70).collect::<Vec<i64>>());
        let long = Value::from("x".repeat(1 << 20));
        let context = minijinja::context! { items => items, x => long };
        // The fast form and the engine alike.
        for source in [
            "{% for i in items %}{{ x }}{% endfor %}",
            "{% for i in items %}{{ x | lower }}{% endfor %}",
        ] {
            let err = render(source, Escape::None, context.clone()).unwrap_err();
            assert!(
                err.to_string().contains("more than 64MiB"),
                "{source}: {err}"
            );
        }
        assert!(render("{{ x }}", Escape::None, context.clone()).is_ok());
        let err = render(
            "{{ 'a' | indent(500000000) }}",
            Escape::None,
            ctx(Value::UNDEFINED),
        );
        assert!(err.unwrap_err().to_string().contains("at most 1024 wide"));
        assert_eq!(
            render(
                "{{ 'a\nb' | indent(2) }}",
                Escape::None,
                ctx(Value::UNDEFINED)
            )
            .unwrap(),
            "a\n  b"
        );
    }

    #[test]
    fn plain_text_is_not_escaped() {
        assert_eq!(
            render("{{ x }}", Escape::None, ctx(Value::from("<&>"))).unwrap(),
            "<&>"
        );
        assert_eq!(
            render("{{ x }}", Escape::None, ctx(Value::from(false))).unwrap(),
            "false"
        );
        assert_eq!(
            render("[{{ x }}]", Escape::Xml, ctx(Value::from(true))).unwrap(),
            "[true]"
        );
        assert_eq!(
            render("[{{ x }}]", Escape::None, ctx(Value::from(()))).unwrap(),
            "[]"
        );
        assert_eq!(
            render("{{ x }}", Escape::Json, ctx(Value::from(1.5))).unwrap(),
            "1.5"
        );
    }

    #[test]
    fn printing_undefined_is_an_error_but_testing_it_is_not() {
        let err = render("{{ y }}", Escape::None, ctx(Value::from(1))).unwrap_err();
        assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
        assert_eq!(
            render(
                "{% if y %}a{% else %}b{% endif %}",
                Escape::None,
                ctx(Value::from(1))
            )
            .unwrap(),
            "b"
        );
        assert_eq!(
            render("{{ y | default('d') }}", Escape::None, ctx(Value::from(1))).unwrap(),
            "d"
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let mut builder = TemplatesBuilder::new();
        let err = builder
            .template("line one\n{{ x + }}", Escape::None)
            .unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.range.is_some());
        let err = builder.expression("a >").unwrap_err();
        assert!(!err.message.is_empty());
    }

    #[test]
    fn expressions_keep_types() {
        let mut builder = TemplatesBuilder::new();
        let id = builder.condition("x * 2 > 3").unwrap();
        let list = builder.expression("[x, x]").unwrap();
        let templates = builder.build().unwrap();
        assert_eq!(
            templates.eval(id, &ctx(Value::from(2))).unwrap(),
            Value::from(true)
        );
        assert_eq!(
            templates.eval(list, &ctx(Value::from(2))).unwrap().len(),
            Some(2)
        );
    }

    #[test]
    fn conditions_treat_missing_fields_as_false() {
        let mut builder = TemplatesBuilder::new();
        let condition = builder.condition("doc.order.priority == 'high'").unwrap();
        let value = builder.expression("doc.order.priority == 'high'").unwrap();
        let templates = builder.build().unwrap();
        let ctx = Value::from_pairs([(
            "doc",
            Value::from_pairs([("order", Value::from_pairs([("id", 1)]))]),
        )]);
        assert_eq!(templates.eval(condition, &ctx).unwrap(), Value::from(false));
        assert!(templates.eval(value, &ctx).is_err());
    }

    /// What docs/processes.md says about ordering comparisons with a missing
    /// value in conditions: undefined sorts below every number.
    #[test]
    fn conditions_sort_a_missing_value_below_numbers() {
        let ctx = Value::from_pairs([
            ("doc", Value::from_pairs([("amount", Value::from(10))])),
            ("vars", Value::from_pairs([("limit", Value::from(1000))])),
        ]);
        let cases = [
            ("doc.amount > vars.nope", true),
            ("doc.amount > doc.missing", true),
            ("doc.amount >= doc.missing", true),
            ("doc.amount < vars.nope", false),
            ("doc.missing > 5", false),
            ("doc.missing < 5", true),
            ("doc.missing.deeper > 5", false),
            ("doc.amount > vars.limit", false),
            ("doc.missing is defined and doc.missing > 5", false),
            ("vars.nope is defined and doc.amount > vars.nope", false),
            ("doc.amount is defined and doc.amount > 5", true),
        ];
        let mut builder = TemplatesBuilder::new();
        let ids: Vec<ExprId> = cases
            .iter()
            .map(|(source, _)| builder.condition(source).unwrap())
            .collect();
        let templates = builder.build().unwrap();
        for ((source, expected), id) in cases.iter().zip(ids) {
            assert_eq!(
                templates.eval(id, &ctx).unwrap(),
                Value::from(*expected),
                "{source}"
            );
        }
    }

    #[test]
    fn paths_are_lookups_that_behave_like_their_expression() {
        let path = Path::parse("doc.Order['@currency']").unwrap();
        assert_eq!(path.root.as_ref(), "doc");
        assert_eq!(
            path.steps,
            [
                PathStep::Key("Order".into()),
                PathStep::Key("@currency".into())
            ]
        );
        assert_eq!(Path::parse("line.items[2].x").unwrap().steps.len(), 3);
        for not_a_path in [
            "a + b",
            "a.b | upper",
            "f(x)",
            "true",
            "a[b]",
            "a.1",
            "'text'",
            "a..b",
            "",
        ] {
            assert!(Path::parse(not_a_path).is_none(), "{not_a_path}");
        }
        let ctx = Value::from_pairs([(
            "doc",
            Value::from_pairs([(
                "Order",
                Value::from_pairs([("@currency", Value::from("EUR"))]),
            )]),
        )]);
        let mut builder = TemplatesBuilder::new();
        for source in [
            "doc.Order['@currency']",
            "doc.Order.Missing",
            "doc.Missing.Deeper",
        ] {
            let id = builder.expression(source).unwrap();
            let templates = std::mem::take(&mut builder).build().unwrap();
            let expected = templates.eval(id, &ctx);
            let got = Path::parse(source).unwrap().get(&ctx);
            match (expected, got) {
                (Ok(a), Ok(b)) => assert_eq!(a.is_undefined(), b.is_undefined(), "{source}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{source}: {a:?} vs {b:?}"),
            }
        }
    }

    #[test]
    fn condition_lookups_give_what_the_expression_gives() {
        let order = Value::from_pairs([
            ("Priority", Value::from("rush")),
            ("Count", Value::from(3)),
            ("Flag", Value::from(true)),
            (
                "Lines",
                Value::from(vec![Value::from("a"), Value::from("b")]),
            ),
            ("@currency", Value::from("EUR")),
        ]);
        let ctx = Value::from_pairs([("doc", Value::from_pairs([("Order", order)]))]);
        let sources = [
            "doc.Order.Priority == 'rush'",
            "doc.Order.Priority == \"rush\"",
            "doc.Order.Priority != 'rush'",
            "doc.Order.Priority == 'normal'",
            "doc.Order.Missing == 'rush'",
            "doc.Order.Missing != 'rush'",
            "doc.Missing.Deeper.Still == none",
            "doc.Order.Count == 3",
            "doc.Order.Count != 4",
            "doc.Order.Flag == true",
            "doc.Order.Flag == False",
            "doc.Order['@currency'] == 'EUR'",
            "doc.Order.Lines",
            "doc.Order.Lines[1] == 'b'",
            "doc.Order.Lines[5]",
            "doc.Order.Priority.Deeper",
            "doc.Missing",
            "missing.x == 1",
        ];
        let mut builder = TemplatesBuilder::new();
        let ids: Vec<ExprId> = sources
            .iter()
            .map(|source| builder.condition(source).unwrap())
            .collect();
        let templates = builder.build().unwrap();
        let compiled = templates.borrow_dependent();
        for (source, id) in sources.iter().zip(ids) {
            let lookup = Lookup::parse(source).unwrap_or_else(|| panic!("{source}"));
            let fast = lookup.eval_chained(&ctx).unwrap();
            let slow = compiled.expressions[id.0 as usize]
                .eval(ctx.clone())
                .unwrap();
            assert_eq!(fast, slow, "{source}");
            assert_eq!(fast.is_undefined(), slow.is_undefined(), "{source}");
        }
        for not_a_lookup in [
            "doc.a == 'x' == 'y'",
            "doc.a == 'x' | upper",
            "doc.a == 'it\\'s'",
            "doc.a == x.y",
            "doc.a == 007",
            "doc.a == -1",
            "doc.a == 1.5",
            "not doc.a == 'x'",
            "doc['a==b'] == 1",
            "doc.a >= 1",
        ] {
            assert!(Lookup::parse(not_a_lookup).is_none(), "{not_a_lookup}");
        }
        // Globals are the engine's to find.
        let mut builder = TemplatesBuilder::new();
        let id = builder.condition("range").unwrap();
        let templates = builder.build().unwrap();
        assert!(templates.borrow_dependent().shortcuts[id.0 as usize].is_none());
        assert!(!templates.eval(id, &ctx).unwrap().is_undefined());
    }

    #[test]
    fn single_expressions() {
        assert_eq!(
            single_expression("{{ doc.Order.Id }}"),
            Some("doc.Order.Id")
        );
        assert_eq!(single_expression("  {{x}}\n"), Some("x"));
        assert_eq!(single_expression("{{ a }} and {{ b }}"), None);
        assert_eq!(single_expression("id {{ a }}"), None);
        assert_eq!(single_expression("{{ }}"), None);
        assert!(is_template("a {{ b }}"));
        assert!(!is_template("plain"));
    }

    /// What `write_number` writes, for every escape that writes numbers.
    fn written(value: &Value) -> String {
        let mut outs = [Escape::None, Escape::Json, Escape::Xml].map(|escape| {
            let mut out = String::new();
            write_scalar(&mut out, value, escape).unwrap().unwrap();
            out
        });
        assert!(outs.iter().all(|out| *out == outs[0]), "{outs:?}");
        std::mem::take(&mut outs[0])
    }

    #[test]
    fn numbers_are_written_as_the_engine_prints_them() {
        let floats = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            176.0,
            578.5,
            1e-5,
            9.99e-6,
            1e-7,
            1.5e-300,
            1e15,
            1e16,
            1.5e16,
            1e21,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123_456_789.123_456_79,
            // -1600084311066546.25: halfway between two shortest spellings
            // (see `significant_digits`).
            f64::from_bits(14_057_631_174_640_213_705),
        ];
        for float in floats {
            let value = Value::from(float);
            assert_eq!(written(&value), value.to_string(), "{float:e}");
        }
        let integers = [
            Value::from(0),
            Value::from(-1),
            Value::from(i64::MIN),
            Value::from(i64::MAX),
            Value::from(u64::MAX),
            Value::from(i128::MIN),
            Value::from(u128::MAX),
        ];
        for value in integers {
            assert_eq!(written(&value), value.to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_number_is_written_as_the_engine_prints_it(
            bits in proptest::prelude::any::<u64>(),
            int in proptest::prelude::any::<i64>(),
            wide in proptest::prelude::any::<i128>(),
        ) {
            for value in [Value::from(f64::from_bits(bits)), Value::from(int), Value::from(wide)] {
                proptest::prop_assert_eq!(written(&value), value.to_string());
            }
        }
    }
}
