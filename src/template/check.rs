//! Checks of the names a template uses, made when it is compiled: its
//! filters and tests.
//!
//! minijinja looks filters and tests up by name only when it runs, so
//! without this check a typo compiles and then fails every request: a save
//! would take a working route down (SPEC §5). This module reads the syntax
//! tree and reports; it never changes what is compiled or how it runs.

use std::ops::Range;

use minijinja::machinery::{self, ast};
use minijinja::{Environment, State};

use crate::config::de::did_you_mean;
use crate::diag::Severity;

/// Something wrong with a name in a template, positioned in its own source.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
    /// The byte range in the template or expression source.
    pub range: Range<usize>,
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
pub(super) fn template(source: &str, env: &Environment<'_>) -> Vec<Finding> {
    let syntax = minijinja::syntax::SyntaxConfig::default();
    let Ok(ast::Stmt::Template(template)) = machinery::parse(source, "t", syntax) else {
        return Vec::new();
    };
    let state = env.empty_state();
    let mut checker = Checker::new(&state);
    checker.stmts(&template.children);
    checker.findings
}

/// Checks an expression's source, a value or a condition.
pub(super) fn expression(source: &str, env: &Environment<'_>) -> Vec<Finding> {
    let Ok(expr) = machinery::parse_expr(source) else {
        return Vec::new();
    };
    let state = env.empty_state();
    let mut checker = Checker::new(&state);
    checker.expr(&expr);
    checker.findings
}

struct Checker<'s, 'env> {
    /// A state of the environment that runs the source, to ask it which
    /// filters and tests it has.
    state: &'s State<'env, 'env>,
    findings: Vec<Finding>,
}

impl<'s, 'env> Checker<'s, 'env> {
    fn new(state: &'s State<'env, 'env>) -> Self {
        Checker {
            state,
            findings: Vec::new(),
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
            ast::Stmt::EmitExpr(emit) => self.expr(&emit.expr),
            ast::Stmt::EmitRaw(_) => {}
            ast::Stmt::ForLoop(for_loop) => {
                self.expr(&for_loop.target);
                self.expr(&for_loop.iter);
                if let Some(filter) = &for_loop.filter_expr {
                    self.expr(filter);
                }
                self.stmts(&for_loop.body);
                self.stmts(&for_loop.else_body);
            }
            ast::Stmt::IfCond(cond) => {
                self.expr(&cond.expr);
                self.stmts(&cond.true_body);
                self.stmts(&cond.false_body);
            }
            ast::Stmt::WithBlock(with) => {
                for (target, value) in &with.assignments {
                    self.expr(target);
                    self.expr(value);
                }
                self.stmts(&with.body);
            }
            ast::Stmt::Set(set) => {
                self.expr(&set.target);
                self.expr(&set.expr);
            }
            ast::Stmt::SetBlock(set) => {
                self.expr(&set.target);
                if let Some(filter) = &set.filter {
                    self.expr(filter);
                }
                self.stmts(&set.body);
            }
            ast::Stmt::AutoEscape(block) => {
                self.expr(&block.enabled);
                self.stmts(&block.body);
            }
            ast::Stmt::FilterBlock(block) => {
                self.expr(&block.filter);
                self.stmts(&block.body);
            }
            ast::Stmt::Do(call) => self.call(&call.call),
        }
    }

    fn expr(&mut self, expr: &ast::Expr<'_>) {
        match expr {
            ast::Expr::Var(_) | ast::Expr::Const(_) => {}
            ast::Expr::Slice(slice) => {
                self.expr(&slice.expr);
                for bound in [&slice.start, &slice.stop, &slice.step]
                    .into_iter()
                    .flatten()
                {
                    self.expr(bound);
                }
            }
            ast::Expr::UnaryOp(op) => self.expr(&op.expr),
            ast::Expr::BinOp(op) => {
                self.expr(&op.left);
                self.expr(&op.right);
            }
            ast::Expr::Compare(compare) => {
                self.expr(&compare.expr);
                for op in &compare.ops {
                    self.expr(&op.expr);
                }
            }
            ast::Expr::IfExpr(if_expr) => {
                self.expr(&if_expr.test_expr);
                self.expr(&if_expr.true_expr);
                if let Some(otherwise) = &if_expr.false_expr {
                    self.expr(otherwise);
                }
            }
            ast::Expr::Filter(filter) => {
                self.filter_name(filter.name, filter.span().start_offset as usize);
                if let Some(operand) = &filter.expr {
                    self.expr(operand);
                }
                self.args(&filter.args);
            }
            ast::Expr::Test(test) => {
                self.test_name(test.name, test.span().start_offset as usize);
                self.expr(&test.expr);
                self.args(&test.args);
            }
            ast::Expr::GetAttr(attr) => self.expr(&attr.expr),
            ast::Expr::GetItem(item) => {
                self.expr(&item.expr);
                self.expr(&item.subscript_expr);
            }
            ast::Expr::Call(call) => self.call(call),
            ast::Expr::List(list) => {
                for item in &list.items {
                    self.expr(item);
                }
            }
            ast::Expr::Tuple(tuple) => {
                for item in &tuple.items {
                    self.expr(item);
                }
            }
            ast::Expr::Map(map) => {
                for item in map.keys.iter().chain(&map.values) {
                    self.expr(item);
                }
            }
        }
    }

    fn call(&mut self, call: &ast::Call<'_>) {
        self.expr(&call.expr);
        self.args(&call.args);
    }

    fn args(&mut self, args: &[ast::CallArg<'_>]) {
        for arg in args {
            let expr = match arg {
                ast::CallArg::Pos(expr)
                | ast::CallArg::Kwarg(_, expr)
                | ast::CallArg::PosSplat(expr)
                | ast::CallArg::KwargSplat(expr) => expr,
            };
            self.expr(expr);
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
            let checker = Checker::new(&state);
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
    fn unknown_filters_and_tests_are_found_where_they_are_written() {
        let builder = TemplatesBuilder::new();
        let source = "a {{ x | uper }} b {{ x is od }} {{ x | upper | nofilter(1) }}";
        let findings = builder.check_template(source);
        assert_eq!(unknown_names(source, &findings), ["uper", "od", "nofilter"]);
        assert_eq!(findings[0].message, "unknown filter `uper`");
        assert_eq!(findings[0].hint.as_deref(), Some("did you mean `upper`?"));
        assert_eq!(findings[1].message, "unknown test `od`");
        assert_eq!(findings[1].hint.as_deref(), Some("did you mean `odd`?"));
        assert_eq!(findings[2].hint, None);
        assert!(findings.iter().all(|f| f.severity == Severity::Error));
        let findings = builder.check_condition("x is not nosuchtest and y | d(1) > 2");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].range, 9..19);
        assert!(
            builder
                .check_expression("x | default(1) | upper")
                .is_empty()
        );
        // What does not parse is the syntax error's to report.
        assert!(builder.check_template("{{ x | }}").is_empty());
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
        let found = unknown_names(source, &builder.check_template(source));
        let mut expected: Vec<String> = (1..=45).map(|n| format!("f{n}")).collect();
        expected.extend((1..=3).map(|n| format!("t{n}")));
        let mut sorted = found.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected, "found {found:?}");
    }
}
