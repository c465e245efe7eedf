//! Checks of the names a template uses, made when it is compiled: its
//! filters and tests, the `[vars]` keys it reads, its paths through `doc`
//! where the documents' profile is known, and the `request.params` names
//! it reads.
//!
//! minijinja looks filters and tests up by name only when it runs, and a
//! missing `[vars]` key or an element a profile does not declare is just an
//! undefined value, so without these checks a typo compiles and then fails
//! every request (a save would take a working route down, SPEC §5), or
//! silently decides a condition. This module reads the syntax tree and
//! reports; it never changes what is compiled or how it runs.

use std::ops::Range;

use minijinja::machinery::{self, ast};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, State};

use crate::config::de::did_you_mean;
use crate::diag::Severity;
use crate::profile::Profile;
use crate::profile::view::{Lookup, Place};
use crate::template::Escape;

/// What compile knows of the names a template reads.
#[derive(Clone, Copy, Default)]
pub struct Seen<'a> {
    /// `[vars]` of flowgate.toml, unless hidden where the template is.
    pub vars: Option<&'a Value>,
    /// The profile of `doc`, where every document has it (and of the
    /// items of `loops` over paths through it).
    pub doc: Option<&'a Profile>,
    /// What `request.params` can hold, where the request is the process's own.
    pub params: Option<Params<'a>>,
    /// The names enclosing `$for`s bind, outermost first.
    pub loops: &'a [ForName],
}

/// A name a `map`'s `$for` binds, and what it loops over.
#[derive(Clone, Debug)]
pub struct ForName {
    pub name: String,
    /// The source of the expression after `in`: where it is a path through
    /// `doc` (or an outer `$for` name) to a list, the name's lookups are
    /// checked as that list's items.
    pub over: String,
}

/// The path parameters of a process's URLs.
#[derive(Clone, Copy)]
pub struct Params<'a> {
    /// The `{name}`s of its REST path; none without one.
    pub names: &'a [String],
    /// Its simple URL, which has no path parameters.
    pub simple_url: &'a str,
}

/// Something wrong with a name in a template, positioned in its own source.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
    /// The byte range in the template or expression source.
    pub range: Range<usize>,
}

/// What a source is, which decides how an undefined value fares in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A template, or an expression whose value is used (`set`, a `map`
    /// leaf): SemiStrict, so printing or computing with undefined fails.
    Value,
    /// A condition (`if`, `$if`, `by`, `$for`): undefined is chainable and
    /// compares false.
    Condition,
}

/// The builtin filters of the features this crate enables, for the "did you
/// mean" hint only. Whether a filter exists is asked of the environment
/// itself (see [`Checker::filter_exists`]), so a name missing here is never a
/// false error, just a name not suggested; a test holds every name here to
/// the environment, so none is suggested that does not exist.
pub(super) const FILTER_NAMES: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "bool",
    "capitalize",
    "chain",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "unique",
    "upper",
    "urlencode",
    "zip",
];

/// The builtin tests, for the hint only, as [`FILTER_NAMES`].
pub(super) const TEST_NAMES: &[&str] = &[
    "boolean",
    "defined",
    "divisibleby",
    "endingwith",
    "eq",
    "equalto",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "greaterthan",
    "gt",
    "in",
    "int",
    "integer",
    "iterable",
    "le",
    "lessthan",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "safe",
    "sameas",
    "sequence",
    "startingwith",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
];

/// Checks a template's source; a source that does not parse has no findings
/// (its syntax error is reported by compiling it).
pub(super) fn template(
    source: &str,
    escape: Escape,
    env: &Environment<'_>,
    seen: Seen<'_>,
) -> Vec<Finding> {
    let syntax = minijinja::syntax::SyntaxConfig::default();
    let Ok(ast::Stmt::Template(template)) = machinery::parse(source, "t", syntax) else {
        return Vec::new();
    };
    let seen = Seen {
        vars: seen.vars.filter(|_| !binds(&template.children, "vars")),
        doc: seen.doc.filter(|_| !binds(&template.children, "doc")),
        params: seen
            .params
            .filter(|_| !binds(&template.children, "request")),
        loops: seen.loops,
    };
    let state = env.empty_state();
    let mut checker = Checker::new(&state, seen, Kind::Value);
    checker.escaped = match escape {
        Escape::Json => Some("JSON"),
        Escape::Xml => Some("XML"),
        Escape::None | Escape::Html => None,
    };
    // A name the template binds itself at its top is not the `$for`'s,
    // nor the batch's.
    for (name, place) in &mut checker.loops {
        if binds(&template.children, name) {
            *place = None;
        }
    }
    if binds(&template.children, "docs") {
        checker.loops.push(("docs".to_owned(), None));
    }
    checker.stmts(&template.children);
    checker.unknown_functions(|name| binds(&template.children, name));
    checker.findings
}

/// Checks an expression's source, a value or a condition.
pub(super) fn expression(
    source: &str,
    kind: Kind,
    env: &Environment<'_>,
    seen: Seen<'_>,
) -> Vec<Finding> {
    let Ok(expr) = machinery::parse_expr(source) else {
        return Vec::new();
    };
    let state = env.empty_state();
    let mut checker = Checker::new(&state, seen, kind);
    let top = match kind {
        Kind::Condition => Use::Guarded,
        Kind::Value => Use::Strict,
    };
    checker.expr(&expr, top);
    checker.unknown_functions(|_| false);
    checker.findings
}

/// How a value is used where it appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// Printed or computed with: an undefined value fails the request.
    Strict,
    /// Tested or defaulted: an undefined value is fine, but a `vars` key that
    /// is not there makes the test always come out the same way.
    Guarded,
    /// An operand of `<`, `<=`, `>`, `>=` in a condition: an undefined value
    /// does not fail, it sorts below every number, so `doc.amount > vars.x`
    /// is true for any amount.
    Ordered,
}

struct Checker<'s, 'env> {
    /// A state of the environment that runs the source, to ask it which
    /// filters and tests it has.
    state: &'s State<'env, 'env>,
    /// `[vars]`, unless unknown (not a table) or rebound by the template.
    vars: Option<&'s Value>,
    /// The profile of `doc`, unless unknown or rebound by the template.
    doc: Option<&'s Profile>,
    params: Option<Params<'s>>,
    /// Loop names in scope, innermost last, each with the place in the
    /// documents' profile its items are at (`None`: not known).
    loops: Vec<(String, Option<Place<'s>>)>,
    kind: Kind,
    /// The format a template's output is escaped for, where text a block
    /// captures is escaped before a filter or test could read it.
    escaped: Option<&'static str>,
    /// Names a `{% set %}…{% endset %}` block bound to escaped text.
    captured: Vec<String>,
    /// Names called as functions (`range(3)`), with where they are written,
    /// judged once the whole source is seen (it may bind them itself).
    called: Vec<(String, usize)>,
    findings: Vec<Finding>,
}

impl<'s, 'env> Checker<'s, 'env> {
    fn new(state: &'s State<'env, 'env>, seen: Seen<'s>, kind: Kind) -> Self {
        let mut checker = Checker {
            state,
            vars: seen.vars.filter(|v| v.kind() == ValueKind::Map),
            doc: seen.doc,
            params: seen.params,
            loops: Vec::with_capacity(seen.loops.len()),
            kind,
            escaped: None,
            captured: Vec::new(),
            called: Vec::new(),
            findings: Vec::new(),
        };
        for ForName { name, over } in seen.loops {
            let place = machinery::parse_expr(over)
                .ok()
                .and_then(|over| checker.item_place(&over));
            checker.loops.push((name.clone(), place));
        }
        checker
    }

    /// Notes the names a loop target of several names binds, as places
    /// not known.
    fn shadow(&mut self, target: &ast::Expr<'_>) {
        match target {
            ast::Expr::Var(var) => self.loops.push((var.id.to_owned(), None)),
            ast::Expr::Tuple(tuple) => tuple.items.iter().for_each(|item| self.shadow(item)),
            ast::Expr::List(list) => list.items.iter().for_each(|item| self.shadow(item)),
            _ => {}
        }
    }

    /// Where `root` starts, if it is a loop name with a known place or
    /// `doc` with a known profile (and no loop takes the name).
    fn root_place(&self, root: &str) -> Option<Place<'s>> {
        match self.loops.iter().rev().find(|(name, _)| name == root) {
            Some((_, place)) => *place,
            None if root == "doc" => self.doc.map(Profile::document_place),
            None if root == "docs" => self.doc.map(Place::Documents),
            None => None,
        }
    }

    /// The place of an item of the list `over` gives, if `over` is a path
    /// that is known to reach a list.
    fn item_place(&self, over: &ast::Expr<'_>) -> Option<Place<'s>> {
        let (root, keys) = root_path(over)?;
        let mut place = self.root_place(root)?;
        for (key, _) in &keys {
            let lookup = match key {
                PathKey::Name(name) => place.key(name),
                PathKey::Index => place.index(),
            };
            let Lookup::Found(next) = lookup else {
                return None;
            };
            place = next;
        }
        match place.index() {
            Lookup::Found(item) => Some(item),
            _ => None,
        }
    }

    /// How the operand of an operation that reads it (a comparison, a
    /// filter, a lookup, a loop) fares: in a condition an undefined value
    /// chains and compares false; elsewhere it fails. Outside conditions this
    /// errs on the strict side: a few operations let an undefined value
    /// through (`| tojson`, a list literal, a `set` whose name is defaulted
    /// later), but a key `[vars]` does not have is a typo there all the same.
    fn read(&self) -> Use {
        match self.kind {
            Kind::Condition => Use::Guarded,
            Kind::Value => Use::Strict,
        }
    }

    /// How an operand of an ordering comparison fares.
    fn ordered(&self) -> Use {
        match self.kind {
            Kind::Condition => Use::Ordered,
            Kind::Value => Use::Strict,
        }
    }

    fn stmts(&mut self, stmts: &[ast::Stmt<'_>]) {
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    // Every statement kind the enabled features parse is matched, so turning
    // on a feature with more (`macros`: macros and call blocks;
    // `multi_template`: blocks, includes, imports) stops this from compiling
    // until they are checked too.
    fn stmt(&mut self, stmt: &ast::Stmt<'_>) {
        match stmt {
            ast::Stmt::Template(template) => self.stmts(&template.children),
            // Printing captured text as it is writes what was escaped once.
            ast::Stmt::EmitExpr(emit) => match &emit.expr {
                ast::Expr::Var(var) if self.captured.iter().any(|c| c == var.id) => {}
                expr => self.expr(expr, Use::Strict),
            },
            ast::Stmt::EmitRaw(_) => {}
            ast::Stmt::ForLoop(for_loop) => {
                self.expr(&for_loop.iter, self.read());
                let bound = self.loops.len();
                match &for_loop.target {
                    // An item of a known list, unless the body binds the name again.
                    ast::Expr::Var(var) => {
                        let place = self
                            .item_place(&for_loop.iter)
                            .filter(|_| !binds(&for_loop.body, var.id));
                        self.loops.push((var.id.to_owned(), place));
                    }
                    target => self.shadow(target),
                }
                if let Some(filter) = &for_loop.filter_expr {
                    self.expr(filter, Use::Guarded);
                }
                self.stmts(&for_loop.body);
                self.loops.truncate(bound);
                self.stmts(&for_loop.else_body);
            }
            ast::Stmt::IfCond(cond) => {
                // SemiStrict lets an undefined value be false.
                self.expr(&cond.expr, Use::Guarded);
                self.stmts(&cond.true_body);
                self.stmts(&cond.false_body);
            }
            ast::Stmt::WithBlock(with) => {
                for (_, value) in &with.assignments {
                    self.expr(value, self.read());
                }
                self.stmts(&with.body);
            }
            ast::Stmt::Set(set) => {
                self.expr(&set.expr, self.read());
                self.uncapture(&set.target);
            }
            ast::Stmt::SetBlock(set) => {
                if let Some(filter) = &set.filter {
                    self.expr(filter, Use::Strict);
                    self.escaped_block(
                        "a filter of `{% set %}`",
                        set.span(),
                        "set it from an expression instead: `{% set name = doc.name | upper %}`",
                    );
                }
                self.stmts(&set.body);
                match &set.target {
                    ast::Expr::Var(var) if self.escaped.is_some() => {
                        self.captured.push(var.id.to_owned());
                    }
                    target => self.uncapture(target),
                }
            }
            ast::Stmt::AutoEscape(block) => {
                self.expr(&block.enabled, self.read());
                self.stmts(&block.body);
            }
            ast::Stmt::FilterBlock(block) => {
                self.expr(&block.filter, Use::Strict);
                self.escaped_block(
                    "a `{% filter %}` block",
                    block.span(),
                    "apply the filter to each value instead: `{{ doc.name | upper }}`",
                );
                self.stmts(&block.body);
            }
            ast::Stmt::Do(call) => self.call(&call.call),
        }
    }

    fn expr(&mut self, expr: &ast::Expr<'_>, used: Use) {
        if self.vars_path(expr, used) || self.doc_path(expr, used) || self.params_path(expr, used) {
            return;
        }
        match expr {
            ast::Expr::Var(var) => self.captured_read(var),
            ast::Expr::Const(_) => {}
            ast::Expr::Slice(slice) => {
                self.expr(&slice.expr, self.read());
                for bound in [&slice.start, &slice.stop, &slice.step]
                    .into_iter()
                    .flatten()
                {
                    self.expr(bound, self.read());
                }
            }
            ast::Expr::UnaryOp(op) => match op.op {
                ast::UnaryOpKind::Not => self.expr(&op.expr, Use::Guarded),
                // Arithmetic on an undefined value fails in every mode.
                ast::UnaryOpKind::Neg => self.expr(&op.expr, Use::Strict),
            },
            ast::Expr::BinOp(op) => {
                let (left, right) = match op.op {
                    // `a or b` is `b` when `a` is false, undefined included.
                    ast::BinOpKind::ScOr => (Use::Guarded, used),
                    // `a and b` is `a` when `a` is false: fine only where
                    // the result itself is tested.
                    ast::BinOpKind::ScAnd => (used, used),
                    ast::BinOpKind::Add
                    | ast::BinOpKind::Sub
                    | ast::BinOpKind::Mul
                    | ast::BinOpKind::Div
                    | ast::BinOpKind::FloorDiv
                    | ast::BinOpKind::Rem
                    | ast::BinOpKind::Pow => (Use::Strict, Use::Strict),
                    ast::BinOpKind::Lt
                    | ast::BinOpKind::Lte
                    | ast::BinOpKind::Gt
                    | ast::BinOpKind::Gte => (self.ordered(), self.ordered()),
                    ast::BinOpKind::Eq
                    | ast::BinOpKind::Ne
                    | ast::BinOpKind::Concat
                    | ast::BinOpKind::In => (self.read(), self.read()),
                };
                self.expr(&op.left, left);
                self.expr(&op.right, right);
            }
            ast::Expr::Compare(compare) => {
                let ordering = compare.ops.iter().any(|op| {
                    matches!(
                        op.op,
                        ast::CompareOpKind::Lt
                            | ast::CompareOpKind::Lte
                            | ast::CompareOpKind::Gt
                            | ast::CompareOpKind::Gte
                    )
                });
                let operand = if ordering {
                    self.ordered()
                } else {
                    self.read()
                };
                self.expr(&compare.expr, operand);
                for op in &compare.ops {
                    self.expr(&op.expr, operand);
                }
            }
            ast::Expr::IfExpr(if_expr) => {
                self.expr(&if_expr.test_expr, Use::Guarded);
                self.expr(&if_expr.true_expr, used);
                if let Some(otherwise) = &if_expr.false_expr {
                    self.expr(otherwise, used);
                }
            }
            ast::Expr::Filter(filter) => {
                self.filter_name(filter.name, filter.span().start_offset as usize);
                if let Some(operand) = &filter.expr {
                    let operand_use = match filter.name {
                        "default" | "d" => Use::Guarded,
                        _ => self.read(),
                    };
                    self.expr(operand, operand_use);
                }
                self.args(&filter.args);
            }
            ast::Expr::Test(test) => {
                self.test_name(test.name, test.span().start_offset as usize);
                let operand_use = match test.name {
                    "defined" | "undefined" | "none" => Use::Guarded,
                    _ => self.read(),
                };
                self.expr(&test.expr, operand_use);
                self.args(&test.args);
            }
            ast::Expr::GetAttr(attr) => self.expr(&attr.expr, self.read()),
            ast::Expr::GetItem(item) => {
                self.expr(&item.expr, self.read());
                self.expr(&item.subscript_expr, self.read());
            }
            ast::Expr::Call(call) => self.call(call),
            ast::Expr::List(list) => {
                for item in &list.items {
                    self.expr(item, self.read());
                }
            }
            ast::Expr::Tuple(tuple) => {
                for item in &tuple.items {
                    self.expr(item, self.read());
                }
            }
            ast::Expr::Map(map) => {
                for item in map.keys.iter().chain(&map.values) {
                    self.expr(item, self.read());
                }
            }
        }
    }

    /// In a template escaped for JSON or XML, the text a block captures is
    /// escaped before anything reads it: `upper` turns `&amp;` into
    /// `&AMP;`, `length` counts the entity. Refused there, with `hint`.
    fn escaped_block(&mut self, what: &str, span: minijinja::machinery::Span, hint: &str) {
        let Some(format) = self.escaped else {
            return;
        };
        self.findings.push(Finding {
            severity: Severity::Error,
            message: format!(
                "{what} reads the text after it is escaped for {format}, not the values written"
            ),
            hint: Some(hint.to_owned()),
            range: span.start_offset as usize..span.end_offset as usize,
        });
    }

    /// A use of a name a `{% set %}` block bound to escaped text, other than
    /// printing it: a filter, test or operator would see the escaped text.
    fn captured_read(&mut self, var: &ast::Spanned<ast::Var<'_>>) {
        let (Some(format), true) = (self.escaped, self.captured.iter().any(|c| c == var.id)) else {
            return;
        };
        let span = var.span();
        self.findings.push(Finding {
            severity: Severity::Error,
            message: format!(
                "`{}` holds text that `{{% set %}}…{{% endset %}}` escaped for {format}, so this reads the escaped text",
                var.id
            ),
            hint: Some(format!(
                "print it alone as `{{{{ {} }}}}`, or set it from an expression: `{{% set {} = … %}}`",
                var.id, var.id
            )),
            range: span.start_offset as usize..span.end_offset as usize,
        });
    }

    /// A name bound again by `{% set %}` no longer holds captured text.
    fn uncapture(&mut self, target: &ast::Expr<'_>) {
        self.captured.retain(|name| !binds_target(target, name));
    }

    fn call(&mut self, call: &ast::Call<'_>) {
        if let ast::Expr::Var(var) = &call.expr {
            self.called
                .push((var.id.to_owned(), var.span().start_offset as usize));
        }
        self.expr(&call.expr, self.read());
        self.args(&call.args);
    }

    /// A function called by a name that is no function of the engine, nor
    /// bound by the source, a loop or the context, fails every time it
    /// runs: an error where it is written.
    fn unknown_functions(&mut self, bound: impl Fn(&str) -> bool) {
        let called = std::mem::take(&mut self.called);
        for (name, at) in called {
            let known = self.state.lookup(&name).is_some()
                || super::context::NAMES.contains(&name.as_str())
                || self.loops.iter().any(|(looped, _)| *looped == name)
                || bound(&name);
            if !known {
                let functions = self.state.env().globals().map(|(name, _)| name);
                let hint = did_you_mean(&name, functions).map(|b| format!("did you mean `{b}`?"));
                self.findings.push(Finding {
                    severity: Severity::Error,
                    message: format!("unknown function `{name}`"),
                    hint,
                    range: at..at + name.len(),
                });
            }
        }
    }

    fn args(&mut self, args: &[ast::CallArg<'_>]) {
        for arg in args {
            let expr = match arg {
                ast::CallArg::Pos(expr)
                | ast::CallArg::Kwarg(_, expr)
                | ast::CallArg::PosSplat(expr)
                | ast::CallArg::KwargSplat(expr) => expr,
            };
            self.expr(expr, self.read());
        }
    }

    // Whether a filter or test exists is asked of the environment that runs
    // the template, with the engine's own `is filter` / `is test` checks,
    // rather than of a list kept here: the answer cannot drift from what
    // runs when minijinja changes or the project adds a filter.
    fn filter_exists(&self, name: &str) -> bool {
        minijinja::tests::is_filter(self.state, &normalize(name))
    }

    fn test_exists(&self, name: &str) -> bool {
        minijinja::tests::is_test(self.state, &normalize(name))
    }

    fn filter_name(&mut self, name: &str, at: usize) {
        if !self.filter_exists(name) {
            self.unknown("filter", name, at, FILTER_NAMES);
        }
    }

    fn test_name(&mut self, name: &str, at: usize) {
        if !self.test_exists(name) {
            self.unknown("test", name, at, TEST_NAMES);
        }
    }

    fn unknown(&mut self, what: &str, name: &str, at: usize, known: &[&'static str]) {
        let hint =
            did_you_mean(name, known.iter().copied()).map(|b| format!("did you mean `{b}`?"));
        self.findings.push(Finding {
            severity: Severity::Error,
            message: format!("unknown {what} `{name}`"),
            hint,
            range: at..at + name.len(),
        });
    }

    /// If `expr` is `vars` followed by constant keys (`vars.a`, `vars['a']`,
    /// `vars.a.b`), checks each key against `[vars]` as far as it goes
    /// through tables, and says it was one; such a lookup has nothing else
    /// in it to check.
    fn vars_path(&mut self, expr: &ast::Expr<'_>, used: Use) -> bool {
        let Some(vars) = self.vars else {
            return false;
        };
        // `[vars]` is tables and values: an index into it is left alone.
        let keys: Option<Vec<(&str, Range<usize>)>> = lookup_path(expr, "vars").and_then(|path| {
            path.into_iter()
                .map(|(key, range)| match key {
                    PathKey::Name(name) => Some((name, range)),
                    PathKey::Index => None,
                })
                .collect()
        });
        let Some(keys) = keys else {
            return false;
        };
        let mut table = vars.clone();
        let mut table_name = "vars".to_owned();
        for (index, (key, range)) in keys.iter().enumerate() {
            if table.kind() != ValueKind::Map {
                break;
            }
            let found = table
                .get_attr(key)
                .ok()
                .filter(|value| !value.is_undefined());
            let Some(value) = found else {
                let (severity, ordered) = self.undefined(index + 1 == keys.len(), used);
                let names: Vec<String> = table
                    .try_iter()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect();
                let close = did_you_mean(key, names.iter().map(String::as_str));
                let (message, hint) = match severity {
                    Severity::Error if ordered => (
                        format!(
                            "there is no `{key}` in `[{table_name}]` of flowgate.toml: undefined compares below every number, so this comparison always comes out the same"
                        ),
                        close.map(|b| format!("did you mean `{b}`?")).unwrap_or_else(|| {
                            format!("add `{key}` to `[{table_name}]`, or test it first: `vars.{key} is defined and …`")
                        }),
                    ),
                    Severity::Error => (
                        format!(
                            "there is no `{key}` in `[{table_name}]` of flowgate.toml: every request that gets here fails"
                        ),
                        close.map(|b| format!("did you mean `{b}`?")).unwrap_or_else(|| {
                            format!("add `{key}` to `[{table_name}]`, or guard it with `| default(…)`")
                        }),
                    ),
                    Severity::Warning => (
                        format!(
                            "there is no `{key}` in `[{table_name}]` of flowgate.toml: here it is always undefined"
                        ),
                        close.map(|b| format!("did you mean `{b}`?")).unwrap_or_else(|| {
                            format!("add `{key}` to `[{table_name}]` if it is meant to be set there")
                        }),
                    ),
                };
                self.findings.push(Finding {
                    severity,
                    message,
                    hint: Some(hint),
                    range: range.clone(),
                });
                break;
            };
            table_name = format!("{table_name}.{key}");
            table = value;
        }
        true
    }

    /// How bad an undefined value is where it is read: `last` says whether
    /// the lookup ends there. The flag says it is an operand of an
    /// ordering comparison in a condition.
    fn undefined(&self, last: bool, used: Use) -> (Severity, bool) {
        // Looking further into an undefined value fails unless undefined chains.
        // An ordering comparison with it never fails and always
        // comes out the same way: a typo that silently decides.
        let ordered = last && used == Use::Ordered;
        let severity = match (last, used, self.kind) {
            (_, Use::Strict, _) => Severity::Error,
            (false, _, Kind::Value) => Severity::Error,
            _ if ordered => Severity::Error,
            _ => Severity::Warning,
        };
        (severity, ordered)
    }

    /// If `expr` is `doc`, `docs`, or a loop name over a list of known
    /// items, followed by constant keys and indexes (`doc.Order.Lines.Line[0]`,
    /// `doc['@id']`, `docs[0].Order`, `line.Sku`), follows them through the documents'
    /// profile and reports the first one that is never there; says it was
    /// such a lookup, which has nothing else in it to check.
    fn doc_path(&mut self, expr: &ast::Expr<'_>, used: Use) -> bool {
        let Some(profile) = self.doc else {
            return false;
        };
        let Some((root, keys)) = root_path(expr) else {
            return false;
        };
        let Some(mut place) = self.root_place(root) else {
            return false;
        };
        let mut path = root.to_owned();
        for (index, (key, range)) in keys.iter().enumerate() {
            let lookup = match key {
                PathKey::Name(name) => {
                    path = format!("{path}.{name}");
                    place.key(name)
                }
                PathKey::Index => {
                    path.push_str("[…]");
                    place.index()
                }
            };
            let (what, names) = match lookup {
                Lookup::Found(next) => {
                    place = next;
                    continue;
                }
                Lookup::Open => break,
                Lookup::Never { what, names } => (what, names),
            };
            let (severity, ordered) = self.undefined(index + 1 == keys.len(), used);
            let consequence = consequence(severity, ordered, "; ");
            let name = match key {
                PathKey::Name(name) => *name,
                PathKey::Index => "",
            };
            let hint = did_you_mean(name, names.iter().map(String::as_str))
                .map(|best| format!("did you mean `{best}`?"));
            self.findings.push(Finding {
                severity,
                message: format!(
                    "`{path}` is always undefined in documents of profile `{}`: {what}{consequence}",
                    profile.name()
                ),
                hint,
                range: range.clone(),
            });
            break;
        }
        true
    }

    /// If `expr` is `request.params.NAME…`, checks `NAME` against the
    /// process's path parameters and says it was such a lookup.
    fn params_path(&mut self, expr: &ast::Expr<'_>, used: Use) -> bool {
        let Some(params) = self.params else {
            return false;
        };
        let Some(keys) = lookup_path(expr, "request") else {
            return false;
        };
        let [
            (PathKey::Name("params"), _),
            (PathKey::Name(name), range),
            ..,
        ] = keys.as_slice()
        else {
            return false;
        };
        let (severity, ordered) = self.undefined(keys.len() == 2, used);
        if !params.names.iter().any(|known| known == name) {
            let consequence = consequence(severity, ordered, ": ");
            let hint = did_you_mean(name, params.names.iter().map(String::as_str))
                .map(|best| format!("did you mean `{best}`?"))
                .or_else(|| {
                    Some(match params.names.is_empty() {
                        true => "path parameters come from `{name}` segments of `rest`; the query string is `request.query`".to_owned(),
                        false => format!("the path parameters are {}", crate::config::de::quoted_list(params.names)),
                    })
                });
            self.findings.push(Finding {
                severity,
                message: format!(
                    "`request.params.{name}` is always undefined: no URL of this process has `{{{name}}}`{consequence}"
                ),
                hint,
                range: range.clone(),
            });
        } else if severity == Severity::Error {
            // Fine on the REST URL; the simple URL has no path parameters.
            self.findings.push(Finding {
                severity: Severity::Warning,
                message: format!(
                    "on {}, which has no path parameters, `request.params.{name}` is undefined, so requests there fail",
                    params.simple_url
                ),
                hint: Some(format!(
                    "give it a fallback, as `request.params.{name} | default(request.query.{name})`"
                )),
                range: range.clone(),
            });
        }
        true
    }
}

/// What an undefined value does where it is read, for an error's message.
/// `separator` goes before it; a warning has none.
fn consequence(severity: Severity, ordered: bool, separator: &str) -> String {
    let consequence = match severity {
        Severity::Error if ordered => {
            "undefined compares below every number, so this comparison always comes out the same"
        }
        Severity::Error => "every request that gets here fails",
        Severity::Warning => return String::new(),
    };
    format!("{separator}{consequence}")
}

/// One step of a lookup path.
enum PathKey<'e> {
    Name(&'e str),
    /// A number, or any subscript that is not a constant string.
    Index,
}

/// The steps of a lookup path, each with where it is written.
type Keys<'e> = Vec<(PathKey<'e>, Range<usize>)>;

/// The root name of a lookup `ROOT.a['b'][0]…` and its steps, each with
/// where it is written; `None` if `expr` is no such lookup.
fn root_path<'e>(expr: &'e ast::Expr<'_>) -> Option<(&'e str, Keys<'e>)> {
    fn root<'e>(expr: &'e ast::Expr<'_>) -> Option<&'e str> {
        match expr {
            ast::Expr::Var(var) => Some(var.id),
            ast::Expr::GetAttr(attr) => root(&attr.expr),
            ast::Expr::GetItem(item) => root(&item.expr),
            _ => None,
        }
    }
    let root = root(expr)?;
    Some((root, lookup_path(expr, root)?))
}

/// The steps of a lookup `ROOT.a['b'][0]…`, each with where it is
/// written; `None` if `expr` is no such lookup.
fn lookup_path<'e>(expr: &'e ast::Expr<'_>, root: &str) -> Option<Keys<'e>> {
    match expr {
        ast::Expr::Var(var) => (var.id == root).then(Vec::new),
        ast::Expr::GetAttr(attr) => {
            let mut path = lookup_path(&attr.expr, root)?;
            let end = attr.span().end_offset as usize;
            path.push((
                PathKey::Name(attr.name),
                end.saturating_sub(attr.name.len())..end,
            ));
            Some(path)
        }
        ast::Expr::GetItem(item) => {
            let ast::Expr::Const(key) = &item.subscript_expr else {
                return None;
            };
            let step = match key.value.as_str() {
                Some(name) => PathKey::Name(name),
                None if key.value.is_integer() => PathKey::Index,
                None => return None,
            };
            let mut path = lookup_path(&item.expr, root)?;
            let span = key.span();
            path.push((step, span.start_offset as usize..span.end_offset as usize));
            Some(path)
        }
        _ => None,
    }
}

/// Whether a template binds the name `vars` itself (`set`, `for`, `with`),
/// in which case what it reads as `vars` is not `[vars]`.
/// Whether an assignment's target binds `name`.
fn binds_target(target: &ast::Expr<'_>, name: &str) -> bool {
    match target {
        ast::Expr::Var(var) => var.id == name,
        ast::Expr::Tuple(tuple) => tuple.items.iter().any(|item| binds_target(item, name)),
        ast::Expr::List(list) => list.items.iter().any(|item| binds_target(item, name)),
        _ => false,
    }
}

fn binds(stmts: &[ast::Stmt<'_>], name: &str) -> bool {
    stmts.iter().any(|stmt| match stmt {
        ast::Stmt::Template(template) => binds(&template.children, name),
        ast::Stmt::ForLoop(for_loop) => {
            binds_target(&for_loop.target, name)
                || binds(&for_loop.body, name)
                || binds(&for_loop.else_body, name)
        }
        ast::Stmt::IfCond(cond) => binds(&cond.true_body, name) || binds(&cond.false_body, name),
        ast::Stmt::WithBlock(with) => {
            with.assignments
                .iter()
                .any(|(to, _)| binds_target(to, name))
                || binds(&with.body, name)
        }
        ast::Stmt::Set(set) => binds_target(&set.target, name),
        ast::Stmt::SetBlock(set) => binds_target(&set.target, name) || binds(&set.body, name),
        ast::Stmt::AutoEscape(block) => binds(&block.body, name),
        ast::Stmt::FilterBlock(block) => binds(&block.body, name),
        ast::Stmt::EmitExpr(_) | ast::Stmt::EmitRaw(_) | ast::Stmt::Do(_) => false,
    })
}

/// A dotted filter or test name as the engine looks it up: without spaces.
fn normalize(name: &str) -> String {
    name.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplatesBuilder;
    use minijinja::ErrorKind;

    /// The names a template's findings are about, in order.
    fn unknown_names(source: &str, findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| source[f.range.clone()].to_owned())
            .collect()
    }

    #[test]
    fn existence_is_what_evaluating_finds_and_hints_only_name_what_exists() {
        let builder = TemplatesBuilder::new();
        for env in [&builder.envs.values, &builder.envs.conditions] {
            let state = env.empty_state();
            let checker = Checker::new(&state, Seen::default(), Kind::Value);
            let unknown = ["nofilter", "uper", "to_json", "nosuchtest"];
            for name in FILTER_NAMES.iter().chain(&unknown) {
                let ran = env.compile_expression_owned(format!("none | {name}"));
                let missing = ran
                    .unwrap()
                    .eval(())
                    .is_err_and(|e| e.kind() == ErrorKind::UnknownFilter);
                assert_eq!(checker.filter_exists(name), !missing, "filter {name}");
                assert_eq!(
                    FILTER_NAMES.contains(name),
                    !missing,
                    "filter {name}: the hint list names only filters that exist"
                );
            }
            for name in TEST_NAMES.iter().chain(&unknown) {
                let ran = env.compile_expression_owned(format!("none is {name}"));
                let missing = ran
                    .unwrap()
                    .eval(())
                    .is_err_and(|e| e.kind() == ErrorKind::UnknownTest);
                assert_eq!(checker.test_exists(name), !missing, "test {name}");
                assert_eq!(TEST_NAMES.contains(name), !missing, "test {name}");
            }
        }
    }

    #[test]
    fn blocks_that_read_escaped_text_are_refused_where_output_is_escaped() {
        let builder = TemplatesBuilder::new();
        let found = |source: &str, escape: Escape| {
            builder
                .check_template(source, escape, Seen::default())
                .into_iter()
                .map(|f| (f.message, source[f.range].to_owned()))
                .collect::<Vec<_>>()
        };
        let filter = "<a>{% filter upper %}{{ x }}{% endfilter %}</a>";
        for escape in [Escape::Json, Escape::Xml] {
            let findings = found(filter, escape);
            assert_eq!(findings.len(), 1, "{escape:?}");
            assert!(
                findings[0]
                    .0
                    .starts_with("a `{% filter %}` block reads the text after it is escaped for")
            );
            assert!(
                findings[0].1.starts_with("filter upper %}"),
                "{:?}",
                findings[0].1
            );
        }
        assert_eq!(found(filter, Escape::None), []);
        assert_eq!(found(filter, Escape::Html), []);
        // Printing captured text alone is fine; reading it is not.
        let printed = "{% set n %}{{ x }}!{% endset %}<a>{{ n }}</a>";
        assert_eq!(found(printed, Escape::Xml), []);
        let read =
            "{% set n %}{{ x }}{% endset %}{{ n | upper }}{{ n ~ 'x' }}{% if n %}{% endif %}";
        let findings = found(read, Escape::Json);
        assert_eq!(findings.len(), 3, "{findings:?}");
        assert!(
            findings
                .iter()
                .all(|(message, at)| at == "n" && message.contains("escaped for JSON"))
        );
        assert_eq!(found(read, Escape::None), []);
        // Bound again from an expression, the name holds a value.
        let rebound = "{% set n %}{{ x }}{% endset %}{% set n = x %}{{ n | upper }}";
        assert_eq!(found(rebound, Escape::Xml), []);
        let filtered = "{% set n | upper %}{{ x }}{% endset %}{{ n }}";
        assert_eq!(found(filtered, Escape::Xml).len(), 1);
    }

    #[test]
    fn unknown_functions_are_found_where_they_are_written() {
        let builder = TemplatesBuilder::new();
        let names = |source: &str| {
            builder
                .check_template(source, Escape::None, Seen::default())
                .into_iter()
                .map(|f| (f.message, source[f.range].to_owned(), f.hint))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("{{ nosuchfunc() }} {{ rnage(3) }}"),
            [
                (
                    "unknown function `nosuchfunc`".to_owned(),
                    "nosuchfunc".to_owned(),
                    None
                ),
                (
                    "unknown function `rnage`".to_owned(),
                    "rnage".to_owned(),
                    Some("did you mean `range`?".to_owned())
                ),
            ]
        );
        for fine in [
            "{{ range(3) | join }}{{ dict(a=1) }}{% set ns = namespace(n=0) %}",
            "{% set f = x %}{{ f() }}",
            "{% for g in fs %}{{ g() }}{% endfor %}",
        ] {
            assert_eq!(names(fine), [], "{fine}");
        }
        let found = builder.check_condition("caller() > 1", Seen::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "unknown function `caller`");
    }

    #[test]
    fn unknown_filters_and_tests_are_found_where_they_are_written() {
        let builder = TemplatesBuilder::new();
        let source = "a {{ x | uper }} b {{ x is od }} {{ x | upper | nofilter(1) }}";
        let findings = builder.check_template(source, Escape::None, Seen::default());
        assert_eq!(unknown_names(source, &findings), ["uper", "od", "nofilter"]);
        assert_eq!(findings[0].message, "unknown filter `uper`");
        assert_eq!(findings[0].hint.as_deref(), Some("did you mean `upper`?"));
        assert_eq!(findings[1].message, "unknown test `od`");
        assert_eq!(findings[1].hint.as_deref(), Some("did you mean `odd`?"));
        assert_eq!(findings[2].hint, None);
        assert!(findings.iter().all(|f| f.severity == Severity::Error));
        let findings =
            builder.check_condition("x is not nosuchtest and y | d(1) > 2", Seen::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].range, 9..19);
        assert!(
            builder
                .check_expression("x | default(1) | upper", Seen::default())
                .is_empty()
        );
        // What does not parse is the syntax error's to report.
        assert!(
            builder
                .check_template("{{ x | }}", Escape::None, Seen::default())
                .is_empty()
        );
    }

    #[test]
    fn every_statement_and_expression_kind_is_searched() {
        let builder = TemplatesBuilder::new();
        let source = concat!(
            "{{ a | f1 }}",
            "{% for i in b | f2 if i is t1 %}{{ i | f3 }}{% else %}{{ c | f4 }}{% endfor %}",
            "{% if d is t2 %}{{ e | f5 }}{% else %}{{ g | f6 }}{% endif %}",
            "{% with w = h | f7 %}{{ w | f8 }}{% endwith %}",
            "{% set s = k | f9 %}",
            "{% set blk | f10 %}{{ m | f11 }}{% endset %}",
            "{% autoescape n | f12 %}{{ o | f13 }}{% endautoescape %}",
            "{% filter f14 | f15(p | f16) %}{{ q | f17 }}{% endfilter %}",
            "{{ r[s | f18:t | f19:u | f20] }}",
            "{{ -(v | f21) }}{{ not (v | f22) }}{{ (v | f23) + (v | f24) }}",
            "{{ v | f25 < v | f26 < v | f27 }}",
            "{{ (v | f28) if (v | f29) else (v | f30) }}",
            "{{ v is t3(v | f31) }}{{ (v | f32).attr }}{{ (v | f33)[v | f34] }}",
            "{{ fn(v | f35, key=v | f36, *v | f37, **v | f38) }}",
            "{{ [v | f39] }}{{ (v | f40, v) }}{{ {v | f41: v | f42} }}",
            "{{ (v | f43).method(v | f44) }}",
            "{% do fn(v | f45) %}",
        );
        let found = unknown_names(
            source,
            &builder.check_template(source, Escape::None, Seen::default()),
        );
        let mut expected: Vec<String> = (1..=45).map(|n| format!("f{n}")).collect();
        expected.extend((1..=3).map(|n| format!("t{n}")));
        // `fn` is no function either, called twice.
        expected.extend(["fn".to_owned(), "fn".to_owned()]);
        let mut sorted = found.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected, "found {found:?}");
    }

    fn vars() -> Value {
        Value::from_pairs([
            ("approval_limit", Value::from(1000)),
            ("db", Value::from_pairs([("host", Value::from("db.local"))])),
        ])
    }

    /// Whether the source fails when it runs (a value that comes out
    /// undefined counts: it is set or written as nothing at all).
    fn fails(source: &str, kind: &str) -> bool {
        let mut builder = TemplatesBuilder::new();
        let ctx = Value::from_pairs([
            ("vars", vars()),
            ("doc", Value::from_pairs([("amount", Value::from(10))])),
        ]);
        match kind {
            "template" => {
                let id = builder
                    .template(source, crate::template::Escape::None)
                    .unwrap();
                builder.build().unwrap().render(id, &ctx).is_err()
            }
            "value" => {
                let id = builder.expression(source).unwrap();
                let value = builder.build().unwrap().eval(id, &ctx);
                value.is_err() || value.is_ok_and(|v| v.is_undefined())
            }
            _ => {
                let id = builder.condition(source).unwrap();
                builder.build().unwrap().eval(id, &ctx).is_err()
            }
        }
    }

    fn check(source: &str, kind: &str) -> Vec<Finding> {
        let builder = TemplatesBuilder::new();
        let vars = vars();
        match kind {
            "template" => builder.check_template(
                source,
                Escape::None,
                Seen {
                    vars: Some(&vars),
                    ..Seen::default()
                },
            ),
            "value" => builder.check_expression(
                source,
                Seen {
                    vars: Some(&vars),
                    ..Seen::default()
                },
            ),
            _ => builder.check_condition(
                source,
                Seen {
                    vars: Some(&vars),
                    ..Seen::default()
                },
            ),
        }
    }

    #[test]
    fn a_missing_var_is_an_error_where_it_fails_or_decides_alone_and_a_warning_where_guarded() {
        let cases = [
            ("{{ vars.nope }}", "template"),
            ("{{ vars['nope'] }}", "template"),
            ("{{ vars.nope | default(1) }}", "template"),
            ("{{ vars.nope | d(1) }}", "template"),
            ("{{ vars.nope.deeper | default(1) }}", "template"),
            ("{{ vars.db.hots }}", "template"),
            ("{{ vars.db.hots | default('h') }}", "template"),
            ("{{ vars.nope is defined }}", "template"),
            ("{{ vars.nope is undefined }}", "template"),
            ("{{ vars.nope is none }}", "template"),
            ("{% if vars.nope %}a{% endif %}", "template"),
            (
                "{% if not vars.nope and vars.other %}a{% endif %}",
                "template",
            ),
            ("{% if vars.nope == 1 %}a{% endif %}", "template"),
            ("{{ 'a' if vars.nope else 'b' }}", "template"),
            ("{{ vars.nope or 'b' }}", "template"),
            ("{{ vars.nope ~ 'b' }}", "template"),
            ("{{ vars.nope + 1 }}", "template"),
            ("{{ vars.nope | upper }}", "template"),
            ("{% for x in vars.nope %}{% endfor %}", "template"),
            (
                "{% filter upper %}{{ vars.nope }}{% endfilter %}",
                "template",
            ),
            ("{% set x %}{{ vars.nope }}{% endset %}", "template"),
            ("{{ vars.approval_limit }}{{ vars.db.host }}", "template"),
            ("vars.nope", "value"),
            ("vars.nope | default(2) * 2", "value"),
            ("vars.approval_limit * 2", "value"),
            ("doc.amount > vars.nope", "condition"),
            ("vars.nope.deeper == 1", "condition"),
            ("vars.nope | upper", "condition"),
            ("vars.nope + 1 > 2", "condition"),
            ("-vars.nope < 2", "condition"),
        ];
        for (source, kind) in cases {
            let findings = check(source, kind);
            let error = findings.iter().any(|f| f.severity == Severity::Error);
            // An ordering comparison with the missing key does not fail, but
            // always comes out the same: that is an error too.
            let decides_alone = source == "doc.amount > vars.nope";
            assert_eq!(
                error,
                fails(source, kind) || decides_alone,
                "{kind} {source}: {findings:?}"
            );
            let reads_missing = source.contains("nope") || source.contains("hots");
            assert_eq!(!findings.is_empty(), reads_missing, "{kind} {source}");
            for finding in &findings {
                assert!(
                    ["nope", "'nope'", "hots", "other"].contains(&&source[finding.range.clone()]),
                    "{source}: {finding:?}"
                );
            }
        }
    }

    #[test]
    fn the_hint_names_a_close_key_of_the_same_table() {
        let findings = check("{{ vars.approval_limt }}{{ vars.db.hots }}", "template");
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].message,
            "there is no `approval_limt` in `[vars]` of flowgate.toml: every request that gets here fails"
        );
        assert_eq!(
            findings[0].hint.as_deref(),
            Some("did you mean `approval_limit`?")
        );
        assert!(findings[1].message.contains("`[vars.db]`"));
        assert_eq!(findings[1].hint.as_deref(), Some("did you mean `host`?"));
        // A missing value in an ordering comparison does not fail, but
        // decides alone: an error, with the hint.
        let findings = check("doc.amount > vars.approval_limt", "condition");
        assert_eq!(findings[0].severity, Severity::Error);
        assert!(
            findings[0]
                .message
                .ends_with("below every number, so this comparison always comes out the same"),
            "{findings:?}"
        );
        assert_eq!(
            findings[0].hint.as_deref(),
            Some("did you mean `approval_limit`?")
        );
        let findings = check("vars.nope == 1 or 1 < vars.db.hots < 3", "condition");
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].severity, Severity::Warning);
        assert!(findings[0].message.ends_with("always undefined"));
        assert_eq!(findings[1].severity, Severity::Error);
        assert!(findings[1].message.contains("below every number"));
    }

    #[test]
    fn a_template_that_binds_vars_itself_is_not_checked_against_the_table() {
        for source in [
            "{% set vars = {'x': 1} %}{{ vars.x }}",
            "{% for vars in [{'x': 1}] %}{{ vars.x }}{% endfor %}",
            "{% for k, vars in [('a', {'x': 1})] %}{{ vars.x }}{% endfor %}",
            "{% with vars = {'x': 1} %}{{ vars.x }}{% endwith %}",
            "{% if true %}{% set vars %}x{% endset %}{% endif %}{{ vars }}",
        ] {
            assert!(check(source, "template").is_empty(), "{source}");
        }
        // A lookup that is not by constant keys is not checked.
        assert!(check("{{ vars[doc.key] | default(1) }}", "template").is_empty());
        // Without a table (no `[vars]` known) nothing is checked.
        let builder = TemplatesBuilder::new();
        assert!(
            builder
                .check_template("{{ vars.nope }}", Escape::None, Seen::default())
                .is_empty()
        );
    }
}
