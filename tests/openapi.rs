//! The generated OpenAPI documents pass an independent validator:
//! `openapi-spec-validator` (Python, from PyPI), run on the document of
//! the repository's own root, of every example root, and on the golden
//! document of `src/contract/openapi/tests.rs` (which uses every input and
//! output type, both JSON Schema drafts, XSD with and without a namespace,
//! every way in and paging).
//!
//! The validator is `$OPENAPI_SPEC_VALIDATOR` when set, else
//! `openapi-spec-validator` on the PATH; `.ci/run` installs it in a venv.
//! Without it the test fails when `CI` is set and is skipped with a note
//! otherwise.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use flowgate::compile::compile_root;
use flowgate::contract::openapi::generate;
use flowgate::snapshot::ProcessId;
use support::repo_root;

const GOLDEN: &str =
    "src/contract/openapi/snapshots/flowgate__contract__openapi__tests__golden_document.snap";

/// The validator to run, or `None` (after saying so) when a developer's
/// machine has none.
fn validator() -> Option<PathBuf> {
    let configured = std::env::var_os("OPENAPI_SPEC_VALIDATOR").map(PathBuf::from);
    let found = configured
        .clone()
        .or_else(|| on_path("openapi-spec-validator"));
    match found.filter(|path| path.is_file()) {
        Some(path) => Some(path),
        None => support::skip_unless_ci(&format!(
            "openapi-spec-validator is missing (OPENAPI_SPEC_VALIDATOR={configured:?}); .ci/run \
             installs it, or: python3 -m venv /tmp/oas-venv && /tmp/oas-venv/bin/pip install \
             openapi-spec-validator and set OPENAPI_SPEC_VALIDATOR=/tmp/oas-venv/bin/openapi-spec-validator"
        )),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

fn validate(validator: &Path, name: &str, document: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, document).unwrap();
    let output = Command::new(validator).arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("OK"),
        "{name}: the validator refuses the document:\n{stdout}\n{stderr}\n{document}"
    );
}

/// The document of a config root, with every process visible.
fn document_of(root: &Path) -> String {
    let compilation = compile_root(root);
    let snapshot = compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "{} compiles:\n{}",
            root.display(),
            compilation.diagnostics.render()
        )
    });
    let everyone: Vec<ProcessId> = (0..snapshot.processes.len())
        .map(ProcessId::from_index)
        .collect();
    let document = generate(&snapshot, &everyone, "http://127.0.0.1:9090");
    serde_json::to_string_pretty(&document).unwrap()
}

#[test]
fn generated_documents_pass_openapi_spec_validator() {
    let Some(validator) = validator() else {
        return;
    };
    let mut roots = vec![repo_root()];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    examples.sort();
    roots.extend(examples);
    for root in &roots {
        validate(&validator, &root.display().to_string(), &document_of(root));
    }

    let golden = std::fs::read_to_string(repo_root().join(GOLDEN)).unwrap();
    // An insta file: a header between two `---` lines, then the document.
    let document = golden
        .splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{GOLDEN} is not an insta snapshot"));
    validate(&validator, GOLDEN, document);
}
