//! End to end: each example root under `examples/`, served by the real
//! binary and called as its README shows.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Server, client, repo_root, run};

#[test]
fn every_example_root_compiles_cleanly() {
    let examples = repo_root().join("examples");
    let mut roots = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let root = entry.unwrap().path();
        if !root.is_dir() {
            continue;
        }
        roots += 1;
        let output = run(&["check", &root.to_string_lossy()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}: {stderr}", root.display());
        assert!(
            stderr.is_empty(),
            "{}: no warnings expected: {stderr}",
            root.display()
        );
        assert!(
            root.join("README.md").is_file(),
            "{} has a README",
            root.display()
        );
    }
    assert!(roots >= 1);
}

#[tokio::test]
async fn order_desk() {
    let root = repo_root().join("examples/order-desk");
    let server = Server::start(&root);

    let orders = std::fs::read_to_string(root.join("samples/orders.xml")).unwrap();
    let response = server
        .post("/ws/rest/orders", "application/xml", orders)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!([
            {"id": "A-101", "channel": "direct", "due": 600.0, "currency": "EUR", "status": "review"},
            {"id": "A-100", "channel": "partner", "due": 27.0, "currency": "EUR", "status": "accepted"}
        ])
    );

    // A list with no orders answers an empty array.
    let response = server
        .post("/ws/simple/createOrder", "application/xml", "<OrderList/>")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), "[]");

    let response = server.get("/ws/rest/orders/A-7", &[]).await;
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"id": "A-7", "status": "accepted"})
    );
    let response = server.get("/ws/rest/orders/B-7", &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<Value>().await.unwrap()["detail"],
        "there is no order B-7"
    );

    let response = server
        .get("/ws/simple/queryPrices?skus=X-1,%20Q-2", &[])
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.text().await.unwrap(),
        "sku,price,currency\nX-1,12.5,EUR\nQ-2,15.0,EUR\n"
    );

    let response = server.get("/ws/rest/ops/ping", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = server
        .get("/ws/rest/ops/ping", &[("x-forwarded-for", "10.9.8.7")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "pong from 10.9.8.7");
    // A client outside the network cannot claim to be inside by adding an entry on the left.
    let response = server
        .get(
            "/ws/rest/ops/ping",
            &[("x-forwarded-for", "10.9.8.7, 203.0.113.9")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn xml_json_bridge() {
    let root = repo_root().join("examples/xml-json-bridge");
    let server = Server::start(&root);
    let http = client();
    let sample = |name: &str| std::fs::read_to_string(root.join("samples").join(name)).unwrap();

    // XML to JSON, typed by the XSD.
    let response = server
        .post(
            "/ws/rest/customers/to-json",
            "application/xml",
            sample("customer.xml"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let customer: Value = response.json().await.unwrap();
    let expected: Value = serde_json::from_str(&sample("customer.json")).unwrap();
    assert_eq!(customer, expected);

    // JSON to XML, ordered and namespaced by the XSD; and back to the same JSON.
    let response = server
        .post(
            "/ws/rest/customers/to-xml",
            "application/json",
            sample("customer.json"),
        )
        .await;
    assert_eq!(response.headers()["content-type"], "application/xml");
    let xml = response.text().await.unwrap();
    assert!(
        xml.contains(
            r#"<Customer xmlns="urn:example:crm" id="1042"><Name>Ada Lovelace</Name><Email>"#
        ),
        "{xml}"
    );
    let back: Value = server
        .post("/ws/rest/customers/to-json", "application/xml", xml)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back, expected);

    // Five customers, two per page, over three pages.
    let mut response = server
        .post(
            "/ws/simple/queryCustomer",
            "application/json",
            sample("customers.json"),
        )
        .await;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let link = response.headers().get("link").map(|l| {
            l.to_str()
                .unwrap()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned()
        });
        let body = response.text().await.unwrap();
        assert!(body.contains("<CustomerList"), "{body}");
        ids.extend(
            body.match_indices(" id=\"")
                .map(|(at, _)| body[at + 5..].split('"').next().unwrap().to_owned()),
        );
        let Some(link) = link else { break };
        assert!(pages < 5, "the pages end");
        response = http.get(server.url(&link)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(pages, 3);
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);

    // Every violation of a bad customer, with its path.
    let response = server
        .post("/ws/rest/customers/to-json", "application/xml", r#"<Customer xmlns="urn:example:crm" id="x"><Name>A</Name><Email>no-at-sign</Email></Customer>"#)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.unwrap();
    for path in [
        "<path>/Customer/@id</path>",
        "<path>/Customer/Email</path>",
        "<path>/Customer</path>",
    ] {
        assert!(text.contains(path), "{path} in {text}");
    }
}

#[tokio::test]
async fn partner_api() {
    let root = repo_root().join("examples/partner-api");
    let server = Server::start(&root);
    let http = client();
    let place = |order: &str| {
        http.post(server.url("/ws/rest/orders"))
            .header("content-type", "application/json")
            .body(format!(r#"{{"id": "{order}"}}"#))
    };
    let problem_type = |body: &Value| body["type"].as_str().unwrap_or_default().to_owned();

    // Public, whatever is sent.
    let response = server
        .get("/ws/simple/getStatus", &[("x-api-key", "not-a-token")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "up"})
    );

    // No credentials: 401 with the basic challenge.
    let response = place("P-1").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"flowgate\""
    );

    // acme by password and by token.
    for request in [
        place("P-1").basic_auth("acme", Some("acme-demo-password")),
        place("P-1").bearer_auth("acme-demo-token"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"order": "P-1", "placed_by": "acme", "status": "placed"})
        );
    }
    let response = place("P-1")
        .basic_auth("acme", Some("acme-demo-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // An order without an id: the partner's mistake, named by the profile.
    let response = http
        .post(server.url("/ws/rest/orders"))
        .header("content-type", "application/json")
        .bearer_auth("acme-demo-token")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(problem_type(&body), "urn:flowgate:problem:profile-mismatch");
    assert!(body["errors"].to_string().contains("id"), "{body}");

    // globex: not for placing orders, but for looking them up.
    let response = place("P-3")
        .header("x-api-key", "globex-demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(problem_type(&body), "urn:flowgate:problem:forbidden");
    let response = server
        .get("/ws/rest/orders/P-1", &[("x-api-key", "globex-demo-token")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"order": "P-1", "status": "shipped", "checked_by": "globex"})
    );
    let response = server
        .get("/ws/rest/orders/P-1", &[("x-api-key", "wrong")])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The report: ops only, by password.
    let report = |user: &str, password: &str| {
        http.get(server.url("/ws/simple/getReport"))
            .basic_auth(user, Some(password))
            .send()
    };
    assert_eq!(
        report("acme", "acme-demo-password").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let response = report("ops", "ops-demo-password").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"report": "all quiet", "for": "ops", "from": "127.0.0.1"})
    );
    let response = http
        .get(server.url("/ws/simple/getReport"))
        .bearer_auth("acme-demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // CORS: the portal's preflight, and a stranger's.
    let preflight = |origin: &str| {
        http.request(reqwest::Method::OPTIONS, server.url("/ws/rest/orders/P-1"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let response = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(
        response.headers()["access-control-allow-credentials"],
        "true"
    );
    let response = preflight("https://evil.example").await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // An ambiguous path is refused before routing.
    let response = server
        .get(
            "/ws/rest/orders/..%2Fsecret",
            &[("x-api-key", "globex-demo-token")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn soap_warehouse() {
    let root = repo_root().join("examples/soap-warehouse");
    let server = Server::start(&root);
    let http = client();
    let call = |path: &'static str, content_type: &'static str, body: String| {
        http.post(server.url(path))
            .header("content-type", content_type)
            .body(body)
    };
    let envelope11 = |body: &str| {
        format!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="urn:example:warehouse:ws"><soap:Body>{body}</soap:Body></soap:Envelope>"#
        )
    };

    let response = call(
        "/ws/soap",
        "text/xml",
        envelope11(r#"<ws:getStock><w:StockQuery xmlns:w="urn:example:warehouse"><w:Sku>GEAR-12</w:Sku><w:Sku>NOPE-1</w:Sku></w:StockQuery></ws:getStock>"#),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"<ws:getStockResponse xmlns:ws="urn:example:warehouse:ws"><StockLevel xmlns="urn:example:warehouse"><Item known="true"><Sku>GEAR-12</Sku><Available>140</Available></Item><Item known="false"><Sku>NOPE-1</Sku><Available>0</Available></Item></StockLevel></ws:getStockResponse>"#),
        "{text}"
    );

    let response = call(
        "/ws/soap12",
        "application/soap+xml",
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ws="urn:example:warehouse:ws"><soap:Body><ws:createPickOrder><ws:PickOrderList><PickOrder><Id>P-1</Id><Line><Sku>GEAR-12</Sku><Qty>4</Qty></Line><Line><Sku>AXLE-3</Sku><Qty>2</Qty></Line></PickOrder></ws:PickOrderList></ws:createPickOrder></soap:Body></soap:Envelope>"#.to_owned(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/soap+xml; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("<ws:PickOrderList><PickTicket><Order>P-1</Order><Lines>2</Lines><Units>6</Units><Priority>normal</Priority></PickTicket></ws:PickOrderList>"),
        "{text}"
    );

    let response = call(
        "/ws/soap",
        "text/xml",
        envelope11("<ws:getStock><Sku>x</Sku></ws:getStock>"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("<faultcode>soap:Client</faultcode>"),
        "{text}"
    );
    assert!(
        text.contains("`getStock` holds one `{urn:example:warehouse}StockQuery` element"),
        "{text}"
    );

    let shipment = envelope11(
        r#"<ws:executeShipment><c:Shipment xmlns:c="urn:example:carrier"><c:Order>P-1</c:Order><c:Tracking>1Z999</c:Tracking><c:ShippedAt>2026-11-28T10:00:00Z</c:ShippedAt></c:Shipment></ws:executeShipment>"#,
    );
    let response = call("/ws/soap", "text/xml", shipment.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = call("/ws/soap", "text/xml", shipment)
        .bearer_auth("carrier-demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    // The WSDL lists what the caller may use.
    let wsdl = |token: Option<&'static str>| {
        let request = http.get(server.url("/ws/soap?wsdl"));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let anonymous = wsdl(None).await;
    assert!(
        anonymous.contains(r#"<wsdl:operation name="getStock">"#),
        "{anonymous}"
    );
    assert!(!anonymous.contains("executeShipment"), "{anonymous}");
    let carrier = wsdl(Some("carrier-demo-token")).await;
    assert!(
        carrier.contains(r#"<wsdl:operation name="executeShipment">"#),
        "{carrier}"
    );
}

#[tokio::test]
async fn enrich_orders() {
    let example = repo_root().join("examples/enrich-orders");
    let stock = Server::start(&example.join("stock-service"));
    // The gateway's root, pointed at the stock service's free port.
    let root = tempfile::tempdir().unwrap();
    let settings = std::fs::read_to_string(example.join("flowgate.toml"))
        .unwrap()
        .replace("http://127.0.0.1:9295/ws/rest", &stock.url("/ws/rest"));
    std::fs::write(root.path().join("flowgate.toml"), settings).unwrap();
    std::fs::create_dir(root.path().join("processes")).unwrap();
    std::fs::copy(
        example.join("processes/enrich-order.yaml"),
        root.path().join("processes/enrich-order.yaml"),
    )
    .unwrap();
    // The process's tests name a sample, which must exist for the root to
    // compile, and its request profile.
    for (folder, file) in [("samples", "order.json"), ("profiles", "order.schema.json")] {
        std::fs::create_dir(root.path().join(folder)).unwrap();
        let path = format!("{folder}/{file}");
        std::fs::copy(example.join(&path), root.path().join(&path)).unwrap();
    }
    let gateway = Server::start(root.path());
    let http = client();
    let order = std::fs::read_to_string(example.join("samples/order.json")).unwrap();
    let post = |body: String| {
        http.post(gateway.url("/ws/rest/orders"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let response = post(order.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": "A-100", "sku": "KB-101", "quantity": 2, "available": 12, "status": "confirmed"})
    );
    let response = post(r#"{"id": "A-101", "sku": "MS-202", "quantity": 3}"#.to_owned())
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "backordered");

    drop(stock);
    let response = post(order).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": "A-100", "sku": "KB-101", "quantity": 2, "status": "pending", "reason": "upstream `stock` cannot be reached"})
    );
}
