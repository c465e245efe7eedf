//! What one request costs inside flowgate, without a socket (not a test):
//! `cargo bench --bench route`.
//!
//! The repository root's demo routes are served by the same dispatch code
//! the listener runs — routing, access, reading and validating the body,
//! the steps, the response — on a single-threaded runtime, so the numbers
//! are flowgate's own work per request with no kernel, no HTTP parsing and
//! no load generator. `bench/run` measures the same routes over loopback
//! against a bare server; the difference between the two is what the
//! network path costs. Medians of repeated batches; results go to stdout
//! and `bench/results/route.md`.
//!
//! `cargo bench --bench route -- xml` measures only the routes whose name
//! holds `xml`; `ORDERS=FILE` sends another order list (and its SOAP
//! envelope) instead of `samples/orders.xml`, to see how the cost grows
//! with orders and lines. Either way the run is a probe, printed only:
//! `bench/results/route.md` keeps the full run on the sample.
//!
//! `CALLS=N` sends each chosen route exactly N requests and measures
//! nothing: `bench/instructions` runs it under callgrind to count the
//! instructions of one request, a measure the host's load does not move.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};

use flowgate::server::{Gateway, Peer, dispatch};

/// The allocator the `flowgate` binary runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Requests per timed batch, and the time budget of each route.
const BATCH: u32 = 100;
const BUDGET: Duration = Duration::from_secs(2);
const MAX_BATCHES: usize = 2_000;

struct Route {
    name: &'static str,
    method: &'static str,
    uri: &'static str,
    content_type: &'static str,
    body: String,
    status: StatusCode,
}

/// A JSON order of 14 lines (about 850 bytes) for `processes/echo-order.toml`:
/// validated by its JSON Schema, read by a `set` and a `message`.
fn json_order() -> String {
    let lines: Vec<String> = (0..14)
        .map(|i| {
            format!(
                r#"{{"sku": "SKU-{i}", "qty": {}, "price": {}.5, "note": "n"}}"#,
                i + 1,
                i
            )
        })
        .collect();
    format!(
        r#"{{"id": "A-1001", "customer": "Lovelace Engines Ltd", "lines": [{}]}}"#,
        lines.join(", ")
    )
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compilation = flowgate::compile::compile_root(root);
    let snapshot = compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the repository root compiles:\n{}",
            compilation.diagnostics.render()
        )
    });
    let gateway = Gateway::new(snapshot);
    let orders_file = std::env::var_os("ORDERS").map(std::path::PathBuf::from);
    let orders_path = orders_file
        .clone()
        .unwrap_or_else(|| root.join("samples/orders.xml"));
    let orders = std::fs::read_to_string(&orders_path)
        .unwrap_or_else(|err| panic!("{}: {err}", orders_path.display()));
    let envelope = soap_envelope(&orders);
    let json_order = json_order();
    let routes = [
        Route {
            name: "hello",
            method: "GET",
            uri: "/ws/simple/getHello?name=Ada",
            content_type: "text/plain",
            body: String::new(),
            status: StatusCode::OK,
        },
        Route {
            name: "xml-order",
            method: "POST",
            uri: "/ws/simple/createOrder",
            content_type: "application/xml",
            body: orders.clone(),
            status: StatusCode::CREATED,
        },
        Route {
            name: "json-order",
            method: "POST",
            uri: "/ws/rest/orders/eu",
            content_type: "application/json",
            body: json_order,
            status: StatusCode::CREATED,
        },
        Route {
            name: "soap-order",
            method: "POST",
            uri: "/ws/soap",
            content_type: "text/xml; charset=utf-8",
            body: envelope,
            status: StatusCode::OK,
        },
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    let mut report = String::from("# Cost of a request inside flowgate\n\n");
    let _ = writeln!(
        report,
        "Command: `cargo bench --bench route`; the repository root's routes served by \
         `server::dispatch::handle` without a socket, median µs per request over batches of {BATCH}.\n"
    );
    let _ = writeln!(report, "| route | body | µs per request | × hello |");
    let _ = writeln!(report, "|---|---:|---:|---:|");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let chosen = routes
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|o| r.name.contains(o.as_str())));
    if let Some(calls) = std::env::var_os("CALLS") {
        // A fixed number of requests and no clock: bench/instructions runs
        // this under callgrind, counting only inside `call`.
        let calls: u32 = calls
            .to_str()
            .and_then(|c| c.parse().ok())
            .expect("CALLS is a number of requests");
        for route in chosen {
            runtime.block_on(async {
                for _ in 0..calls {
                    call(&gateway, route).await;
                }
            });
        }
        return;
    }
    let mut hello = None;
    for route in chosen {
        let per_request = runtime.block_on(measure(&gateway, route));
        let micros = per_request.as_secs_f64() * 1e6;
        let reference = *hello.get_or_insert(micros);
        let _ = writeln!(
            report,
            "| {} | {} B | {micros:.2} | {:.1} |",
            route.name,
            route.body.len(),
            micros / reference
        );
    }
    print!("{report}");
    if !only.is_empty() || orders_file.is_some() {
        return;
    }
    let out = root.join("bench/results/route.md");
    if let Err(err) = std::fs::write(&out, &report) {
        eprintln!("could not write {}: {err}", out.display());
    }
}

async fn measure(gateway: &Arc<Gateway>, route: &Route) -> Duration {
    // Warm up, and check the route answers as it should.
    for _ in 0..BATCH {
        call(gateway, route).await;
    }
    let started = Instant::now();
    let mut batches = Vec::new();
    while started.elapsed() < BUDGET && batches.len() < MAX_BATCHES {
        let batch = Instant::now();
        for _ in 0..BATCH {
            call(gateway, route).await;
        }
        batches.push(batch.elapsed() / BATCH);
    }
    batches.sort_unstable();
    batches[batches.len() / 2]
}

async fn call(gateway: &Arc<Gateway>, route: &Route) {
    let request = Request::builder()
        .method(route.method)
        .uri(route.uri)
        .header("host", "127.0.0.1")
        .header("content-type", route.content_type)
        .body(Full::new(Bytes::from(route.body.clone())))
        .expect("a request");
    let peer = Peer::plain("127.0.0.1:40000".parse().expect("an address"));
    let response = dispatch::handle(gateway.clone(), request, peer).await;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    assert_eq!(
        status,
        route.status,
        "{}: {}",
        route.name,
        String::from_utf8_lossy(&body)
    );
}

/// The orders of `samples/orders.xml` as a SOAP 1.1 `executeOrder` request,
/// as `bench/run` sends them.
fn soap_envelope(orders: &str) -> String {
    let items = orders
        .split_once("<OrderList>")
        .and_then(|(_, rest)| rest.rsplit_once("</OrderList>"))
        .map(|(items, _)| items)
        .expect("an OrderList");
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:ws=\"urn:flowgate:ws\"><soapenv:Body><ws:executeOrder><ws:OrderList>{items}\
         </ws:OrderList></ws:executeOrder></soapenv:Body></soapenv:Envelope>"
    )
}
