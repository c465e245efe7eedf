//! The fast path against minijinja on the same inputs: wherever the fast
//! path gives an answer, it is minijinja's answer.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, UndefinedBehavior};
use proptest::prelude::*;

use super::{FastExpr, FastTemplate};
use crate::template::{Escape, TemplatesBuilder};

/// What minijinja makes of an expression, in both of flowgate's environments.
fn engine_eval(source: &str, context: &Value) -> [Result<Value, minijinja::Error>; 2] {
    [UndefinedBehavior::SemiStrict, UndefinedBehavior::Chainable].map(|undefined| {
        let mut env = Environment::new();
        env.set_undefined_behavior(undefined);
        env.compile_expression(source)
            .and_then(|expr| expr.eval(context.clone()))
    })
}

fn engine_render(
    source: &str,
    escape: Escape,
    context: &Value,
) -> Result<String, minijinja::Error> {
    let mut builder = TemplatesBuilder::new();
    let id = builder
        .template(source, escape)
        .expect("the template compiles");
    let templates = builder.build().expect("the templates build");
    let compiled = templates.borrow_dependent();
    compiled.templates[id.0 as usize].render(context.clone())
}

/// Same value, same kind, same text.
fn same(fast: &Value, engine: &Value) -> bool {
    fast == engine && fast.kind() == engine.kind() && fast.to_string() == engine.to_string()
}

fn check_expr(source: &str, context: &Value) -> Option<Value> {
    let fast = FastExpr::compile(source)?.eval(context)?;
    for engine in engine_eval(source, context) {
        match engine {
            Ok(engine) => assert!(
                same(&fast, &engine),
                "{source}: fast {fast:?}, minijinja {engine:?} with {context:?}"
            ),
            Err(err) => panic!("{source}: fast {fast:?}, minijinja failed: {err} with {context:?}"),
        }
    }
    Some(fast)
}

fn check_template(source: &str, escape: Escape, context: &Value) -> Option<String> {
    let fast = FastTemplate::compile(source, escape)?.render(context)?;
    match engine_render(source, escape, context) {
        Ok(engine) => assert_eq!(fast, engine, "{source} with {context:?}"),
        Err(err) => panic!("{source}: fast {fast:?}, minijinja failed: {err} with {context:?}"),
    }
    Some(fast)
}

fn order() -> Value {
    let line = |sku: &str, qty: i64, price: f64| {
        Value::from_pairs([
            ("Sku", Value::from(sku)),
            ("Qty", Value::from(qty)),
            ("Price", Value::from(price)),
        ])
    };
    Value::from_pairs([
        (
            "doc",
            Value::from_pairs([(
                "Order",
                Value::from_pairs([
                    ("Id", Value::from("A-1001")),
                    ("@currency", Value::from("EUR")),
                    ("Priority", Value::from("rush")),
                    (
                        "Lines",
                        Value::from_pairs([(
                            "Line",
                            Value::from(vec![line("X-1", 2, 50.0), line("Y-2", 3, 25.5)]),
                        )]),
                    ),
                ]),
            )]),
        ),
        (
            "props",
            Value::from_pairs([
                ("total", Value::from("176.5")),
                ("count", Value::from(3)),
                ("none", Value::from(())),
            ]),
        ),
        (
            "vars",
            Value::from_pairs([("approval_limit", Value::from(1000))]),
        ),
        ("line", line("Z-3", 4, 1.25)),
    ])
}

#[test]
fn the_demo_forms_take_the_fast_path() {
    let context = order();
    for (source, expected) in [
        ("doc.Order.Id", Value::from("A-1001")),
        ("doc.Order['@currency']", Value::from("EUR")),
        ("line.Qty * line.Price", Value::from(5.0)),
        ("props.total | float", Value::from(176.5)),
        (
            "'review' if props.total | float > vars.approval_limit else 'accepted'",
            Value::from("accepted"),
        ),
        ("doc.Order.Lines.Line | length", Value::from(2)),
        ("doc.Order.Priority == 'rush'", Value::from(true)),
        ("props.missing | default('n/a')", Value::from("n/a")),
        ("doc.Order.Id ~ '/' ~ props.count", Value::from("A-1001/3")),
        ("not props.none and 7 // 2", Value::from(())),
    ] {
        if source.contains("//") {
            // Floor division stays minijinja's.
            assert!(FastExpr::compile(source).is_none());
            continue;
        }
        let got = check_expr(source, &context).unwrap_or_else(|| panic!("{source} is fast"));
        assert!(same(&got, &expected), "{source}: {got:?}");
    }
    let total = "{%- set sum = namespace(value=0) -%}\n\
        {%- for line in doc.Order.Lines.Line %}{% set sum.value = sum.value + line.Qty * line.Price %}{% endfor -%}\n\
        {{ sum.value }}";
    for escape in [Escape::None, Escape::Json, Escape::Xml] {
        assert_eq!(
            check_template(total, escape, &context).as_deref(),
            Some("176.5")
        );
    }
}

#[test]
fn templates_agree_with_minijinja() {
    let context = order();
    let templates = [
        "Hello {{ doc.Order.Id }}!",
        "{% for line in doc.Order.Lines.Line %}{{ line.Sku }}={{ line.Qty }};{% endfor %}",
        "{% for line in doc.Order.Lines.Line %}{% set last = line.Sku %}{% endfor %}{{ last | default('none') }}",
        "{% set x = 1 %}{% for line in doc.Order.Lines.Line %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}",
        "{% for line in [] %}a{% else %}empty{% endfor %}",
        "{% for line in props.missing %}a{% else %}empty{% endfor %}",
        "{% if doc.Order.Priority == 'rush' %}R{% else %}N{% endif %}",
        "{% if props.missing %}yes{% else %}no{% endif %}",
        "{{ props.none }}|{{ true }}|{{ 1.5 }}|{{ 'a<b & \"c\"' }}",
        "{{ doc.Order.Lines }}",
        "{{ missing }}",
        "{% set ns = namespace(n=0, s='') %}{% for line in doc.Order.Lines.Line %}{% set ns.n = ns.n + 1 %}{% set ns.s = ns.s ~ line.Sku %}{% endfor %}{{ ns.n }} {{ ns.s }}",
        "{{ ns.x }}{% set ns = namespace(x=1) %}{{ ns.x }}",
        "{% set ns = namespace(x=1) %}{% for line in doc.Order.Lines.Line %}{% set ns.y = loop.index %}{% endfor %}",
        "{% set line = 'outer' %}{% for line in doc.Order.Lines.Line %}{% endfor %}{{ line }}",
        "{{ loop }}",
        "{{ range(3) | length }}",
        "  {{- doc.Order.Id -}}  \n",
        "{{ doc.Order.Id | upper }}",
    ];
    for source in templates {
        for escape in [Escape::None, Escape::Json, Escape::Xml, Escape::Html] {
            check_template(source, escape, &context);
        }
    }
    // The ordinary forms are fast, the rest are left to minijinja.
    assert!(FastTemplate::compile(templates[0], Escape::Json).is_some());
    assert!(FastTemplate::compile(templates[11], Escape::None).is_some());
    assert!(FastTemplate::compile(templates[13], Escape::None).is_none());
    assert!(FastTemplate::compile(templates[18], Escape::None).is_none());
    assert!(FastTemplate::compile(templates[0], Escape::Html).is_none());
}

/// A context of assorted values under short names.
fn context() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        any::<i64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        Just(Value::from(0.0)),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i128::MAX)),
        "[a-z0-9 .<&\"]{0,6}".prop_map(Value::from),
        Just(Value::from("2.5")),
        Just(Value::from("12")),
        any::<bool>().prop_map(Value::from),
        Just(Value::from(())),
        Just(Value::from_safe_string("<b>".to_owned())),
    ];
    (
        scalar.clone(),
        scalar.clone(),
        scalar.clone(),
        proptest::collection::vec(scalar, 0..4),
        any::<bool>(),
    )
        .prop_map(|(a, b, c, list, scanned)| {
            // The engine's own maps, or the scanned maps of documents, which
            // the fast path reads by reference.
            let map = |entries: Vec<(&str, Value)>| {
                if scanned {
                    let entries = entries.into_iter().map(|(k, v)| (Value::from(k), v));
                    crate::doc::xml::element_map_of_distinct(entries.collect())
                } else {
                    Value::from_pairs(entries)
                }
            };
            map(vec![
                ("a", a.clone()),
                ("b", b),
                ("m", map(vec![("k", c), ("@at", a)])),
                ("l", Value::from(list)),
            ])
        })
}

/// Expressions over that context, built from the forms the fast path knows
/// and a few it does not.
fn expression() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("m.k".to_owned()),
        Just("m['@at']".to_owned()),
        Just("l".to_owned()),
        Just("l[0]".to_owned()),
        Just("l[-1]".to_owned()),
        Just("missing".to_owned()),
        Just("m.missing".to_owned()),
        Just("a.deeper".to_owned()),
        (-5i64..5).prop_map(|n| n.to_string()),
        Just("2.5".to_owned()),
        Just("'x'".to_owned()),
        Just("none".to_owned()),
        Just("true".to_owned()),
        Just("[1, 2]".to_owned()),
    ];
    atom.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or", "//",
                    "%", "in",
                ]),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            inner.clone().prop_map(|e| format!("(not {e})")),
            inner.clone().prop_map(|e| format!("(-{e})")),
            (
                inner.clone(),
                prop::sample::select(vec![
                    "float",
                    "int",
                    "length",
                    "default",
                    "default('d')",
                    "upper",
                ])
            )
                .prop_map(|(e, f)| format!("({e} | {f})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(t, c, f)| format!("({t} if {c} else {f})")),
            (inner.clone(), inner).prop_map(|(t, c)| format!("({t} if {c})")),
        ]
    })
}

/// Runs `check` on generated cases and returns how many took the fast path,
/// so a test can tell it compared something.
fn differential<S: Strategy>(strategy: S, cases: u32, check: impl Fn(&S::Value) -> bool) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let fast = AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    let result = runner.run(&strategy, |case| {
        if check(&case) {
            fast.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    fast.into_inner()
}

#[test]
fn expressions_agree_with_minijinja() {
    let cases = 3_000;
    let fast = differential((expression(), context()), cases, |(source, context)| {
        check_expr(source, context).is_some()
    });
    assert!(
        fast > cases as usize / 8,
        "only {fast} of {cases} took the fast path"
    );
}

#[test]
fn loops_agree_with_minijinja() {
    let cases = 1_000;
    let fast = differential((expression(), context()), cases, |(body, context)| {
        let source = format!(
            "{{% set ns = namespace(acc=0) %}}{{% for item in l %}}{{% set ns.acc = {body} %}}\
             {{{{ item }}}},{{% endfor %}}{{{{ ns.acc }}}}"
        );
        [Escape::None, Escape::Json, Escape::Xml]
            .into_iter()
            .filter(|escape| check_template(&source, *escape, context).is_some())
            .count()
            > 0
    });
    assert!(
        fast > cases as usize / 10,
        "only {fast} of {cases} took the fast path"
    );
}

#[test]
fn kinds_of_results_match() {
    // Integers stay integers, floats floats, across the operators.
    let context = Value::from_pairs([("i", Value::from(7)), ("f", Value::from(0.5))]);
    for (source, kind) in [
        ("i * 2", ValueKind::Number),
        ("i / 2", ValueKind::Number),
        ("i + f", ValueKind::Number),
        ("i > f", ValueKind::Bool),
        ("i ~ f", ValueKind::String),
    ] {
        let value = check_expr(source, &context).unwrap_or_else(|| panic!("{source} is fast"));
        assert_eq!(value.kind(), kind, "{source}");
    }
    assert_eq!(check_expr("i / 2", &context), Some(Value::from(3.5)));
    assert_eq!(
        check_expr("i * 2", &context).map(|v| v.to_string()),
        Some("14".to_owned())
    );
}

#[test]
fn paths_through_documents_agree_with_minijinja() {
    // Element maps are followed by reference; what comes out is the engine's.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/orders.xml"))
        .expect("samples/orders.xml");
    let doc = crate::doc::xml::parse(&text, &crate::doc::xml::XmlLimits::default())
        .expect("the sample parses");
    let context = Value::from_pairs([("doc", doc)]);
    let mut fast = 0;
    for source in [
        "doc.OrderList.Order[0].Id",
        "doc.OrderList.Order[1]['@currency']",
        "doc.OrderList.Order[0].Lines.Line[0].Sku",
        "doc.OrderList.Order[0].Lines.Line | length",
        "doc.OrderList.Order[0].Lines",
        "doc.OrderList.Order[0].Missing",
        "doc.OrderList.Order[0].Missing.Deeper",
        "doc.OrderList.Order[0].Id.Deeper",
        "doc.OrderList.Order[0].Missing | default('none')",
        "doc.OrderList.Order[2].Priority == 'rush'",
    ] {
        if check_expr(source, &context).is_some() {
            fast += 1;
        }
        // The lookups of `Path` agree too.
        if let Some(path) = crate::template::Path::parse(source) {
            let [engine, _] = engine_eval(source, &context);
            match (path.get(&context), engine) {
                (Ok(a), Ok(b)) => assert!(
                    same(&a, &b) || (a.is_undefined() && b.is_undefined()),
                    "{source}: {a:?} vs {b:?}"
                ),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{source}: {a:?} vs {b:?}"),
            }
        }
    }
    assert!(fast >= 7, "{fast} paths took the fast path");
}
