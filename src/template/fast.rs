//! The fast path of [`Templates`](super::Templates): the everyday forms of
//! expressions and templates — lookups, arithmetic, comparisons, `and`/`or`,
//! `x if c else y`, the filters `float`, `int`, `length` and `default`, and
//! `for`, `if` and `set` with a `namespace()` — evaluated straight from
//! minijinja's own syntax tree instead of through its virtual machine, which
//! sets up a fresh state, stack and output per evaluation.
//!
//! A form is compiled here only if every part of it is one this module
//! knows; anything else stays minijinja's alone. At run time the fast path
//! gives way (`None`) as soon as it meets anything it does not handle
//! exactly as minijinja would — an undefined value, an operand of another
//! type, a conversion that fails, a number too wide for `i64` — and the
//! caller runs minijinja on the same input, which gives the result or the
//! error. Evaluating has no side effects outside its own state, so giving
//! way part-way is safe. The tests run both on the same inputs and hold
//! them to the same results.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use minijinja::machinery::ast;
use minijinja::value::{Value, ValueKind};

use super::Escape;
use super::borrow::{self, Got, is_invalid};
use crate::doc::xml::same_name;

/// An expression the fast path can evaluate.
#[derive(Debug)]
pub(super) struct FastExpr(Node);

impl FastExpr {
    /// The fast form of an expression, if it has one.
    pub(super) fn compile(source: &str) -> Option<FastExpr> {
        let expr = minijinja::machinery::parse_expr(source).ok()?;
        Compiler::default().expr(&expr).map(FastExpr)
    }

    /// The expression's value, or `None` to leave it to minijinja.
    pub(super) fn eval(&self, context: &Value) -> Option<Value> {
        let value = self.0.eval(&Scope::new(context, 0))?;
        (!value.is_undefined()).then_some(value)
    }
}

/// A template the fast path can render.
#[derive(Debug)]
pub(super) struct FastTemplate {
    body: Vec<Stmt>,
    namespaces: usize,
    escape: Escape,
}

impl FastTemplate {
    /// The fast form of a template, if it has one.
    pub(super) fn compile(source: &str, escape: Escape) -> Option<FastTemplate> {
        // Markup escaping stays minijinja's.
        if escape == Escape::Html {
            return None;
        }
        let syntax = minijinja::syntax::SyntaxConfig::default();
        let ast::Stmt::Template(template) =
            minijinja::machinery::parse(source, "t", syntax).ok()?
        else {
            return None;
        };
        let mut compiler = Compiler::default();
        compiler.declare_namespaces(&template.children)?;
        let body = compiler.stmts(&template.children, Level::Top)?;
        Some(FastTemplate {
            body,
            namespaces: compiler.namespaces.len(),
            escape,
        })
    }

    /// The template's output, or `None` to leave it to minijinja.
    pub(super) fn render(&self, context: &Value) -> Option<String> {
        let mut scope = Scope::new(context, self.namespaces);
        let mut out = String::new();
        run(&self.body, &mut scope, self.escape, &mut out)?;
        Some(out)
    }
}

#[derive(Debug)]
enum Node {
    Const(Value),
    /// A name: a local first, then the context.
    Var(Arc<str>),
    /// `ns.name` for a namespace made by `set ns = namespace(…)`.
    NsAttr(usize, Arc<str>),
    /// Lookups one after another from a base: `doc.Order['@currency']`.
    /// A path is followed in one loop, not a node per step.
    Path(Box<Node>, Vec<Step>),
    Math(Math, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Concat(Box<Node>, Box<Node>),
    Compare(Compare, Box<Node>, Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    If {
        test: Box<Node>,
        then: Box<Node>,
        otherwise: Option<Box<Node>>,
    },
    Filter(Filter, Box<Node>),
}

/// One step of a [`Node::Path`].
#[derive(Debug)]
enum Step {
    Attr(Arc<str>),
    /// A subscript by a constant: `x['@currency']`, `x[0]`.
    Item(Value),
}

#[derive(Debug, Clone, Copy)]
enum Math {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy)]
enum Compare {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug)]
enum Filter {
    Float,
    Int,
    Length,
    /// `default` or `default(x)`.
    Default(Option<Box<Node>>),
}

#[derive(Debug)]
enum Stmt {
    Raw(Box<str>),
    Emit(Node),
    Set(Arc<str>, Node),
    NewNamespace(usize, Vec<(Arc<str>, Node)>),
    SetAttr(usize, Arc<str>, Node),
    For {
        name: Arc<str>,
        items: Node,
        body: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    If {
        test: Node,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
}

/// Turns syntax into [`Node`]s and [`Stmt`]s; `None` for anything unknown.
#[derive(Default)]
struct Compiler {
    /// The names bound to a `namespace()` by a top-level `set`, by slot.
    namespaces: HashMap<String, usize>,
}

impl Compiler {
    /// Finds `set ns = namespace(…)` at the top level. A namespace's name
    /// must not be bound any other way anywhere in the template.
    fn declare_namespaces(&mut self, stmts: &[ast::Stmt<'_>]) -> Option<()> {
        for stmt in stmts {
            if let ast::Stmt::Set(set) = stmt
                && let ast::Expr::Var(var) = &set.target
                && namespace_call(&set.expr).is_some()
            {
                if self.namespaces.contains_key(var.id) {
                    return None;
                }
                let slot = self.namespaces.len();
                self.namespaces.insert(var.id.to_owned(), slot);
            }
        }
        Some(())
    }

    fn stmts(&self, stmts: &[ast::Stmt<'_>], level: Level) -> Option<Vec<Stmt>> {
        stmts.iter().map(|stmt| self.stmt(stmt, level)).collect()
    }

    fn stmt(&self, stmt: &ast::Stmt<'_>, level: Level) -> Option<Stmt> {
        Some(match stmt {
            ast::Stmt::EmitRaw(raw) => Stmt::Raw(raw.raw.into()),
            ast::Stmt::EmitExpr(emit) => Stmt::Emit(self.expr(&emit.expr)?),
            ast::Stmt::Set(set) => match &set.target {
                ast::Expr::Var(var) => match self.namespaces.get(var.id) {
                    // Made again in a loop or a branch, it would be another namespace.
                    Some(_) if level != Level::Top => return None,
                    Some(&slot) => {
                        let entries = namespace_call(&set.expr)?
                            .iter()
                            .map(|(name, value)| Some(((*name).into(), self.expr(value)?)))
                            .collect::<Option<_>>()?;
                        Stmt::NewNamespace(slot, entries)
                    }
                    None => Stmt::Set(self.local(var.id)?, self.expr(&set.expr)?),
                },
                ast::Expr::GetAttr(attr) => match &attr.expr {
                    ast::Expr::Var(var) => Stmt::SetAttr(
                        *self.namespaces.get(var.id)?,
                        attr.name.into(),
                        self.expr(&set.expr)?,
                    ),
                    _ => return None,
                },
                _ => return None,
            },
            ast::Stmt::ForLoop(for_loop) => {
                let ast::Expr::Var(var) = &for_loop.target else {
                    return None;
                };
                if for_loop.filter_expr.is_some() || for_loop.recursive {
                    return None;
                }
                Stmt::For {
                    name: self.local(var.id)?,
                    items: self.expr(&for_loop.iter)?,
                    body: self.stmts(&for_loop.body, Level::Nested)?,
                    otherwise: self.stmts(&for_loop.else_body, Level::Nested)?,
                }
            }
            ast::Stmt::IfCond(cond) => Stmt::If {
                test: self.expr(&cond.expr)?,
                then: self.stmts(&cond.true_body, Level::Nested)?,
                otherwise: self.stmts(&cond.false_body, Level::Nested)?,
            },
            _ => return None,
        })
    }

    /// A name a template binds: not a namespace's, not one with a meaning of its own.
    fn local(&self, name: &str) -> Option<Arc<str>> {
        (!self.namespaces.contains_key(name) && !special(name)).then(|| name.into())
    }

    fn expr(&self, expr: &ast::Expr<'_>) -> Option<Node> {
        let boxed = |expr: &ast::Expr<'_>| self.expr(expr).map(Box::new);
        Some(match expr {
            ast::Expr::Const(constant) => Node::Const(constant.value.clone()),
            ast::Expr::Var(var) => {
                if self.namespaces.contains_key(var.id) || special(var.id) {
                    return None;
                }
                Node::Var(var.id.into())
            }
            ast::Expr::GetAttr(attr) => match &attr.expr {
                ast::Expr::Var(var) if self.namespaces.contains_key(var.id) => {
                    Node::NsAttr(self.namespaces[var.id], attr.name.into())
                }
                base => self.expr(base)?.then(Step::Attr(attr.name.into())),
            },
            ast::Expr::GetItem(item) => match &item.subscript_expr {
                ast::Expr::Const(key) => self.expr(&item.expr)?.then(Step::Item(key.value.clone())),
                _ => return None,
            },
            ast::Expr::UnaryOp(unary) => match unary.op {
                ast::UnaryOpKind::Not => Node::Not(boxed(&unary.expr)?),
                ast::UnaryOpKind::Neg => Node::Neg(boxed(&unary.expr)?),
            },
            ast::Expr::BinOp(binop) => {
                let (left, right) = (boxed(&binop.left)?, boxed(&binop.right)?);
                match binop.op {
                    ast::BinOpKind::Add => Node::Math(Math::Add, left, right),
                    ast::BinOpKind::Sub => Node::Math(Math::Sub, left, right),
                    ast::BinOpKind::Mul => Node::Math(Math::Mul, left, right),
                    ast::BinOpKind::Div => Node::Math(Math::Div, left, right),
                    ast::BinOpKind::Concat => Node::Concat(left, right),
                    ast::BinOpKind::ScAnd => Node::And(left, right),
                    ast::BinOpKind::ScOr => Node::Or(left, right),
                    ast::BinOpKind::Eq => Node::Compare(Compare::Eq, left, right),
                    ast::BinOpKind::Ne => Node::Compare(Compare::Ne, left, right),
                    ast::BinOpKind::Lt => Node::Compare(Compare::Lt, left, right),
                    ast::BinOpKind::Lte => Node::Compare(Compare::Lte, left, right),
                    ast::BinOpKind::Gt => Node::Compare(Compare::Gt, left, right),
                    ast::BinOpKind::Gte => Node::Compare(Compare::Gte, left, right),
                    ast::BinOpKind::FloorDiv
                    | ast::BinOpKind::Rem
                    | ast::BinOpKind::Pow
                    | ast::BinOpKind::In => return None,
                }
            }
            // Chains (`a < b < c`) and membership stay minijinja's.
            ast::Expr::Compare(compare) => match compare.ops.as_slice() {
                [only] => {
                    let op = match only.op {
                        ast::CompareOpKind::Eq => Compare::Eq,
                        ast::CompareOpKind::Ne => Compare::Ne,
                        ast::CompareOpKind::Lt => Compare::Lt,
                        ast::CompareOpKind::Lte => Compare::Lte,
                        ast::CompareOpKind::Gt => Compare::Gt,
                        ast::CompareOpKind::Gte => Compare::Gte,
                        ast::CompareOpKind::In | ast::CompareOpKind::NotIn => return None,
                    };
                    Node::Compare(op, boxed(&compare.expr)?, boxed(&only.expr)?)
                }
                _ => return None,
            },
            ast::Expr::IfExpr(if_expr) => Node::If {
                test: boxed(&if_expr.test_expr)?,
                then: boxed(&if_expr.true_expr)?,
                otherwise: match &if_expr.false_expr {
                    Some(expr) => Some(boxed(expr)?),
                    None => None,
                },
            },
            ast::Expr::Filter(filter) => {
                let positional = |args: &[ast::CallArg<'_>]| -> Option<Vec<Node>> {
                    args.iter()
                        .map(|arg| match arg {
                            ast::CallArg::Pos(expr) => self.expr(expr),
                            _ => None,
                        })
                        .collect()
                };
                let mut args = positional(&filter.args)?;
                let kind = match (filter.name, args.len()) {
                    ("float", 0) => Filter::Float,
                    ("int", 0) => Filter::Int,
                    ("length" | "count", 0) => Filter::Length,
                    ("default" | "d", 0) => Filter::Default(None),
                    ("default" | "d", 1) => Filter::Default(args.pop().map(Box::new)),
                    _ => return None,
                };
                Node::Filter(kind, boxed(filter.expr.as_ref()?)?)
            }
            _ => return None,
        })
    }
}

/// Whether statements are the template's own or inside a block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Nested,
}

/// Names minijinja gives a meaning of their own.
fn special(name: &str) -> bool {
    matches!(
        name,
        "loop" | "self" | "super" | "caller" | "varargs" | "kwargs"
    )
}

/// The keyword arguments of `namespace(name=value, …)`.
fn namespace_call<'a, 'e>(expr: &'e ast::Expr<'a>) -> Option<Vec<(&'a str, &'e ast::Expr<'a>)>> {
    let ast::Expr::Call(call) = expr else {
        return None;
    };
    let ast::Expr::Var(var) = &call.expr else {
        return None;
    };
    if var.id != "namespace" {
        return None;
    }
    call.args
        .iter()
        .map(|arg| match arg {
            ast::CallArg::Kwarg(name, value) => Some((*name, value)),
            _ => None,
        })
        .collect()
}

/// The state of one evaluation.
struct Scope<'c> {
    context: &'c Value,
    /// Names bound by `set` and `for`, innermost last.
    locals: Vec<(Arc<str>, Value)>,
    /// Where the innermost `for` frame's locals start.
    frame: usize,
    /// The namespaces' entries by slot, once their `set` has run.
    namespaces: Vec<Option<Entries>>,
    /// Loop passes left before the fast path gives way, so that minijinja,
    /// with its fuel, decides what a template that works this long gives.
    passes: u64,
}

/// See `Scope::passes`. A pass costs minijinja several units of fuel, so
/// the fast path goes about as far as minijinja would before giving way,
/// and the two together stay within a bounded amount of work.
const PASSES: u64 = super::FUEL / 8;

/// A namespace's entries, in the order they were set.
type Entries = Vec<(Arc<str>, Value)>;

impl<'c> Scope<'c> {
    fn new(context: &'c Value, namespaces: usize) -> Scope<'c> {
        Scope {
            context,
            locals: Vec::new(),
            frame: 0,
            namespaces: (0..namespaces).map(|_| None).collect(),
            passes: PASSES,
        }
    }

    fn lookup(&self, name: &str) -> Option<Got<'_>> {
        // Names are compared as the document's are, without a call to `memcmp`.
        if let Some((_, value)) = self.locals.iter().rev().find(|(n, _)| same_name(n, name)) {
            return Some(Got::Ref(value));
        }
        // What the context lacks may be one of the engine's globals.
        let value = Got::root(self.context, name).ok()?;
        is_defined(value.value()).then_some(value)
    }

    /// Binds a name in the innermost frame.
    fn bind(&mut self, name: &Arc<str>, value: Value) {
        match self.locals[self.frame..]
            .iter_mut()
            .find(|(n, _)| n == name)
        {
            Some((_, slot)) => *slot = value,
            None => self.locals.push((name.clone(), value)),
        }
    }
}

/// A value the fast path may go on with: not undefined, not an error.
fn defined(value: Value) -> Option<Value> {
    is_defined(&value).then_some(value)
}

fn is_defined(value: &Value) -> bool {
    !value.is_undefined() && !is_invalid(value)
}

/// A number the fast path computes with: an integer that fits `i64`, or a float.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn of(value: &Value) -> Option<Num> {
        if value.is_integer() {
            // `as_usize` reads a small integer in place; `as_i64` converts a copy.
            if let Some(int) = value.as_usize().and_then(|u| i64::try_from(u).ok()) {
                return Some(Num::Int(int));
            }
            value.as_i64().map(Num::Int)
        } else if value.is_number() {
            f64::try_from(value.clone()).ok().map(Num::Float)
        } else {
            None
        }
    }

    fn float(self) -> f64 {
        match self {
            Num::Int(int) => int as f64,
            Num::Float(float) => float,
        }
    }
}

/// An integer result as minijinja keeps it: `i64` when it fits.
fn int_value(int: i128) -> Value {
    match i64::try_from(int) {
        Ok(int) => Value::from(int),
        Err(_) => Value::from(int),
    }
}

impl Math {
    /// The operation on integers; `None` for division, which is never integral.
    fn ints(self, a: i128, b: i128) -> Option<i128> {
        match self {
            Math::Add => Some(a + b),
            Math::Sub => Some(a - b),
            Math::Mul => Some(a * b),
            Math::Div => None,
        }
    }

    fn floats(self, a: f64, b: f64) -> f64 {
        match self {
            Math::Add => a + b,
            Math::Sub => a - b,
            Math::Mul => a * b,
            Math::Div => a / b,
        }
    }
}

/// Arithmetic as minijinja does it on numbers: integers stay integers
/// (an `i64` product always fits the `i128` it is computed in), anything
/// with a float or a division is a float, and dividing by zero is an error
/// (left to minijinja).
fn math(op: Math, left: &Value, right: &Value) -> Option<Value> {
    let (a, b) = (Num::of(left)?, Num::of(right)?);
    if let (Num::Int(x), Num::Int(y)) = (a, b)
        && let Some(int) = op.ints(i128::from(x), i128::from(y))
    {
        return Some(int_value(int));
    }
    if matches!(op, Math::Div) && b.float() == 0.0 {
        return None;
    }
    Some(Value::from(op.floats(a.float(), b.float())))
}

impl Node {
    /// This node, then one more lookup.
    fn then(self, step: Step) -> Node {
        match self {
            Node::Path(base, mut steps) => {
                steps.push(step);
                Node::Path(base, steps)
            }
            base => Node::Path(Box::new(base), vec![step]),
        }
    }

    /// What a lookup reaches, borrowed where it can be: a path clones only
    /// the value it ends on.
    fn got<'s>(&'s self, scope: &'s Scope<'_>) -> Option<Got<'s>> {
        match self {
            Node::Var(name) => scope.lookup(name),
            Node::Path(base, steps) => {
                let mut value = base.got_defined(scope)?;
                for (index, step) in steps.iter().enumerate() {
                    // Only the last step may reach undefined.
                    if index > 0 && !is_defined(value.value()) {
                        return None;
                    }
                    let reached = match step {
                        Step::Attr(name) => value.attr(name),
                        Step::Item(key) => value.item(key),
                    };
                    // Undefined goes on (only `default` takes it); an error gives way.
                    value = reached.ok().filter(|value| !is_invalid(value.value()))?;
                }
                Some(value)
            }
            _ => self.eval(scope).map(Got::Own),
        }
    }

    fn got_defined<'s>(&'s self, scope: &'s Scope<'_>) -> Option<Got<'s>> {
        let value = self.got(scope)?;
        is_defined(value.value()).then_some(value)
    }

    fn eval(&self, scope: &Scope<'_>) -> Option<Value> {
        match self {
            Node::Const(value) => Some(value.clone()),
            Node::Var(_) | Node::Path(..) => self.got(scope).map(Got::into_owned),
            Node::NsAttr(slot, name) => {
                let entries = scope.namespaces.get(*slot)?.as_ref()?;
                let (_, value) = entries.iter().find(|(n, _)| n == name)?;
                Some(value.clone())
            }
            Node::Math(op, left, right) => {
                let left = left.defined(scope)?;
                math(*op, &left, &right.defined(scope)?)
            }
            Node::Neg(operand) => match Num::of(&operand.defined(scope)?)? {
                Num::Int(int) => Some(int_value(-i128::from(int))),
                Num::Float(float) => Some(Value::from(-float)),
            },
            Node::Concat(left, right) => {
                let left = left.defined(scope)?;
                let right = right.defined(scope)?;
                let mut text = String::new();
                for value in [&left, &right] {
                    match value.kind() {
                        ValueKind::String if !value.is_safe() => {
                            text.push_str(value.as_str()?);
                        }
                        ValueKind::Number => write!(text, "{value}").ok()?,
                        _ => return None,
                    }
                }
                Some(Value::from(text))
            }
            Node::Compare(op, left, right) => {
                let left = left.defined(scope)?;
                let right = right.defined(scope)?;
                Some(Value::from(match op {
                    Compare::Eq => left == right,
                    Compare::Ne => left != right,
                    Compare::Lt => left < right,
                    Compare::Lte => left <= right,
                    Compare::Gt => left > right,
                    Compare::Gte => left >= right,
                }))
            }
            Node::Not(operand) => Some(Value::from(!operand.defined(scope)?.is_true())),
            Node::And(left, right) => {
                let left = left.defined(scope)?;
                if left.is_true() {
                    right.defined(scope)
                } else {
                    Some(left)
                }
            }
            Node::Or(left, right) => {
                let left = left.defined(scope)?;
                if left.is_true() {
                    Some(left)
                } else {
                    right.defined(scope)
                }
            }
            Node::If {
                test,
                then,
                otherwise,
            } => {
                if test.defined(scope)?.is_true() {
                    then.eval(scope)
                } else {
                    otherwise.as_ref()?.eval(scope)
                }
            }
            Node::Filter(filter, operand) => filter.apply(operand, scope),
        }
    }

    /// The node's value when it is defined; `None` otherwise.
    fn defined(&self, scope: &Scope<'_>) -> Option<Value> {
        defined(self.eval(scope)?)
    }
}

impl Filter {
    fn apply(&self, operand: &Node, scope: &Scope<'_>) -> Option<Value> {
        match self {
            Filter::Default(fallback) => {
                let value = operand.eval(scope)?;
                // minijinja evaluates the argument before the filter runs.
                let fallback = match fallback {
                    Some(node) => node.eval(scope)?,
                    None => Value::from(""),
                };
                Some(if value.is_undefined() {
                    fallback
                } else {
                    value
                })
            }
            Filter::Float => {
                let value = operand.defined(scope)?;
                match value.kind() {
                    ValueKind::Number => Some(Value::from(Num::of(&value)?.float())),
                    ValueKind::String => value.as_str()?.parse::<f64>().ok().map(Value::from),
                    _ => None,
                }
            }
            Filter::Int => {
                let value = operand.defined(scope)?;
                match Num::of(&value)? {
                    Num::Int(_) => Some(value),
                    Num::Float(float) => Some(Value::from(float as i128)),
                }
            }
            Filter::Length => {
                let value = operand.defined(scope)?;
                match value.kind() {
                    ValueKind::String | ValueKind::Seq | ValueKind::Map => {
                        value.len().map(Value::from)
                    }
                    _ => None,
                }
            }
        }
    }
}

/// Runs statements; `None` to leave the whole template to minijinja.
fn run(stmts: &[Stmt], scope: &mut Scope<'_>, escape: Escape, out: &mut String) -> Option<()> {
    for stmt in stmts {
        // Past the limit the engine runs the template, and fails there.
        if out.len() > super::MAX_OUTPUT {
            return None;
        }
        match stmt {
            Stmt::Raw(raw) => out.push_str(raw),
            Stmt::Emit(node) => write_value(out, &node.defined(scope)?, escape)?,
            Stmt::Set(name, node) => {
                let value = node.defined(scope)?;
                scope.bind(name, value);
            }
            Stmt::NewNamespace(slot, entries) => {
                let entries = entries
                    .iter()
                    .map(|(name, node)| Some((name.clone(), node.defined(scope)?)))
                    .collect::<Option<Entries>>()?;
                *scope.namespaces.get_mut(*slot)? = Some(entries);
            }
            Stmt::SetAttr(slot, name, node) => {
                let value = node.defined(scope)?;
                let entries = scope.namespaces.get_mut(*slot)?.as_mut()?;
                match entries.iter_mut().find(|(n, _)| n == name) {
                    Some((_, slot)) => *slot = value,
                    None => entries.push((name.clone(), value)),
                }
            }
            Stmt::For {
                name,
                items,
                body,
                otherwise,
            } => {
                let items = items.defined(scope)?;
                if items.kind() != ValueKind::Seq {
                    return None;
                }
                let items = borrow::items(&items).ok()?;
                if items.is_empty() {
                    run(otherwise, scope, escape, out)?;
                    continue;
                }
                // Each pass starts a fresh frame: what a pass binds, the next
                // one does not see, nor does the code after the loop.
                let (outer, mark) = (scope.frame, scope.locals.len());
                scope.frame = mark;
                for item in items.iter() {
                    scope.passes = scope.passes.checked_sub(1)?;
                    scope.locals.truncate(mark);
                    scope.bind(name, item.clone());
                    run(body, scope, escape, out)?;
                }
                scope.locals.truncate(mark);
                scope.frame = outer;
            }
            Stmt::If {
                test,
                then,
                otherwise,
            } => {
                let branch = if test.defined(scope)?.is_true() {
                    then
                } else {
                    otherwise
                };
                run(branch, scope, escape, out)?;
            }
        }
    }
    Some(())
}

/// Prints a value as the environment's formatter does; `None` for values
/// whose printing is left to it (undefined, lists, maps).
fn write_value(out: &mut String, value: &Value, escape: Escape) -> Option<()> {
    super::write_scalar(out, value, escape)?.ok()
}

#[cfg(test)]
mod tests;
