//! Each step's semantics, run on small compiled roots.

use std::sync::Arc;

use http::StatusCode;

use super::{ExecError, Execution, Returned};
use crate::compile::compile_files;
use crate::doc::{Document, MediaType};
use crate::template::context::RequestInfo;

/// Compiles one process file (`processes/p.yaml`) plus extra files, runs `p` on `batch`.
async fn run_with(
    extra: &[(&str, &str)],
    process: &str,
    batch: Vec<Document>,
) -> Result<Returned, ExecError> {
    let mut files = vec![("processes/p.yaml", process)];
    files.extend_from_slice(extra);
    let compilation = compile_files(&files);
    let snapshot = compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the test root compiles:\n{}",
            compilation.diagnostics.render()
        )
    });
    let snapshot = Arc::new(snapshot);
    let id = snapshot.process_by_name("p").expect("process p");
    let execution = Execution::new(
        snapshot,
        "test-exec".into(),
        Arc::new(RequestInfo::offline()),
    );
    execution.run(id, batch).await
}

async fn run(process: &str, batch: Vec<Document>) -> Result<Returned, ExecError> {
    run_with(&[], process, batch).await
}

fn json(text: &str) -> Document {
    Document::new(text.to_owned(), MediaType::Json)
}

fn bodies(returned: &Returned) -> Vec<String> {
    returned
        .documents
        .iter()
        .map(|d| d.text().into_owned())
        .collect()
}

#[tokio::test]
async fn message_escapes_for_json_and_keeps_props() {
    let process = r#"
listen: { operation: create, object: X, input: json, output: json }
steps:
  - set: { tag: "t1" }
  - message: '{"name": "{{ doc.name }}", "tag": "{{ props.tag }}"}'
  - return: {}
"#;
    let returned = run(process, vec![json(r#"{"name": "a\"b</x>"}"#)])
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&bodies(&returned)[0]).unwrap();
    assert_eq!(body["name"], "a\"b</x>");
    assert_eq!(body["tag"], "t1");
    assert_eq!(returned.documents[0].media, MediaType::Json);
}

#[tokio::test]
async fn set_keeps_native_types_from_single_expressions() {
    let process = r#"
steps:
  - set:
      count: "{{ doc.items | length }}"
      label: "n={{ doc.items | length }}"
      literal: 7
      next: "{{ props.count + 1 }}"
  - message: '{{ props.count + 1 }} {{ props.label }} {{ props.literal * 2 }} {{ props.next }}'
  - return: {}
"#;
    let returned = run(process, vec![json(r#"{"items": [1, 2, 3]}"#)])
        .await
        .unwrap();
    assert_eq!(bodies(&returned), ["4 n=3 14 4"]);
}

#[tokio::test]
async fn decision_runs_true_documents_first_then_continues() {
    let process = r#"
steps:
  - decision:
      if: doc.n > 1
      then:
        - message: 'big {{ doc.n }}'
      else:
        - message: 'small {{ doc.n }}'
  - return: {}
"#;
    let batch = vec![
        json(r#"{"n": 1}"#),
        json(r#"{"n": 2}"#),
        json(r#"{"n": 3}"#),
    ];
    let returned = run(process, batch).await.unwrap();
    assert_eq!(bodies(&returned), ["big 2", "big 3", "small 1"]);
}

#[tokio::test]
async fn route_by_value_with_default() {
    let process = r#"
steps:
  - route:
      by: doc.kind
      cases:
        a: [ { message: "case a" } ]
        "1": [ { message: "case one" } ]
      default: [ { message: "other {{ doc.kind }}" } ]
  - return: {}
"#;
    let batch = vec![
        json(r#"{"kind": "z"}"#),
        json(r#"{"kind": 1}"#),
        json(r#"{"kind": "a"}"#),
    ];
    let returned = run(process, batch).await.unwrap();
    assert_eq!(bodies(&returned), ["case a", "case one", "other z"]);
}

#[tokio::test]
async fn route_cases_are_the_text_written_and_numbers_match_by_value() {
    let process = r#"
steps:
  - route:
      by: doc.v
      cases:
        1.0: [ { message: "one" } ]
        1e3: [ { message: "thousand" } ]
        0x1F: [ { message: "hex" } ]
        "9007199254740992": [ { message: "2^53" } ]
        True: [ { message: "True" } ]
      default: [ { message: "other {{ doc.v }}" } ]
  - return: {}
"#;
    let batch = [
        "1",
        "1.0",
        "\"1.0\"",
        "\"1\"",
        "1000",
        "1000.0",
        "31",
        "\"0x1F\"",
        "9007199254740993",
        "9007199254740992",
        "true",
        "\"True\"",
    ]
    .map(|v| json(&format!(r#"{{"v": {v}}}"#)))
    .to_vec();
    let returned = run(process, batch).await.unwrap();
    assert_eq!(
        bodies(&returned),
        [
            "one",
            "one",
            "one",
            "thousand",
            "thousand",
            "hex",
            "2^53",
            "True",
            "other 1",
            "other 31",
            "other 9007199254740993",
            "other true"
        ]
    );
}

#[tokio::test]
async fn a_float_takes_an_integer_case_only_when_it_is_that_integer() {
    let process = r#"
steps:
  - route:
      by: doc.v
      cases:
        "9007199254740993": [ { message: "2^53+1" } ]
        "4.0e0": [ { message: "four" } ]
      default: [ { message: "other {{ doc.v }}" } ]
  - return: {}
"#;
    // 2^53 + 1 has no float: a float of 2^53 is not it, nor is the integer
    // 4 the case `4.0e0` unless they are equal (they are).
    let batch = ["9007199254740992.0", "9007199254740993", "4", "4.5"]
        .map(|v| json(&format!(r#"{{"v": {v}}}"#)))
        .to_vec();
    let returned = run(process, batch).await.unwrap();
    assert_eq!(
        bodies(&returned),
        ["2^53+1", "four", "other 9007199254740992.0", "other 4.5"]
    );
}

#[tokio::test]
async fn branch_copies_the_batch_to_each_path() {
    let process = r#"
steps:
  - branch:
      - [ { message: "first" } ]
      - [ { message: "second" }, { stop: {} } ]
      - [ { message: "third" } ]
  - return: {}
"#;
    let returned = run(process, vec![Document::empty()]).await.unwrap();
    assert_eq!(bodies(&returned), ["first", "third"]);
}

#[tokio::test]
async fn split_and_combine_json() {
    let process = r#"
steps:
  - split: { path: /order/lines }
  - message:
      content_type: application/json
      template: '{"sku": "{{ doc.sku }}", "qty": {{ doc.qty * 10 }}}'
  - combine: {}
  - return: {}
"#;
    let doc = json(r#"{"order": {"lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}}"#);
    let returned = run(process, vec![doc]).await.unwrap();
    let combined: serde_json::Value = serde_json::from_str(&bodies(&returned)[0]).unwrap();
    assert_eq!(
        combined,
        serde_json::json!([{"sku": "a", "qty": 10}, {"sku": "b", "qty": 20}])
    );
}

#[tokio::test]
async fn combine_with_wrap_and_a_missing_split_path() {
    let process = r#"
steps:
  - combine: { wrap: items }
  - return: {}
"#;
    let returned = run(process, vec![json("1"), json(r#"{"a":2}"#)])
        .await
        .unwrap();
    assert_eq!(bodies(&returned), [r#"{"items":[1,{"a":2}]}"#]);

    // What is no XML name cannot wrap XML documents (`check` warns).
    let process = "steps:\n  - combine: { wrap: 'x><y/><z' }\n  - return: {}\n";
    let Err(err) = run(process, vec![xml("<a/>"), xml("<b/>")]).await else {
        panic!("the combine fails")
    };
    assert!(err.to_string().contains("no XML element name"), "{err}");

    let process = "steps:\n  - split: /nothing/here\n  - return: {}\n";
    let returned = run(process, vec![json(r#"{"a": 1}"#)]).await.unwrap();
    assert!(returned.documents.is_empty());
    assert!(returned.documents.is_empty() && returned.status.is_none());
}

#[tokio::test]
async fn returns_add_up_and_set_status_and_headers() {
    let process = r#"
steps:
  - decision:
      if: doc.ok
      then:
        - return: { status: 201, headers: { X-Id: "{{ doc.id }}" } }
      else:
        - return: { status: "{{ 200 + 2 }}", content_type: text/csv }
"#;
    let batch = vec![json(r#"{"ok": true, "id": "a"}"#), json(r#"{"ok": false}"#)];
    let returned = run(process, batch).await.unwrap();
    assert_eq!(returned.documents.len(), 2);
    assert_eq!(returned.status, Some(StatusCode::from_u16(202).unwrap()));
    assert_eq!(returned.headers[0].0.as_str(), "x-id");
    assert_eq!(returned.headers[0].1, "a");
    assert_eq!(returned.content_type.as_deref(), Some("text/csv"));
}

#[tokio::test]
async fn a_process_without_return_returns_nothing() {
    let returned = run("steps:\n  - message: hi\n", vec![Document::empty()])
        .await
        .unwrap();
    assert!(returned.documents.is_empty() && returned.status.is_none());
    assert!(returned.documents.is_empty());
}

#[tokio::test]
async fn exception_fails_with_its_status_and_message() {
    let process = r#"
steps:
  - exception: { status: 409, message: "order {{ doc.id }} exists" }
"#;
    let err = run(process, vec![json(r#"{"id": 7}"#)]).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::CONFLICT);
    assert_eq!(err.to_string(), "order 7 exists");
    assert_eq!(err.site().path, "steps[0].exception");

    let err = run("steps:\n  - exception: plain\n", vec![Document::empty()])
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn template_failures_name_the_step() {
    let process = "steps:\n  - message: ok\n  - message: '{{ missing.field }}'\n";
    let err = run(process, vec![Document::empty()]).await.unwrap_err();
    assert!(matches!(err, ExecError::Step { .. }));
    assert_eq!(err.site().path, "steps[1].message");
    assert_eq!(err.site().line, 3);
    assert!(err.to_string().contains("undefined"), "{err}");
}

#[tokio::test]
async fn an_undefined_value_fails_the_step_that_takes_it() {
    for (process, path, detail) in [
        (
            "steps:\n  - set: { id: '{{ doc.Idd }}' }\n  - message: ok\n",
            "steps[0].set",
            "`doc.Idd` is undefined",
        ),
        (
            "steps:\n  - set: { id: '{{ doc.Idd | upper }}' }\n",
            "steps[0].set",
            "undefined",
        ),
        (
            "steps:\n  - set: { n: '{{ doc.id + doc.nope }}' }\n",
            "steps[0].set",
            "undefined",
        ),
        (
            "steps:\n  - return: { status: '{{ doc.s }}' }\n",
            "steps[0].return",
            "`doc.s` is undefined",
        ),
    ] {
        let err = run(process, vec![json(r#"{"id": 7}"#)]).await.unwrap_err();
        assert_eq!(err.site().path, path, "{process}");
        assert!(err.to_string().contains(detail), "{process}: {err}");
    }
    // Where a field may be missing, a default keeps the step going.
    let process = "steps:\n  - set: { id: '{{ doc.Idd | default(none) }}' }\n  - return: {}\n";
    assert!(run(process, vec![json(r#"{"id": 7}"#)]).await.is_ok());
}

#[tokio::test]
async fn call_runs_another_process_and_continues_with_its_returns() {
    let helper = r#"
steps:
  - message: 'helper saw {{ body }} in {{ process.name }}'
  - return: {}
"#;
    let process = r#"
steps:
  - message: input
  - call: helper
  - message: '{{ body }}, back in {{ process.name }}'
  - return: {}
"#;
    let returned = run_with(
        &[("processes/helper.yaml", helper)],
        process,
        vec![Document::empty()],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), ["helper saw input in helper, back in p"]);
}

#[tokio::test]
async fn try_retries_then_catches_with_the_error() {
    let process = r#"
steps:
  - try:
      retries: 1
      steps:
        - return: { status: 201 }
        - message: never
      catch:
        - message: 'caught {{ props.error.status }} at {{ props.error.step }}: {{ props.error.message }}'
        - return: {}
"#;
    // The returned-then-failed attempt is undone: only the catch path's document remains.
    let failing = process.replace(
        "- return: { status: 201 }",
        "- exception: { status: 503, message: down }",
    );
    let returned = run(&failing, vec![Document::empty()]).await.unwrap();
    assert_eq!(
        bodies(&returned),
        ["caught 503 at steps[0].try.steps[0].exception: down"]
    );
    let returned = run(process, vec![Document::empty()]).await.unwrap();
    assert_eq!(returned.status, Some(StatusCode::CREATED));

    // A step of a called process names its own file.
    let caller = "steps:\n  - try:\n      steps: [ { call: sub } ]\n      catch:\n        - message: '{{ props.error.file }} {{ props.error.step }}'\n        - return: {}\n";
    let sub = "steps:\n  - set: { x: 1 }\n  - exception: { status: 502, message: down }\n";
    let returned = run_with(
        &[("processes/sub.yaml", sub)],
        caller,
        vec![Document::empty()],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), ["processes/sub.yaml steps[1].exception"]);

    let uncaught =
        "steps:\n  - try:\n      steps: [ { exception: { status: 503, message: down } } ]\n";
    let err = run(uncaught, vec![Document::empty()]).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_failed_attempt_takes_back_its_status_and_headers_too() {
    let process = r#"
steps:
  - try:
      steps:
        - branch:
            - - message: '{"partial": true}'
              - return: { status: 299, headers: { X-Partial: "yes" }, content_type: text/plain }
            - - exception: { status: 418, message: teapot }
      catch:
        - message: 'caught'
        - return: {}
"#;
    let returned = run(process, vec![Document::empty()]).await.unwrap();
    assert_eq!(bodies(&returned), ["caught"]);
    assert_eq!(returned.status, None, "the failed attempt's 299 is gone");
    assert!(returned.headers.is_empty(), "{:?}", returned.headers);
    assert_eq!(returned.content_type, None);
}

#[tokio::test]
async fn steps_on_an_empty_batch_do_nothing() {
    let process = r#"
steps:
  - stop: {}
  - exception: "never raised"
"#;
    let returned = run(process, vec![Document::empty()]).await.unwrap();
    assert!(returned.documents.is_empty() && returned.status.is_none());
}

#[tokio::test]
async fn message_combine_renders_once_over_docs() {
    let process = r#"
steps:
  - message:
      combine: true
      content_type: text/plain
      template: '{% for d in docs %}{{ d.n }};{% endfor %}'
  - return: {}
"#;
    let batch = vec![json(r#"{"n": 1}"#), json(r#"{"n": 2}"#)];
    let returned = run(process, batch).await.unwrap();
    assert_eq!(bodies(&returned), ["1;2;"]);
}

#[tokio::test]
async fn log_passes_documents_through() {
    let process = "steps:\n  - log: { level: debug, message: 'saw {{ body }}' }\n  - return: {}\n";
    let returned = run(process, vec![json("1"), json("2")]).await.unwrap();
    assert_eq!(bodies(&returned), ["1", "2"]);
}

fn xml(text: &str) -> Document {
    Document::new(text.to_owned(), MediaType::Xml)
}

#[tokio::test]
async fn xml_documents_read_by_occurrence_and_escape_on_output() {
    let process = r#"
listen: { operation: create, object: Order, input: xml, output: xml }
steps:
  - message: '<Ack id="{{ doc.Order["@id"] }}"><Note>{{ doc.Order.Note }}</Note><Lines>{{ doc.Order.Line | length }}</Lines></Ack>'
  - return: {}
"#;
    let input =
        r#"<Order id="7"><Note>a &lt;b&gt; &amp; "c"</Note><Line>1</Line><Line>2</Line></Order>"#;
    let returned = run(process, vec![xml(input)]).await.unwrap();
    assert_eq!(
        bodies(&returned),
        [r#"<Ack id="7"><Note>a &lt;b&gt; &amp; &quot;c&quot;</Note><Lines>2</Lines></Ack>"#]
    );
}

#[tokio::test]
async fn split_and_combine_xml() {
    let process = r#"
listen: { operation: create, object: Line, input: xml, output: xml }
steps:
  - split: /Order/Lines/Line
  - message: '<Sku>{{ doc.Line.Sku }}</Sku>'
  - combine: { wrap: Skus }
  - return: {}
"#;
    let input = r#"<o:Order xmlns:o="urn:o"><Lines><Line><Sku>a</Sku></Line><Line><Sku>b</Sku></Line></Lines></o:Order>"#;
    let returned = run(process, vec![xml(input)]).await.unwrap();
    let body = &bodies(&returned)[0];
    assert!(
        body.ends_with("<Skus><Sku>a</Sku><Sku>b</Sku></Skus>"),
        "{body}"
    );

    // Without a wrap, XML documents are wrapped in `{Object}List`.
    let process = process.replace("combine: { wrap: Skus }", "combine: {}");
    let returned = run(&process, vec![xml(input)]).await.unwrap();
    assert!(bodies(&returned)[0].ends_with("<LineList><Sku>a</Sku><Sku>b</Sku></LineList>"));
}

#[tokio::test]
async fn split_refuses_other_content_types() {
    let err = run("steps:\n  - split: /a\n", vec![Document::empty()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("works on JSON and XML"), "{err}");
}

const ACK_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["id", "lines"],
  "properties": {
    "id": {"type": "string"},
    "rush": {"type": "boolean"},
    "lines": {"type": "array", "items": {
      "type": "object", "required": ["sku", "qty"],
      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}
    }}
  }
}"#;

#[tokio::test]
async fn map_builds_a_profiled_document_with_for_and_if() {
    let process = r#"
steps:
  - map:
      to: ack
      value:
        id: "{{ doc.order.id }}"
        lines:
          $for: line in doc.order.lines
          $if: line.qty > 0
          sku: "{{ line.sku }}"
          qty: "{{ line.qty * 2 }}"
  - return: {}
"#;
    let extra = [("profiles/ack.schema.json", ACK_SCHEMA)];
    let input = r#"{"order": {"id": "A-1", "lines": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 0}, {"sku": "z", "qty": 3}]}}"#;
    let returned = run_with(&extra, process, vec![json(input)]).await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&bodies(&returned)[0]).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"id": "A-1", "lines": [{"sku": "x", "qty": 2}, {"sku": "z", "qty": 6}]})
    );
    assert_eq!(returned.documents[0].media, MediaType::Json);
    assert!(returned.documents[0].profile.is_some());

    // A map left out by its `$if` leaves its key out.
    let with_rush = process.replace(
        "        lines:\n",
        "        rush:\n          $if: doc.order.priority == \"high\"\n          $value: true\n        lines:\n",
    );
    let returned = run_with(&extra, &with_rush, vec![json(input)])
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&bodies(&returned)[0]).unwrap();
    assert!(body.get("rush").is_none());
}

#[tokio::test]
async fn map_reports_what_does_not_fit_the_profile() {
    // The keys fit (compile holds them against the profile); what the
    // leaves give does not, and shows only when they run.
    let process = r#"
steps:
  - map:
      to: ack
      value:
        id: "{{ 7 }}"
        lines: [ { sku: "a", qty: "{{ 'many' }}" } ]
  - return: {}
"#;
    let err = run_with(
        &[("profiles/ack.schema.json", ACK_SCHEMA)],
        process,
        vec![Document::empty()],
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("the value does not fit the profile `ack`"),
        "{text}"
    );
    assert!(text.contains("/id"), "{text}");
    assert!(text.contains("/lines/0"), "{text}");
}

#[tokio::test]
async fn a_trace_notes_every_step_with_what_it_produced() {
    use super::trace::{Detail, Outcome, Trace};
    let process = r#"
listen: { operation: create, object: X, input: json, output: json }
steps:
  - set: { tag: "{{ doc.n }}" }
  - decision:
      if: doc.n > 1
      then:
        - message: '{"big": {{ doc.n }}}'
      else:
        - exception: { status: 422, message: "too small" }
  - return: {}
"#;
    let compilation = compile_files(&[("processes/p.yaml", process)]);
    let snapshot = Arc::new(compilation.snapshot.expect("compiles"));
    let id = snapshot.process_by_name("p").expect("process p");
    let trace = Arc::new(Trace::new(Detail::Documents { max_bytes: 8 }));
    let execution = Execution::new(snapshot, "t".into(), Arc::new(RequestInfo::offline()))
        .with_trace(trace.clone());
    let returned = execution.run(id, vec![json(r#"{"n": 5}"#)]).await;
    assert_eq!(bodies(&returned.expect("runs")), vec![r#"{"big": 5}"#]);

    let steps = trace.steps();
    let paths: Vec<&str> = steps.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "steps[0].set",
            "steps[1].decision",
            "steps[1].decision.then[0].message",
            "steps[2].return"
        ]
    );
    assert_eq!(steps[1].kind, "decision");
    assert!(
        steps
            .iter()
            .all(|s| s.process == "p" && s.documents_in == 1)
    );
    assert!(
        steps
            .iter()
            .all(|s| s.outcome == Outcome::Ok { documents_out: 1 }
                || (s.kind == "return" && s.outcome == Outcome::Ok { documents_out: 0 }))
    );
    // The set step's document keeps its body and gains the property.
    assert_eq!(steps[0].output[0].props, serde_json::json!({"tag": 5}));
    // Bodies are cut at the limit; the size says how long they were.
    let made = &steps[2].output[0];
    assert_eq!((made.body.as_str(), made.bytes), (r#"{"big": "#, 10));
    assert!(made.is_cut());
    // What `return` handed to the response is its output.
    assert_eq!(steps[3].output.len(), 1);

    // A failing step is noted with its error and status, and what encloses it fails too.
    let trace = Arc::new(Trace::new(Detail::Steps));
    let snapshot = Arc::new(
        compile_files(&[("processes/p.yaml", process)])
            .snapshot
            .expect("compiles"),
    );
    let execution = Execution::new(snapshot, "t".into(), Arc::new(RequestInfo::offline()))
        .with_trace(trace.clone());
    assert!(execution.run(id, vec![json(r#"{"n": 0}"#)]).await.is_err());
    let steps = trace.steps();
    assert_eq!(steps.len(), 3);
    for step in &steps[1..] {
        assert_eq!(
            step.outcome,
            Outcome::Failed {
                error: "too small".into(),
                http_status: 422
            }
        );
        assert!(step.output.is_empty());
    }
}

#[test]
fn log_messages_stay_on_one_line() {
    assert_eq!(super::one_line("plain text"), "plain text");
    assert!(matches!(
        super::one_line("plain"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert_eq!(
        super::one_line("a\nb\r\tc\u{1b}[31md\u{0}e\u{7f}f\u{85}g\u{2028}h"),
        r"a\nb\r\tc\u{1b}[31md\u{0}e\u{7f}f\u{85}g\u{2028}h"
    );
    // Text that only looks escaped, and characters beyond ASCII, stay as they are.
    assert_eq!(super::one_line(r"C:\new é ✓"), r"C:\new é ✓");
}

#[tokio::test]
async fn a_log_step_cannot_forge_a_log_line() {
    let (sink, subscriber) = crate::logging::Sink::text_subscriber();
    // The test runtime runs on this thread, so the subscriber sees the step.
    let _default = tracing::subscriber::set_default(subscriber);
    let process = "steps:\n  - log: { level: warn, message: 'note: {{ body }}' }\n  - return: {}\n";
    let body = "\"x\"\n2026-11-29T06:36:00Z ERROR Fake line \u{1b}[31mred";
    let returned = run(
        process,
        vec![Document::new(
            body.to_owned(),
            MediaType::Other("text/plain".into()),
        )],
    )
    .await
    .unwrap();
    assert_eq!(
        bodies(&returned),
        [body],
        "the document itself is untouched"
    );
    let logged = sink.text();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 1, "{logged}");
    assert!(
        lines[0]
            .contains(r#" WARN note: "x"\n2026-11-29T06:36:00Z ERROR Fake line \u{1b}[31mred "#),
        "{logged}"
    );
    assert!(!logged.contains('\u{1b}'));
}

#[tokio::test]
async fn the_deadline_is_checked_before_each_document_of_a_step() {
    // The first document keeps the template engine busy for far longer than
    // the 1ms deadline, without ever waiting; the others are quick. Checked
    // only before each step, the `message` step would render them all and
    // the timeout would come before `return`; checked before each document,
    // it comes inside `message`, before its second document.
    let busy = "steps:\n  - message: '{\"n\": {% for i in range(doc.n) %}{% for j in range(doc.n) %}{% endfor %}{% endfor %}{{ doc.n }}}'\n  - return: {}\n";
    let mut batch = vec![json(r#"{"n": 600}"#)];
    batch.extend((0..3).map(|_| json(r#"{"n": 1}"#)));
    let settings = "[limits]\nrequest_timeout = \"1ms\"\n";
    let err = run_with(&[("flowgate.toml", settings)], busy, batch)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::TimedOut { .. }), "{err:?}");
    assert_eq!(err.site().path, "steps[0].message");
}

#[tokio::test]
async fn a_url_that_fails_keeps_its_query_out_of_the_error() {
    let process = "steps:\n  - http: { url: \"http://127.0.0.1:{{ doc.port }}/x?api_key={{ vars.key }}\" }\n  - return: {}\n";
    let settings = "[vars]\nkey = \"VARSECRET42\"\n";
    let err = run_with(
        &[("flowgate.toml", settings)],
        process,
        vec![json(r#"{"port": 99999}"#)],
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("VARSECRET42"), "{text}");
    assert!(
        text.contains("`http://127.0.0.1:99999/x?…` is not a URL"),
        "{text}"
    );
}
