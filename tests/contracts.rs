//! Golden snapshots of the contracts an example root publishes: the WSDL of
//! `examples/soap-warehouse` and the OpenAPI document of
//! `examples/partner-api`, as a caller who may use everything gets them.
//! A change to either shows up here as a diff to review.

mod support;

use flowgate::compile::compile_root;
use flowgate::contract::{openapi, wsdl};
use flowgate::snapshot::{ProcessId, Snapshot};
use support::repo_root;

const BASE: &str = "https://gateway.example.com";

fn example(name: &str) -> Snapshot {
    let compilation = compile_root(&repo_root().join("examples").join(name));
    compilation
        .snapshot
        .unwrap_or_else(|| panic!("{}", compilation.diagnostics.render()))
}

fn everyone(snapshot: &Snapshot) -> Vec<ProcessId> {
    (0..snapshot.processes.len())
        .map(ProcessId::from_index)
        .collect()
}

#[test]
fn the_wsdl_of_soap_warehouse() {
    let snapshot = example("soap-warehouse");
    insta::assert_snapshot!(wsdl::generate(&snapshot, &everyone(&snapshot), BASE));
}

#[test]
fn the_openapi_document_of_partner_api() {
    let snapshot = example("partner-api");
    let mut document = openapi::generate(&snapshot, &everyone(&snapshot), BASE);
    // The commit the root was read from changes with every commit.
    if let Some(info) = document["info"].as_object_mut() {
        info.remove("x-flowgate-commit");
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&document).unwrap());
}

/// `flowgate wsdl` and `flowgate openapi` print the bytes the server
/// serves a caller who may use everything, line break and all.
#[test]
fn the_commands_print_what_the_server_serves() {
    let wsdl_root = repo_root().join("examples/soap-warehouse");
    let printed = support::run(&["wsdl", wsdl_root.to_str().unwrap(), "--base-url", BASE]);
    assert!(printed.status.success(), "{printed:?}");
    let snapshot = example("soap-warehouse");
    let served = wsdl::generate(&snapshot, &everyone(&snapshot), BASE);
    assert_eq!(String::from_utf8_lossy(&printed.stdout), served);
    assert!(served.ends_with("</wsdl:definitions>\n"));

    let openapi_root = repo_root().join("examples/partner-api");
    let printed = support::run(&[
        "openapi",
        openapi_root.to_str().unwrap(),
        "--base-url",
        BASE,
    ]);
    assert!(printed.status.success(), "{printed:?}");
    let snapshot = example("partner-api");
    let served = openapi::text(&openapi::generate(&snapshot, &everyone(&snapshot), BASE));
    assert_eq!(String::from_utf8_lossy(&printed.stdout), served);
    assert!(served.ends_with("}\n") && !served.ends_with("\n\n"));
}
