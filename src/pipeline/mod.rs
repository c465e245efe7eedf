//! Running a process: a batch of documents through its steps (SPEC §2.3).
//!
//! An [`Execution`] belongs to one request (or one offline run) and one
//! snapshot. Steps run in order on the whole batch; a step on an empty batch
//! does nothing. `return` hands documents to the response and ends the path;
//! paths of `decision`, `route` and `branch` run one after another and what
//! leaves them goes on to the next step. Nothing here knows about HTTP
//! except status codes and header names, which steps set.

mod http_step;
mod map;
pub mod trace;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderName, HeaderValue, StatusCode};
use minijinja::value::Value;

use crate::config::raw::LogLevel;
use crate::doc::{Document, MediaType, json, xml};
use crate::profile::{Schema, describe};
use crate::snapshot::{
    Pipeline, ProcessId, ReturnSpec, Snapshot, StatusSource, Step, StepKind, StepSite, ValueSource,
    http_status,
};
use crate::template::context::{Batch, RequestInfo, Scope, Shared};
use trace::Trace;

/// Why an execution failed, and whose fault it is.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExecError {
    /// An `exception` step: the status and message are for the client.
    #[error("{message}")]
    Exception {
        status: StatusCode,
        message: String,
        site: StepSite,
    },
    /// A step failed unexpectedly: the detail is for the log, not the client.
    #[error("{detail}")]
    Step { detail: String, site: StepSite },
    /// An `http` step's upstream failed (502) or was too slow (504): the
    /// client is told which upstream and what happened, not where it is.
    #[error("upstream `{upstream}` {error}")]
    Upstream {
        upstream: Arc<str>,
        error: crate::outbound::CallError,
        site: StepSite,
    },
    /// The execution reached `request_timeout` before this step (504).
    #[error("the process did not finish within {}", crate::units::HumanDuration(*.timeout))]
    TimedOut {
        timeout: std::time::Duration,
        site: StepSite,
    },
}

impl ExecError {
    pub fn status(&self) -> StatusCode {
        match self {
            ExecError::Exception { status, .. } => *status,
            ExecError::Step { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ExecError::Upstream { error, .. } => error.status(),
            ExecError::TimedOut { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    pub fn site(&self) -> &StepSite {
        match self {
            ExecError::Exception { site, .. }
            | ExecError::Step { site, .. }
            | ExecError::Upstream { site, .. }
            | ExecError::TimedOut { site, .. } => site,
        }
    }

    fn step(site: &StepSite, detail: impl std::fmt::Display) -> ExecError {
        ExecError::Step {
            detail: detail.to_string(),
            site: site.clone(),
        }
    }
}

/// What `return` steps handed to the response.
#[derive(Debug, Default)]
pub struct Returned {
    pub documents: Vec<Document>,
    pub status: Option<StatusCode>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub content_type: Option<String>,
}

/// What a `try` attempt may undo: the documents returned before it, and
/// the response head as it was.
struct Mark {
    documents: usize,
    status: Option<StatusCode>,
    headers: usize,
    content_type: Option<String>,
}

impl Returned {
    fn mark(&self) -> Mark {
        Mark {
            documents: self.documents.len(),
            status: self.status,
            headers: self.headers.len(),
            content_type: self.content_type.clone(),
        }
    }

    /// Undoes what returns did since `mark`, when a `try` attempt fails:
    /// their documents, and their status, headers and content type.
    fn rollback(&mut self, mark: Mark) {
        self.documents.truncate(mark.documents);
        self.status = mark.status;
        self.headers.truncate(mark.headers);
        self.content_type = mark.content_type;
    }
}

pub struct Execution {
    snapshot: Arc<Snapshot>,
    pub id: Arc<str>,
    shared: Arc<Shared>,
    trace: Option<Arc<Trace>>,
    /// Where `http` steps call: the network, or a test's stubs.
    calls: crate::outbound::Calls,
    /// `request_timeout` from the start. Checked before each step and before
    /// each document of a step that works document by document, so a process
    /// that works without ever waiting (no timer could stop it) still ends
    /// within one document's work of its deadline; a single template is
    /// bounded by fuel.
    deadline: std::time::Instant,
}

type StepsFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Document>, ExecError>> + Send + 'a>>;

impl Execution {
    pub fn new(snapshot: Arc<Snapshot>, id: Arc<str>, request: Arc<RequestInfo>) -> Execution {
        let shared = Arc::new(Shared {
            request: Value::from_dyn_object(request),
            vars: snapshot.settings.vars.clone(),
            limits: snapshot.settings.limits.parse,
            execution_id: id.clone(),
        });
        let deadline = std::time::Instant::now() + snapshot.settings.limits.request_timeout;
        Execution {
            snapshot,
            id,
            shared,
            trace: None,
            calls: crate::outbound::Calls::Network,
            deadline,
        }
    }

    /// Sends the calls of `http` steps as `calls` says (a test's stubs).
    pub fn with_calls(mut self, calls: crate::outbound::Calls) -> Execution {
        self.calls = calls;
        self
    }

    /// Notes each step in `trace` as it runs.
    pub fn with_trace(mut self, trace: Arc<Trace>) -> Execution {
        self.trace = Some(trace);
        self
    }

    /// Runs a process on a batch; what its `return` steps handed back.
    pub async fn run(
        &self,
        process: ProcessId,
        batch: Vec<Document>,
    ) -> Result<Returned, ExecError> {
        let mut returned = Returned::default();
        let steps = &self.snapshot.process(process).steps;
        let name = self.snapshot.process(process).name.clone();
        self.run_steps(steps, batch, &name, &mut returned).await?;
        Ok(returned)
    }

    /// The 504 once `request_timeout` has passed. One clock read, on the path
    /// of every step and every document of one.
    fn within_deadline(&self, site: &StepSite) -> Result<(), ExecError> {
        if std::time::Instant::now() >= self.deadline {
            return Err(ExecError::TimedOut {
                timeout: self.snapshot.settings.limits.request_timeout,
                site: site.clone(),
            });
        }
        Ok(())
    }

    fn scope(&self, doc: &Document, batch: &Batch, process: &Arc<str>) -> Value {
        Value::from_object(Scope {
            doc: doc.clone(),
            batch: batch.clone(),
            process: process.clone(),
            shared: self.shared.clone(),
        })
    }

    fn run_steps<'a>(
        &'a self,
        steps: &'a [Step],
        mut batch: Vec<Document>,
        process: &'a Arc<str>,
        returned: &'a mut Returned,
    ) -> StepsFuture<'a> {
        Box::pin(async move {
            for step in steps {
                if batch.is_empty() {
                    break;
                }
                self.within_deadline(&step.site)?;
                batch = match &self.trace {
                    None => self.run_step(step, batch, process, returned).await?,
                    Some(trace) => {
                        let pending = trace.begin(process, step, batch.len());
                        let mark = returned.documents.len();
                        let result = self.run_step(step, batch, process, returned).await;
                        let output = match (&step.kind, &result) {
                            (StepKind::Return(_), Ok(_)) => Ok(&returned.documents[mark..]),
                            (_, Ok(docs)) => Ok(docs.as_slice()),
                            (_, Err(err)) => Err(err),
                        };
                        trace.end(pending, output);
                        result?
                    }
                };
            }
            Ok(batch)
        })
    }

    async fn run_step(
        &self,
        step: &Step,
        batch: Vec<Document>,
        process: &Arc<str>,
        returned: &mut Returned,
    ) -> Result<Vec<Document>, ExecError> {
        let site = &step.site;
        let templates = &self.snapshot.templates;
        let all = Batch::new(batch);
        let batch = all.docs();
        match &step.kind {
            StepKind::Message {
                template,
                content_type,
                combine: false,
            } => batch
                .iter()
                .map(|doc| {
                    self.within_deadline(site)?;
                    let text = templates
                        .render(*template, &self.scope(doc, &all, process))
                        .map_err(|e| ExecError::step(site, template_error(&e)))?;
                    Ok(doc.with_body(text, content_type.clone()))
                })
                .collect(),
            StepKind::Message {
                template,
                content_type,
                combine: true,
            } => {
                let first = &batch[0];
                let text = templates
                    .render(*template, &self.scope(first, &all, process))
                    .map_err(|e| ExecError::step(site, template_error(&e)))?;
                Ok(vec![first.with_body(text, content_type.clone())])
            }
            StepKind::Set(props) => {
                let mut out = batch.to_vec();
                for doc in &mut out {
                    self.within_deadline(site)?;
                    for (name, source) in props {
                        let value = match source {
                            // A literal needs no context made for it.
                            ValueSource::Literal(value) => value.clone(),
                            _ => self.value(source, &self.scope(doc, &all, process), site)?,
                        };
                        doc.set_props([(name.as_str(), value)]);
                    }
                }
                Ok(out)
            }
            StepKind::Map { target, shape } => batch
                .iter()
                .map(|doc| {
                    self.within_deadline(site)?;
                    let scope = self.scope(doc, &all, process);
                    let text = self.map_document(target, shape, &scope, site)?;
                    Ok(doc
                        .with_body(text, target.media())
                        .with_profile(target.clone()))
                })
                .collect(),
            StepKind::Decision {
                condition,
                then,
                otherwise,
            } => {
                let (mut yes, mut no) = (Vec::new(), Vec::new());
                for doc in batch.iter() {
                    self.within_deadline(site)?;
                    let value = templates
                        .eval(*condition, &self.scope(doc, &all, process))
                        .map_err(|e| ExecError::step(site, template_error(&e)))?;
                    if value.is_true() {
                        yes.push(doc.clone());
                    } else {
                        no.push(doc.clone());
                    }
                }
                let mut out = self.run_steps(then, yes, process, returned).await?;
                out.extend(self.run_steps(otherwise, no, process, returned).await?);
                Ok(out)
            }
            StepKind::Route { by, cases, default } => {
                let mut groups: Vec<Vec<Document>> = vec![Vec::new(); cases.len()];
                let mut unmatched = Vec::new();
                for doc in batch.iter() {
                    self.within_deadline(site)?;
                    let value = templates
                        .eval(*by, &self.scope(doc, &all, process))
                        .map_err(|e| ExecError::step(site, template_error(&e)))?;
                    let key = value_text(&value);
                    match cases
                        .iter()
                        .position(|(case, _)| *case == key || same_number(case, &value))
                    {
                        Some(index) => groups[index].push(doc.clone()),
                        None => unmatched.push(doc.clone()),
                    }
                }
                let mut out = Vec::new();
                for ((_, steps), group) in cases.iter().zip(groups) {
                    out.extend(self.run_steps(steps, group, process, returned).await?);
                }
                out.extend(
                    self.run_steps(default, unmatched, process, returned)
                        .await?,
                );
                Ok(out)
            }
            StepKind::Branch(paths) => {
                let mut out = Vec::new();
                for path in paths {
                    out.extend(
                        self.run_steps(path, batch.to_vec(), process, returned)
                            .await?,
                    );
                }
                Ok(out)
            }
            StepKind::Split { path } => {
                let mut out = Vec::new();
                for doc in batch {
                    self.within_deadline(site)?;
                    out.extend(self.split(doc, path, site)?);
                }
                Ok(out)
            }
            StepKind::Combine { wrap, xml_wrap } => self
                .combine(batch, wrap.as_deref(), xml_wrap, site)
                .map(|doc| vec![doc]),
            StepKind::Return(spec) => {
                self.return_batch(spec, &all, process, returned, site)?;
                Ok(Vec::new())
            }
            StepKind::Stop => Ok(Vec::new()),
            StepKind::Exception { status, message } => {
                let message = templates
                    .render(*message, &self.scope(&batch[0], &all, process))
                    .map_err(|e| ExecError::step(site, template_error(&e)))?;
                Err(ExecError::Exception {
                    status: *status,
                    message,
                    site: site.clone(),
                })
            }
            StepKind::Log { level, message } => {
                for doc in batch {
                    self.within_deadline(site)?;
                    let text = templates
                        .render(*message, &self.scope(doc, &all, process))
                        .map_err(|e| ExecError::step(site, template_error(&e)))?;
                    self.log(*level, process, site, &text);
                }
                Ok(all.into_docs())
            }
            StepKind::Call(callee) => {
                let mut callee_returned = Returned::default();
                let callee_process = self.snapshot.process(*callee);
                let steps: &Pipeline = &callee_process.steps;
                self.run_steps(
                    steps,
                    batch.to_vec(),
                    &callee_process.name,
                    &mut callee_returned,
                )
                .await?;
                Ok(callee_returned.documents)
            }
            StepKind::Http(spec) => self.http(spec, &all, process, site).await,
            StepKind::Try {
                steps,
                catch,
                retries,
            } => {
                let mut attempt = 0;
                loop {
                    let mark = returned.mark();
                    match self
                        .run_steps(steps, batch.to_vec(), process, returned)
                        .await
                    {
                        Ok(out) => return Ok(out),
                        // Past the deadline, neither another attempt nor a catch path runs.
                        Err(err @ ExecError::TimedOut { .. }) => {
                            returned.rollback(mark);
                            return Err(err);
                        }
                        Err(err) if attempt < *retries => {
                            returned.rollback(mark);
                            attempt += 1;
                            tracing::debug!(execution_id = %self.id, step = %site.path, attempt, error = %err, "Retrying");
                            tokio::time::sleep(crate::outbound::backoff(attempt)).await;
                        }
                        Err(err) => {
                            returned.rollback(mark);
                            if catch.is_empty() {
                                // Retries without a catch path: retry, then fail.
                                return Err(err);
                            }
                            let error = error_value(&err);
                            let caught: Vec<Document> = batch
                                .iter()
                                .map(|doc| {
                                    let mut doc = doc.clone();
                                    doc.set_props([("error", error.clone())]);
                                    doc
                                })
                                .collect();
                            return self.run_steps(catch, caught, process, returned).await;
                        }
                    }
                }
            }
        }
    }

    fn value(
        &self,
        source: &ValueSource,
        scope: &Value,
        site: &StepSite,
    ) -> Result<Value, ExecError> {
        let templates = &self.snapshot.templates;
        // A value that is one `{{ expression }}` keeps its type, but
        // undefined is no value: as when it is printed, a typo or a missing
        // field fails the step here rather than a later one that reads it.
        let defined = |value: Value, what: &dyn Fn() -> String| {
            if value.is_undefined() {
                Err(undefined(site, what()))
            } else {
                Ok(value)
            }
        };
        match source {
            ValueSource::Literal(value) => Ok(value.clone()),
            ValueSource::Path(path) => path
                .get(scope)
                .map_err(|e| ExecError::step(site, template_error(&e)))
                .and_then(|value| defined(value, &|| format!("`{}`", path.text()))),
            ValueSource::Expr(id) => templates
                .eval(*id, scope)
                .map_err(|e| ExecError::step(site, template_error(&e)))
                .and_then(|value| defined(value, &|| "the value".to_owned())),
            ValueSource::Template(id) => templates
                .render(*id, scope)
                .map(Value::from)
                .map_err(|e| ExecError::step(site, template_error(&e))),
        }
    }

    fn return_batch(
        &self,
        spec: &ReturnSpec,
        all: &Batch,
        process: &Arc<str>,
        returned: &mut Returned,
        site: &StepSite,
    ) -> Result<(), ExecError> {
        let scope = self.scope(&all.docs()[0], all, process);
        match &spec.status {
            Some(StatusSource::Fixed(status)) => returned.status = Some(*status),
            Some(StatusSource::Dynamic(source)) => {
                let value = self.value(source, &scope, site)?;
                let code = http_status(&value_text(&value)).ok_or_else(|| {
                    ExecError::step(
                        site,
                        format!("the status `{value}` is not a number from 200 to 599"),
                    )
                })?;
                returned.status = Some(code);
            }
            None => {}
        }
        for (name, source) in &spec.headers {
            let value = value_text(&self.value(source, &scope, site)?);
            let value = HeaderValue::from_str(&value).map_err(|_| {
                ExecError::step(
                    site,
                    format!("the value of header `{name}` is not a valid header value"),
                )
            })?;
            returned.headers.retain(|(existing, _)| existing != name);
            returned.headers.push((name.clone(), value));
        }
        if let Some(content_type) = &spec.content_type {
            returned.content_type = Some(content_type.clone());
        }
        returned.documents.extend(all.docs().iter().cloned());
        Ok(())
    }

    fn split(
        &self,
        doc: &Document,
        path: &[String],
        site: &StepSite,
    ) -> Result<Vec<Document>, ExecError> {
        let limits = &self.shared.limits;
        match doc.media {
            MediaType::Xml => {
                let text = std::str::from_utf8(&doc.body)
                    .map_err(|_| ExecError::step(site, "the document is not UTF-8"))?;
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                let items = xml::split(text, &segments, &limits.xml()).map_err(|e| {
                    ExecError::step(site, format!("cannot split the document: {e}"))
                })?;
                // With an XML profile, each part is read by the declaration at the path, typed.
                let Some((profile, xsd)) = doc.profile.as_ref().and_then(|p| match p.schema() {
                    Schema::Xml(xsd) => Some((p, xsd)),
                    Schema::Json(_) => None,
                }) else {
                    return Ok(items
                        .into_iter()
                        .map(|item| doc.with_body(item, MediaType::Xml))
                        .collect());
                };
                let Some(element) = xsd.element_at(&segments) else {
                    return Err(ExecError::step(
                        site,
                        format!(
                            "the profile `{}` has no element at /{}",
                            profile.name(),
                            segments.join("/")
                        ),
                    ));
                };
                items
                    .into_iter()
                    .map(|item| {
                        let value =
                            xsd.read_at(element, &item, &limits.xml())
                                .map_err(|error| {
                                    ExecError::step(
                                        site,
                                        format!(
                                            "a part does not follow the profile: {}",
                                            describe(&error.into_violations())
                                        ),
                                    )
                                })?;
                        Ok(Document::parsed(item, MediaType::Xml, value).with_props(&doc.props))
                    })
                    .collect()
            }
            MediaType::Json => {
                let mut value = doc.value(limits);
                for segment in path {
                    value = match value.get_attr(segment) {
                        Ok(v) if !v.is_undefined() => v,
                        // A path that is not there holds nothing to split.
                        _ => return Ok(Vec::new()),
                    };
                }
                let items: Vec<Value> = match value.kind() {
                    minijinja::value::ValueKind::Seq => value
                        .try_iter()
                        .map_err(|e| ExecError::step(site, e))?
                        .collect(),
                    minijinja::value::ValueKind::Invalid => {
                        return Err(ExecError::step(site, value.to_string()));
                    }
                    _ => vec![value],
                };
                items
                    .iter()
                    .map(|item| {
                        let text = json::to_string(item).map_err(|e| ExecError::step(site, e))?;
                        Ok(Document::parsed(text, MediaType::Json, item.clone())
                            .with_props(&doc.props))
                    })
                    .collect()
            }
            MediaType::Other(ref other) => Err(ExecError::step(
                site,
                format!("`split` works on JSON and XML documents; this one is `{other}`"),
            )),
        }
    }

    /// JSON documents become an array (inside `{"wrap": …}` when a wrap is
    /// given); XML documents become children of a wrapper element.
    fn combine(
        &self,
        batch: &[Document],
        wrap: Option<&str>,
        xml_wrap: &str,
        site: &StepSite,
    ) -> Result<Document, ExecError> {
        let first = &batch[0];
        if batch.iter().all(|d| d.media == MediaType::Json) {
            let mut out = String::from(if wrap.is_some() { "" } else { "[" });
            if let Some(name) = wrap {
                out.push_str("{\"");
                crate::template::escape_json_into(&mut out, name)
                    .map_err(|e| ExecError::step(site, e))?;
                out.push_str("\":[");
            }
            for (index, doc) in batch.iter().enumerate() {
                if !doc.is_well_formed() {
                    json::check(&doc.body, self.shared.limits.max_json_depth).map_err(|e| {
                        ExecError::step(
                            site,
                            format!("document {} is not valid JSON: {e}", index + 1),
                        )
                    })?;
                }
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&doc.text());
            }
            out.push_str(if wrap.is_some() { "]}" } else { "]" });
            return Ok(first.with_body(out, MediaType::Json));
        }
        if batch.iter().all(|d| d.media == MediaType::Xml) {
            if !xml::is_ncname(xml_wrap) {
                return Err(ExecError::step(
                    site,
                    format!(
                        "`combine` cannot wrap XML documents in `{xml_wrap}`: that is no XML element name"
                    ),
                ));
            }
            let texts: Vec<Cow<'_, str>> = batch.iter().map(Document::text).collect();
            let items: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
            return Ok(first.with_body(xml::wrap(xml_wrap, &[], &items), MediaType::Xml));
        }
        Err(ExecError::step(
            site,
            "`combine` needs documents that are all JSON or all XML",
        ))
    }

    fn log(&self, level: LogLevel, process: &Arc<str>, site: &StepSite, text: &str) {
        let process: &str = process;
        let text = one_line(text);
        macro_rules! emit {
            ($level:expr) => {
                tracing::event!(target: "flowgate::process", $level, process, execution_id = %self.id, step = %site.path, "{text}")
            };
        }
        match level {
            LogLevel::Error => emit!(tracing::Level::ERROR),
            LogLevel::Warn => emit!(tracing::Level::WARN),
            LogLevel::Info => emit!(tracing::Level::INFO),
            LogLevel::Debug => emit!(tracing::Level::DEBUG),
            LogLevel::Trace => emit!(tracing::Level::TRACE),
        }
    }
}

/// A `log` step's message as one line of the log: its text comes from
/// request data, so a line break in it could forge a log line of its own
/// (`\n2026-11-29T06:36:00Z ERROR …`) and an ANSI escape could rewrite the
/// terminal that shows it. `\n`, `\r` and `\t` are written as those two
/// characters, any other control character (and the Unicode line and
/// paragraph separators) as `\u{1b}`.
fn one_line(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.contains(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escaped(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A value as text, the way it is compared with `route` cases and put in headers.
#[cold]
fn undefined(site: &StepSite, what: String) -> ExecError {
    ExecError::step(
        site,
        format!(
            "{what} is undefined; test it with `is defined` or give it a `default` where it may be missing"
        ),
    )
}

fn value_text(value: &Value) -> String {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => String::new(),
        ValueKind::Bool => (if value.is_true() { "true" } else { "false" }).to_owned(),
        _ => value.to_string(),
    }
}

/// Whether a `route` case's name is a number equal to `value`, so that
/// `100.0` (an `xs:decimal` of `100`) takes the case `100`, and `1` the case
/// `1.0`. Two integers compare exactly, anything else as floats; a name
/// only counts as a number written in decimal digits (`1e3` too, not `inf`).
fn same_number(case: &str, value: &Value) -> bool {
    if value.kind() != minijinja::value::ValueKind::Number
        || !case
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        || !case.bytes().any(|b| b.is_ascii_digit())
    {
        return false;
    }
    let int_value = value.as_i64().filter(|_| value.is_integer());
    match (int_value, case.parse::<i64>().ok()) {
        (Some(value), Some(case)) => value == case,
        // With an integer on one side, the float on the other must be that
        // integer: `9007199254740992.0` is not the case `9007199254740993`,
        // though the case as a float would round to it.
        (Some(value), None) => case
            .parse::<f64>()
            .is_ok_and(|case| is_integer(case, value)),
        (None, Some(case)) => {
            f64::try_from(value.clone()).is_ok_and(|value| is_integer(value, case))
        }
        (None, None) => match (f64::try_from(value.clone()), case.parse::<f64>()) {
            (Ok(value), Ok(case)) => value == case,
            _ => false,
        },
    }
}

/// Whether `float` is exactly `int`.
fn is_integer(float: f64, int: i64) -> bool {
    // i64::MIN is -2^63 exactly; 2^63 is one past i64::MAX.
    const BOUND: f64 = 9_223_372_036_854_775_808.0;
    float.fract() == 0.0 && (-BOUND..BOUND).contains(&float) && float as i64 == int
}

/// `props.error` in a `catch` path.
fn error_value(err: &ExecError) -> Value {
    let message = match err {
        ExecError::Exception { message, .. } => message.clone(),
        ExecError::Step { detail, .. } => detail.clone(),
        ExecError::Upstream { .. } | ExecError::TimedOut { .. } => err.to_string(),
    };
    Value::from_pairs([
        ("step", Value::from(err.site().path.as_str())),
        // A step of a called process is in that process's file.
        ("file", Value::from(&*err.site().file)),
        ("message", Value::from(message)),
        ("status", Value::from(err.status().as_u16())),
    ])
}

/// A template failure in words for the log: what went wrong and where in the template.
fn template_error(err: &minijinja::Error) -> String {
    let mut text = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    if let Some(line) = err.line() {
        text.push_str(&format!(" (template line {line})"));
    }
    text
}

#[cfg(test)]
mod tests;
