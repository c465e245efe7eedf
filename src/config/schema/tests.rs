//! The schema stays in step with the loader, the committed copy and the
//! process files of this repository.

use std::path::{Path, PathBuf};

use super::process_schema;
use crate::config::Format;
use crate::config::de::{self, DeErrorKind};
use crate::config::node::{Key, Node, NodeKind, Span};
use crate::config::raw::RawStep;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> serde_json::Value {
    serde_json::from_str(&process_schema()).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema is a valid 2020-12 schema")
}

/// A node as the JSON an editor's YAML or TOML plugin sees.
fn to_json(node: &Node) -> serde_json::Value {
    match &node.kind {
        NodeKind::Null => serde_json::Value::Null,
        NodeKind::Bool(b) => (*b).into(),
        NodeKind::Int(i) => (*i).into(),
        NodeKind::Float(f) => (*f).into(),
        NodeKind::Str(s) => s.clone().into(),
        NodeKind::Seq(items) => items.iter().map(to_json).collect(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|(key, value)| (key.name.clone(), to_json(value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn parse(path: &Path, text: &str) -> serde_json::Value {
    let format = Format::of(path).expect("a process file");
    let (node, _) = format
        .parse(text)
        .unwrap_or_else(|e| panic!("{} parses: {e:?}", path.display()));
    to_json(&node)
}

/// Every process file under `processes/` folders of the repository root and the examples.
fn process_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, inside: bool, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            if path.is_dir() {
                walk(&path, inside || name == "processes", out);
            } else if inside && Format::of(&path).is_some() {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repository().join("processes"), true, &mut files);
    walk(&repository().join("examples"), false, &mut files);
    files.sort();
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(repository().join("schema/process.schema.json"))
        .expect("schema/process.schema.json is committed");
    assert!(
        committed == process_schema(),
        "schema/process.schema.json is out of date: run `cargo run -- schema > schema/process.schema.json`"
    );
}

#[test]
fn every_process_file_of_the_repository_follows_the_schema() {
    let validator = validator();
    let files = process_files();
    assert!(files.len() > 10, "found the process files: {files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let instance = parse(path, &text);
        for error in validator.iter_errors(&instance) {
            failures.push(format!(
                "{}: {} at {}",
                path.display(),
                error,
                error.instance_path()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let validator = validator();
    let bad = [
        // an unknown top-level key
        "listen: { operation: get, object: X }\nstep: []\n",
        // an unknown operation
        "listen: { operation: fetch, object: X }\n",
        // a listen block without its object
        "listen: { operation: get }\n",
        // an unknown step kind
        "steps:\n  - mesage: hi\n",
        // a step with two kinds
        "steps:\n  - message: hi\n    log: hi\n",
        // an unknown option of a step nested in a decision
        "steps:\n  - decision: { if: x, then: [ { return: { stauts: 201 } } ] }\n",
        // a duration without a unit
        "steps:\n  - http: { url: 'http://x', timeout: 30 }\n",
        // an unknown auth method
        "access: { auth: [password] }\n",
        // a test expecting with a misspelt key
        "tests:\n  - name: t\n    request: { path: /ws/simple/getX }\n    expect: { stauts: 200 }\n",
        // a stub that fails in a way stubs cannot
        "tests:\n  - name: t\n    stubs: [ { url: 'http://x', fail: slow } ]\n    expect: {}\n",
    ];
    for text in bad {
        let instance = parse(Path::new("p.yaml"), text);
        assert!(!validator.is_valid(&instance), "accepted:\n{text}");
    }
    let good = "listen: { operation: get, object: X }\nsteps:\n  - message: hi\n  - log: { level: info, message: hi }\n  - route: { by: doc.kind, cases: { a: [ { stop: {} } ] } }\n  - branch: [ [ { return: {} } ], [ { call: other } ] ]\n  - try: { steps: [ { http: { upstream: u, path: /x, timeout: 2s } } ], catch: [ { exception: nope } ] }\n  - return: { status: 201 }\n";
    let instance = parse(Path::new("p.yaml"), good);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn the_schema_knows_every_step_kind_the_loader_knows() {
    // The loader's list of step kinds, from the error of an unknown one.
    let unknown = Node::new(
        Span::point(0),
        NodeKind::Map(vec![(
            Key {
                name: "nope".into(),
                span: Span::point(0),
            },
            Node::new(Span::point(0), NodeKind::Null),
        )]),
    );
    let err = de::from_node::<RawStep>(&unknown).expect_err("no such step");
    let DeErrorKind::UnknownVariant { expected, .. } = err.kind else {
        panic!("{err:?}")
    };
    let schema = schema();
    let variants = schema["$defs"]["Step"]["oneOf"]
        .as_array()
        .expect("steps are one of the kinds");
    let mut kinds: Vec<&str> = variants
        .iter()
        .filter(|v| v.get("enum").is_none())
        .map(|v| v["required"][0].as_str().expect("each names its kind"))
        .collect();
    let mut loader: Vec<&str> = expected.to_vec();
    kinds.sort_unstable();
    loader.sort_unstable();
    assert_eq!(kinds, loader);
}

#[test]
fn the_schema_takes_a_bare_step_exactly_when_the_loader_does() {
    let validator = validator();
    for kind in super::step_kinds(&mut schemars::SchemaGenerator::default())
        .into_iter()
        .map(|(kind, _)| kind)
    {
        let root = tempfile::tempdir().expect("a temp dir");
        std::fs::create_dir(root.path().join("processes")).expect("processes/");
        let text = format!("listen: {{ operation: get, object: Bare }}\nsteps:\n  - {kind}\n");
        std::fs::write(root.path().join("processes/bare.yaml"), &text).expect("written");
        let loader = crate::compile::compile_root(root.path()).snapshot.is_some();
        let document = serde_json::json!({
            "listen": { "operation": "get", "object": "Bare" },
            "steps": [kind],
        });
        assert_eq!(validator.is_valid(&document), loader, "`- {kind}`");
    }
}

#[test]
fn every_process_file_of_the_repository_names_the_schema_for_editors() {
    let schema = repository().join("schema/process.schema.json");
    for path in process_files() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let first = text.lines().next().unwrap_or_default();
        // yaml-language-server reads the first form, taplo (TOML) the second.
        let named = first
            .strip_prefix("# yaml-language-server: $schema=")
            .or_else(|| first.strip_prefix("#:schema "));
        let Some(named) = named else {
            panic!("{} does not start with a schema line", path.display())
        };
        let target = path.parent().expect("in a folder").join(named);
        assert_eq!(
            target.canonicalize().ok(),
            schema.canonicalize().ok(),
            "{} names {named}",
            path.display()
        );
    }
}
