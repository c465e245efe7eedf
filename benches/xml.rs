//! XML micro-benchmark (not a test): `cargo bench --bench xml`.
//!
//! Parse + validate per KB with the demo's `profiles/order.xsd`, against
//! well-formedness checking alone and untyped parsing, on the demo's order
//! and on a generated 64 KB order; and how long hostile documents take to
//! be refused. Medians of repeated runs, in one process; results go to
//! stdout and `bench/results/xml.md`.
//!
//! `CALLS=N` checks `samples/orders.xml` (as `input: xml` does every body)
//! exactly N times and measures nothing, for callgrind to count the
//! instructions of one check:
//! `CALLS=1000 valgrind --tool=callgrind --toggle-collect='flowgate::doc::xml::check' target/release/deps/xml-…`

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use flowgate::diag::SourceFile;
use flowgate::doc::xml::{self, XmlLimits};

/// Enough repetitions that a median is stable, bounded in time.
const BUDGET: Duration = Duration::from_millis(800);
const MAX_RUNS: usize = 200_000;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let xsd = std::fs::read_to_string(root.join("profiles/order.xsd")).expect("profiles/order.xsd");
    let (profiles, diagnostics) =
        flowgate::profile::xsd::compile(&[SourceFile::new("profiles/order.xsd", xsd)]);
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    let profile = profiles.into_iter().next().expect("the order profile").1;
    let limits = XmlLimits::default();

    let orders =
        std::fs::read_to_string(root.join("samples/orders.xml")).expect("samples/orders.xml");
    if let Some(calls) = std::env::var_os("CALLS") {
        let calls: u32 = calls
            .to_str()
            .and_then(|c| c.parse().ok())
            .expect("CALLS is a number of checks");
        for _ in 0..calls {
            assert!(xml::check(std::hint::black_box(&orders), &limits).is_ok());
        }
        return;
    }
    let small = xml::split_children(&orders, &limits)
        .expect("orders")
        .remove(0);
    let large = large_order(64 * 1024);
    assert!(profile.read(&small, &limits).is_ok());
    assert!(profile.read(&large, &limits).is_ok());

    let mut report = String::from("# XML parse + validate\n\n");
    let _ = writeln!(
        report,
        "Command: `cargo bench --bench xml`; median time per document, and per KB.\n"
    );
    let _ = writeln!(
        report,
        "| document | check only | untyped parse | read with the XSD (parse + validate + typed value) |"
    );
    let _ = writeln!(report, "|---|---:|---:|---:|");
    for (name, text) in [
        ("the first order of samples/orders.xml", small.as_str()),
        ("a generated order", large.as_str()),
    ] {
        let kb = text.len() as f64 / 1024.0;
        let check = median(|| xml::check(text, &limits).is_ok());
        let parse = median(|| xml::parse(text, &limits).is_ok());
        let read = median(|| profile.read(text, &limits).is_ok());
        let cell = |d: Duration| format!("{:.1} µs ({:.2} µs/KB)", micros(d), micros(d) / kb);
        let _ = writeln!(
            report,
            "| {name}, {:.1} KB | {} | {} | {} |",
            kb,
            cell(check),
            cell(parse),
            cell(read)
        );
    }

    let _ = writeln!(report, "\n## Hostile documents\n");
    let _ = writeln!(report, "| document | refused in |");
    let _ = writeln!(report, "|---|---:|");
    let laughs = format!(
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]><Order>&lol9;</Order>",
        (2..=9)
            .map(|n| format!(
                "<!ENTITY lol{n} \"{}\">",
                format!("&lol{};", n - 1).repeat(10)
            ))
            .collect::<String>()
    );
    let hostile = [
        ("billion laughs", laughs),
        (
            "external entity",
            r#"<!DOCTYPE Order [<!ENTITY x SYSTEM "file:///etc/passwd">]><Order>&x;</Order>"#
                .to_owned(),
        ),
        (
            "20,000-deep nesting",
            format!("{}{}", "<a>".repeat(20_000), "</a>".repeat(20_000)),
        ),
        (
            "100,000 attributes",
            format!(
                "<Order {}/>",
                (0..100_000)
                    .map(|n| format!("a{n}=\"1\" "))
                    .collect::<String>()
            ),
        ),
        (
            "100 KB element name",
            format!("<{0}></{0}>", "N".repeat(100_000)),
        ),
    ];
    for (name, text) in &hostile {
        assert!(profile.read(text, &limits).is_err(), "{name} is refused");
        let time = median(|| profile.read(text, &limits).is_err());
        let _ = writeln!(
            report,
            "| {name} ({} KB) | {:.1} µs |",
            text.len() / 1024,
            micros(time)
        );
    }
    print!("{report}");
    let out = root.join("bench/results/xml.md");
    if let Err(err) = std::fs::write(&out, &report) {
        eprintln!("cannot write {}: {err}", out.display());
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The median duration of `run`, repeated within the budget.
fn median(mut run: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < MAX_RUNS && (times.len() < 5 || started.elapsed() < BUDGET) {
        let t = Instant::now();
        std::hint::black_box(run());
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// An order of about `size` bytes: many lines.
fn large_order(size: usize) -> String {
    let mut out =
        String::from("<Order currency=\"EUR\"><Id>A-1</Id><Customer>Bulk Buyer</Customer><Lines>");
    let mut n = 0;
    while out.len() < size {
        n += 1;
        let _ = write!(
            out,
            "<Line><Sku>SKU-{n}</Sku><Qty>{}</Qty><Price>{}.25</Price></Line>",
            n % 900 + 1,
            n % 50
        );
    }
    out.push_str("</Lines></Order>");
    out
}
