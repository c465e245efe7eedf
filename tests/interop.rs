//! Interoperability: real clients of other stacks against the real binary.
//!
//! Python's zeep reads the WSDL flowgate generates and calls every SOAP
//! operation of `examples/soap-warehouse` (tests/interop/soap_client.py).
//! Without zeep the test is skipped locally and fails under CI.

mod support;

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
