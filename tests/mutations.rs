//! The shipped roots (the demo and every example) with one file broken at
//! random, the way a hasty save breaks it: a line lost, doubled or moved,
//! a word or a number replaced, a few characters cut, an indent changed.
//! Whatever the file then holds, compiling reports and never panics; a root
//! that still compiles generates its WSDL and OpenAPI and runs its own
//! `tests:` (which may fail, but not panic or hang).

use std::path::{Path, PathBuf};
use std::time::Duration;

use flowgate::compile::compile_root;
use flowgate::contract::{self, openapi, wsdl};
use flowgate::server::Gateway;
use flowgate::snapshot::ProcessId;
use proptest::prelude::*;

/// What a mutation may put in: pieces of every format the roots hold, and
/// values at the edges of what they mean.
const PIECES: &[&str] = &[
    "",
    " ",
    "-",
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "#",
    "&a",
    "*a",
    "!!str",
    "~",
    "null",
    "true",
    "0",
    "-1",
    "1e308",
    "-0",
    "NaN",
    "99999999999999999999",
    "18446744073709551616",
    "0.0000001",
    "é",
    "\t",
    "{{ doc }}",
    "{{ doc.Order.Id",
    "{% for x in doc %}",
    "{{ props.x | float }}",
    "$for: x in doc",
    "$if: doc",
    "steps:",
    "listen:",
    "return: {}",
    "map:",
    "split:",
    "decision:",
    "route:",
    "call: hello",
    "exception: { status: 400 }",
    "input: xml-list",
    "output: json",
    "request_profile: order",
    "auth: [token]",
    "allow_ips: [10.0.0.0/8]",
    "<xs:element name=\"X\"/>",
    "<xs:sequence>",
    "</xs:sequence>",
    "minOccurs=\"0\"",
    "maxOccurs=\"unbounded\"",
    "type=\"xs:int\"",
    "\"$ref\": \"#/$defs/x\"",
    "\"type\": \"array\"",
    "\"required\": []",
    "[users.x]",
    "[server]",
    "listen = \"\"",
    "max_body = \"0\"",
];

/// One change to one line of a file; every index is taken modulo what is there.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    CopyLine {
        from: usize,
        to: usize,
    },
    SwapLines(usize, usize),
    ReplaceWord {
        line: usize,
        word: usize,
        piece: usize,
    },
    Insert {
        line: usize,
        at: usize,
        piece: usize,
    },
    Cut {
        line: usize,
        at: usize,
        len: usize,
    },
    Indent {
        line: usize,
        spaces: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = 0..10_000usize;
    prop_oneof![
        n.clone().prop_map(Mutation::DeleteLine),
        (n.clone(), n.clone()).prop_map(|(from, to)| Mutation::CopyLine { from, to }),
        (n.clone(), n.clone()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (n.clone(), n.clone(), 0..PIECES.len())
            .prop_map(|(line, word, piece)| Mutation::ReplaceWord { line, word, piece }),
        (n.clone(), n.clone(), 0..PIECES.len()).prop_map(|(line, at, piece)| Mutation::Insert {
            line,
            at,
            piece
        }),
        (n.clone(), n.clone(), 1..8usize).prop_map(|(line, at, len)| Mutation::Cut {
            line,
            at,
            len
        }),
        (n, 0..6usize).prop_map(|(line, spaces)| Mutation::Indent { line, spaces }),
    ]
}

/// The largest character boundary of `text` at or below `at`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for mutation in mutations {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match *mutation {
            Mutation::DeleteLine(i) => {
                lines.remove(i % n);
            }
            Mutation::CopyLine { from, to } => {
                let line = lines[from % n].clone();
                lines.insert(to % (n + 1), line);
            }
            Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
            Mutation::ReplaceWord { line, word, piece } => {
                let line = &mut lines[line % n];
                let words = words(line);
                if !words.is_empty() {
                    let (start, end) = words[word % words.len()];
                    line.replace_range(start..end, PIECES[piece]);
                }
            }
            Mutation::Insert { line, at, piece } => {
                let line = &mut lines[line % n];
                let at = boundary(line, at % (line.len() + 1));
                line.insert_str(at, PIECES[piece]);
            }
            Mutation::Cut { line, at, len } => {
                let line = &mut lines[line % n];
                let start = boundary(line, at % (line.len() + 1));
                let end = boundary(line, start + len);
                line.replace_range(start..end, "");
            }
            Mutation::Indent { line, spaces } => {
                let line = &mut lines[line % n];
                *line = format!("{}{}", " ".repeat(spaces), line.trim_start());
            }
        }
    }
    lines.join("\n")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || "._-@$".contains(c)
}

/// The byte ranges of the runs of word characters in `line`.
fn words(line: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (at, c) in line.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                words.push((from, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push((from, line.len()));
    }
    words
}

/// The demo root and every example root.
fn shipped_roots() -> Vec<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![repo.to_path_buf()];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo.join("examples"))
        .expect("examples/")
        .map(|entry| entry.expect("an entry of examples/").path())
        .filter(|path| path.join("flowgate.toml").is_file())
        .collect();
    examples.sort();
    roots.extend(examples);
    roots
}

/// Copies what a root is made of (not the repository's code) into `to`.
fn copy_root(root: &Path, to: &Path) {
    for name in ["flowgate.toml", "processes", "profiles", "samples"] {
        let from = root.join(name);
        if from.exists() {
            copy_tree(&from, &to.join(name));
        }
    }
}

/// Copies a file, or a folder with everything in it.
fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("a folder");
        for entry in std::fs::read_dir(from).expect("a folder") {
            let entry = entry.expect("an entry");
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).expect("a copied file");
    }
}

/// The files of a copied root that compile reads, in a stable order.
fn config_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "toml" | "xsd" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    files
}

/// Compiles `root`; if it compiles, generates its contracts and runs its tests.
fn exercise(root: &Path) -> Result<(), TestCaseError> {
    let compilation = compile_root(root);
    let Some(snapshot) = compilation.snapshot else {
        prop_assert!(compilation.diagnostics.has_errors());
        return Ok(());
    };
    let everyone: Vec<ProcessId> = (0..snapshot.processes.len())
        .map(ProcessId::from_index)
        .collect();
    let base = contract::default_base_url(&snapshot.settings);
    wsdl::generate(&snapshot, &everyone, &base);
    openapi::generate(&snapshot, &everyone, &base);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let gateway = Gateway::new(snapshot);
    runtime.block_on(async {
        for test in compilation.tests.select(None) {
            let run = flowgate::process_tests::run(&gateway, test);
            let outcome = tokio::time::timeout(Duration::from_secs(20), run).await;
            prop_assert!(outcome.is_ok(), "a test of the mutated root never ended");
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_broken_file_of_a_shipped_root_is_reported_and_never_panics(
        root in any::<prop::sample::Index>(),
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let roots = shipped_roots();
        let root = root.get(&roots);
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_root(root, dir.path());
        let files = config_files(dir.path());
        let file = file.get(&files);
        let text = std::fs::read_to_string(file).expect("a text file");
        std::fs::write(file, apply(&text, &mutations)).expect("the broken file");
        exercise(dir.path())?;
    }
}

#[test]
fn every_shipped_root_compiles_from_its_copy() {
    for root in shipped_roots() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_root(&root, dir.path());
        let compilation = compile_root(dir.path());
        assert!(
            compilation.snapshot.is_some(),
            "{}: {}",
            root.display(),
            compilation.diagnostics.render()
        );
        assert!(
            !config_files(dir.path()).is_empty(),
            "{}: nothing to break",
            root.display()
        );
    }
}

#[test]
fn mutations_change_the_text_they_are_given() {
    let text = "listen:\n  operation: get\nsteps:\n  - return: {}";
    assert_eq!(
        apply(text, &[Mutation::DeleteLine(1)]),
        "listen:\nsteps:\n  - return: {}"
    );
    let big = PIECES
        .iter()
        .position(|p| *p == "99999999999999999999")
        .unwrap();
    assert_eq!(
        apply(
            text,
            &[Mutation::ReplaceWord {
                line: 1,
                word: 1,
                piece: big
            }]
        ),
        "listen:\n  operation: 99999999999999999999\nsteps:\n  - return: {}"
    );
    assert_eq!(
        apply(
            "é",
            &[Mutation::Cut {
                line: 0,
                at: 1,
                len: 1
            }]
        ),
        "é",
        "cuts stay on character boundaries"
    );
    assert_eq!(
        apply(text, &[Mutation::Indent { line: 3, spaces: 0 }])
            .lines()
            .last(),
        Some("- return: {}")
    );
}
