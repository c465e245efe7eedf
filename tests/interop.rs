//! Interoperability: real clients of other stacks against the real binary.
//!
//! Python's zeep reads the WSDL flowgate generates and calls every SOAP
//! operation of `examples/soap-warehouse` (tests/interop/soap_client.py).
//! Schemathesis reads the OpenAPI document the demo root serves (and those
//! of `examples/xml-json-bridge` and `examples/soap-warehouse`) and sends
//! every operation generated requests, checking the answers against it.
//! Without the tools the tests are skipped locally and fail under CI.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Server, python_with, repo_root};

#[test]
fn zeep_calls_every_soap_operation_from_the_wsdl() {
    let Some(python) = python_with(&["zeep"]) else {
        return;
    };
    let server = Server::start(&repo_root().join("examples/soap-warehouse"));
    let output = Command::new(python)
        .arg(repo_root().join("tests/interop/soap_client.py"))
        .arg(&server.base)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for expected in [
        "flowgateSoap: getStock, createPickOrder, getPing and a fault: ok",
        "flowgateSoap12: getStock, createPickOrder, getPing and a fault: ok",
        "executeShipment (one way, with a token): ok",
    ] {
        assert!(stdout.contains(expected), "{stdout}");
    }
}

/// `$SCHEMATHESIS` (which `.ci/run` sets), else `schemathesis` on the PATH.
fn schemathesis() -> Option<PathBuf> {
    let configured = std::env::var_os("SCHEMATHESIS").map(PathBuf::from);
    let found = configured.clone().or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("schemathesis"))
            .find(|path| path.is_file())
    });
    match found.filter(|path| path.is_file()) {
        Some(path) => Some(path),
        None => support::skip_unless_ci(&format!(
            "schemathesis is missing (SCHEMATHESIS={configured:?}); .ci/run installs it, or: \
             python3 -m venv /tmp/st && /tmp/st/bin/pip install schemathesis and set \
             SCHEMATHESIS=/tmp/st/bin/schemathesis"
        )),
    }
}

/// Schemathesis's checks that ask what an OpenAPI document cannot say about
/// flowgate's routes, left out of every run:
/// - `positive_data_acceptance`: a request that fits the schema may still
///   be refused by the process (a payment over the limit is a 422) or by
///   the XSD (JSON Schema has no element order, and schemathesis writes
///   attributes as elements);
/// - `unsupported_method`: a process with `input: none` answers every
///   method, and is listed with `get` and `post` (docs/openapi.md).
const LEFT_OUT: &str = "positive_data_acceptance,unsupported_method";

/// Serves `root` and has schemathesis check it against the OpenAPI document
/// it publishes, with every check but [`LEFT_OUT`] and `also_left_out`: no
/// 5xx, only documented statuses and headers, bodies that fit their schemas,
/// schema-breaking requests refused. Generation is deterministic and
/// bounded (20 examples per operation), so a run is the same every time.
fn check_against_its_openapi_document(root: &Path, also_left_out: &[&str]) {
    let Some(schemathesis) = schemathesis() else {
        return;
    };
    let server = Server::start(root);
    let mut left_out = LEFT_OUT.to_owned();
    for check in also_left_out {
        left_out.push(',');
        left_out.push_str(check);
    }
    // Schemathesis keeps a cache in its working directory.
    let workdir = tempfile::tempdir().unwrap();
    let output = Command::new(schemathesis)
        .current_dir(workdir.path())
        .arg("run")
        .arg(format!("{}/ws/rest/openapi.json", server.base))
        .args(["--url", &server.base])
        .args(["--generation-deterministic", "--max-examples", "20"])
        .args(["--checks", "all", "--exclude-checks", &left_out])
        .args(["--request-timeout", "10", "--no-color"])
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}:\n{stdout}\n{stderr}",
        root.display()
    );
    assert!(stdout.contains("passed"), "{stdout}");
}

#[test]
fn schemathesis_finds_the_demo_as_its_openapi_document_says() {
    check_against_its_openapi_document(&repo_root(), &[]);
}

/// The examples with XML and JSON profiles both ways, paging and SOAP
/// operations that are simple routes too. A paged route's next-page URL
/// (`?page_token=`) answers only GET and HEAD, and says so in `Allow`,
/// which `allow_header_conformance` holds against every method of the path.
#[test]
fn schemathesis_finds_the_examples_as_their_openapi_documents_say() {
    for example in ["xml-json-bridge", "soap-warehouse"] {
        let root = repo_root().join("examples").join(example);
        check_against_its_openapi_document(&root, &["allow_header_conformance"]);
    }
}
