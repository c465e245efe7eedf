//! Hostile request bodies against the real binary: each is refused with a
//! 400 problem, and the server keeps serving. How fast each is refused is
//! printed here and measured in `cargo bench --bench xml`.

mod support;

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::Value;
use support::{Server, client, repo_root};

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Order><Id>&lol9;</Id></Order>"#;

const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0"?>
<!DOCTYPE Order [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<Order><Id>&secret;</Id></Order>"#;

async fn refused(server: &Server, path: &str, content_type: &str, body: String, expected: &str) {
    let started = Instant::now();
    let response = client()
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{expected}");
    let text = response.text().await.unwrap();
    assert!(text.contains(expected), "{expected} in {text}");
    eprintln!("refused in {elapsed:?}: {expected}");
}

#[tokio::test]
async fn hostile_xml_and_json_are_refused() {
    let server = Server::start(&repo_root());
    let xml = "/ws/simple/executeOrderSummary";
    refused(
        &server,
        xml,
        "application/xml",
        BILLION_LAUGHS.to_owned(),
        "DOCTYPE is not allowed",
    )
    .await;
    refused(
        &server,
        xml,
        "application/xml",
        EXTERNAL_ENTITY.to_owned(),
        "DOCTYPE is not allowed",
    )
    .await;
    let deep = format!("{}{}", "<a>".repeat(20_000), "</a>".repeat(20_000));
    refused(
        &server,
        xml,
        "application/xml",
        deep,
        "nesting deeper than 64 elements",
    )
    .await;
    let undefined_entity = "<Order><Id>&nope;</Id></Order>".to_owned();
    refused(&server, xml, "application/xml", undefined_entity, "nope").await;

    let json = "/ws/simple/executePayment";
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    refused(
        &server,
        json,
        "application/json",
        deep,
        "nesting deeper than 64 levels",
    )
    .await;

    // And the server goes on serving.
    let response = client()
        .get(server.url("/ws/simple/getHello?name=Ada"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["greeting"],
        "Hello, Ada"
    );
}
