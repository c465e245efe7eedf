//! Compiling step lists: each step decoded on its own, its templates and
//! expressions compiled, its references resolved.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use http::{HeaderName, StatusCode};
use minijinja::value::Value;

use super::values::{content_type, node_to_value, span_within};
use super::{Outbound, decode_error, default_media, fit};
use crate::config::de::{self, Entries, Spanned};
use crate::config::node::{Node, NodeKind, Span};
use crate::config::raw::{
    CombineStep, DecisionStep, ExceptionStep, HttpStep, LogLevel, LogStep, MapStep, MessageStep,
    RawStep, ReturnStep, RouteStep, SplitStep, StopStep, TryStep,
};
use crate::config::step_diagnostic;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::doc::{ContentType, xml};
use crate::profile::json_tree::MemberName;
use crate::profile::xsd::TypeRef;
use crate::profile::{Profile, Profiles, Schema};
use crate::snapshot::{
    HttpBody, HttpSpec, HttpTarget, Listen, MapShape, Pipeline, ProcessId, ReturnSpec, Shape,
    StatusSource, Step, StepKind, StepSite, UpstreamPath, ValueSource, http_status,
};
use crate::template::{self, Escape, ExprId, ForName, Params, Seen, TemplateId, TemplatesBuilder};

/// The most `retries` a `try` or `http` step may ask for.
const MAX_RETRIES: u32 = 10;

/// The most documents of a batch an `http` step sends at once.
const MAX_CONCURRENCY: u32 = 64;

/// What the steps of every process of a root are compiled against.
pub(super) struct RootNames<'a> {
    pub process_ids: &'a HashMap<String, ProcessId>,
    /// Names of processes whose files did not read (see `LoadedRoot::unread_processes`).
    pub unread_processes: &'a HashSet<String>,
    /// Names of processes some `call` step names.
    pub called: &'a HashSet<String>,
    pub profiles: &'a Profiles,
    pub outbound: &'a Outbound,
    /// `[vars]` of flowgate.toml, to check the keys templates read.
    pub vars: &'a Value,
}

/// The `call` steps of a process: the process each calls, and where.
pub(super) type CallSites = Vec<(ProcessId, Span)>;

pub(super) struct StepCompiler<'a> {
    source: &'a SourceFile,
    /// The file's path, shared by every step's site.
    file: Arc<str>,
    templates: &'a mut TemplatesBuilder,
    diagnostics: &'a mut Diagnostics,
    process_ids: &'a HashMap<String, ProcessId>,
    unread_processes: &'a HashSet<String>,
    profiles: &'a Profiles,
    outbound: &'a Outbound,
    default_media: ContentType,
    default_wrap: Option<String>,
    calls: CallSites,
    /// Calls with more steps after them in their path.
    followed_calls: CallSites,
    /// `[vars]` of flowgate.toml, to check the keys templates read.
    vars: &'a Value,
    /// The names the enclosing `map` nodes' `$for`s bind: each hides what
    /// templates inside would see by that name (`[vars]`, the document),
    /// and stands for an item of what it loops over.
    for_names: Vec<ForName>,
    /// Whether a step compiled so far may read documents' parsed form.
    reads_documents: bool,
    /// The profile every document has where the step being compiled runs,
    /// while compile can tell: the request profile, until a step that may
    /// bring other documents; a `map`'s target after it. `None` in a
    /// process a `call` names: its caller's documents reach it.
    profile_here: Option<Profile>,
    /// The path parameters of the process's REST URL and its simple URL,
    /// where requests are its own.
    own_params: Option<(Vec<String>, String)>,
    /// A step of the pipeline being compiled, or of one inside it, did
    /// not compile and is left out.
    dropped_step: bool,
}

/// Whether no document gets past this step: it ends the path (`return`,
/// `stop`, `exception`), or every path through it does. An empty path lets
/// documents through, and so does a `call`: the called process's returns
/// come back.
fn ends_path(kind: &StepKind) -> bool {
    let ends = |pipeline: &Pipeline| pipeline.iter().any(|step| ends_path(&step.kind));
    match kind {
        StepKind::Return(_) | StepKind::Stop | StepKind::Exception { .. } => true,
        StepKind::Decision {
            then, otherwise, ..
        } => ends(then) && ends(otherwise),
        StepKind::Route { cases, default, .. } => {
            cases.iter().all(|(_, pipeline)| ends(pipeline)) && ends(default)
        }
        StepKind::Branch(paths) => !paths.is_empty() && paths.iter().all(ends),
        // Without a catch path, a failure fails the execution.
        StepKind::Try { steps, catch, .. } => ends(steps) && (catch.is_empty() || ends(catch)),
        _ => false,
    }
}

/// Whether the documents after a step are the ones before it, with their
/// profile: steps that only read them or end the path, and steps whose
/// paths hold only such steps.
fn keeps_documents(kind: &StepKind) -> bool {
    match kind {
        StepKind::Set(_)
        | StepKind::Log { .. }
        | StepKind::Return(_)
        | StepKind::Stop
        | StepKind::Exception { .. } => true,
        StepKind::Decision { .. }
        | StepKind::Route { .. }
        | StepKind::Branch(_)
        | StepKind::Try { .. } => kind
            .pipelines()
            .iter()
            .all(|pipeline| pipeline.iter().all(|step| keeps_documents(&step.kind))),
        StepKind::Message { .. }
        | StepKind::Map { .. }
        | StepKind::Split { .. }
        | StepKind::Combine { .. }
        | StepKind::Call(_)
        | StepKind::Http(_) => false,
    }
}

impl<'a> StepCompiler<'a> {
    pub(super) fn new(
        source: &'a SourceFile,
        templates: &'a mut TemplatesBuilder,
        diagnostics: &'a mut Diagnostics,
        root: &RootNames<'a>,
        name: &str,
        listen: Option<&Listen>,
    ) -> StepCompiler<'a> {
        // A called process gets its caller's documents and request.
        let own_listen = listen.filter(|_| !root.called.contains(name));
        StepCompiler {
            source,
            file: source.path.as_str().into(),
            templates,
            diagnostics,
            process_ids: root.process_ids,
            unread_processes: root.unread_processes,
            profiles: root.profiles,
            outbound: root.outbound,
            default_media: default_media(listen),
            default_wrap: listen.map(|l| format!("{}List", l.object)),
            calls: Vec::new(),
            followed_calls: Vec::new(),
            vars: root.vars,
            for_names: Vec::new(),
            dropped_step: false,
            reads_documents: false,
            profile_here: own_listen.and_then(|l| l.request_profile.clone()),
            own_params: own_listen.map(|l| {
                let names = l.rest.as_ref().map_or_else(Vec::new, |rest| {
                    rest.pattern
                        .split('/')
                        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                        .map(str::to_owned)
                        .collect()
                });
                (names, l.simple_url())
            }),
        }
    }

    /// What templates compiled now read that compile knows: `[vars]`, the
    /// documents' profile and the path parameters, unless a `$for` hides them.
    fn seen(&self) -> Seen<'_> {
        let visible = |name: &str| !self.for_names.iter().any(|bound| bound.name == name);
        Seen {
            vars: visible("vars").then_some(self.vars),
            // A `$for` that binds `doc` is among `loops`, which hide it.
            doc: self.profile_here.as_ref(),
            params: self
                .own_params
                .as_ref()
                .filter(|_| visible("request"))
                .map(|(names, simple_url)| Params { names, simple_url }),
            loops: &self.for_names,
        }
    }

    /// The processes this one calls, with where; and the calls that other
    /// steps follow in their path.
    pub(super) fn into_calls(self) -> (CallSites, CallSites) {
        (self.calls, self.followed_calls)
    }

    /// Whether a step of this process may read its documents' parsed form
    /// (the processes it calls not counted).
    pub(super) fn reads_documents(&self) -> bool {
        self.reads_documents
    }

    /// Notes a template or expression source that is compiled.
    fn note_source(&mut self, source: &str) {
        self.reads_documents |= template::mentions_documents(source);
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(self.source.error(span, message));
    }

    pub(super) fn pipeline(&mut self, node: Option<&Node>, path: &str) -> Pipeline {
        let Some(node) = node else {
            return Box::default();
        };
        let items = match &node.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Null => return Box::default(),
            other => {
                self.error(
                    node.span,
                    format!("expected a list of steps, found {}", other.describe()),
                );
                return Box::default();
            }
        };
        let mut steps = Vec::with_capacity(items.len());
        // A nested pipeline leaves the profile where it found it: its step
        // tells the steps after it what they get.
        let entry_profile = self.profile_here.clone();
        let mut ended_by: Option<&'static str> = None;
        for (index, item) in items.iter().enumerate() {
            if let Some(kind) = ended_by.take() {
                let how = match kind {
                    "return" | "stop" | "exception" => "ends the path",
                    _ => "ends every path through it",
                };
                self.diagnostics.push(self.source.warning(
                    item.span,
                    format!("this step never runs: the `{kind}` before it {how}"),
                ));
            }
            let dropped_before = std::mem::take(&mut self.dropped_step);
            let compiled = self.step(item, format!("{path}[{index}]"));
            // A step that did not compile (or one inside it) may have been
            // one that brings other documents: what follows is not judged
            // by a profile the documents may no longer have.
            if compiled.is_none() || self.dropped_step {
                self.profile_here = None;
            }
            self.dropped_step |= dropped_before || compiled.is_none();
            if let Some(step) = compiled {
                if let StepKind::Call(callee) = step.kind
                    && index + 1 < items.len()
                {
                    self.followed_calls.push((callee, item.span));
                }
                if ends_path(&step.kind) {
                    ended_by = Some(step.kind.name());
                }
                self.profile_here = match &step.kind {
                    StepKind::Map { target, .. } => Some(target.clone()),
                    kind if keeps_documents(kind) => self.profile_here.take(),
                    _ => None,
                };
                steps.push(step);
            }
        }
        self.profile_here = entry_profile;
        steps.into_boxed_slice()
    }

    fn step(&mut self, node: &Node, path: String) -> Option<Step> {
        let raw = match de::from_node_all::<RawStep>(node) {
            Ok(raw) => raw,
            Err(errors) => {
                for err in &errors {
                    self.diagnostics.push(step_diagnostic(self.source, err));
                }
                return None;
            }
        };
        let kind_span = node
            .as_map()
            .and_then(|m| m.first())
            .map(|(k, _)| k.span)
            .unwrap_or(node.span);
        let site = StepSite {
            file: self.file.clone(),
            line: self.source.locate(kind_span).line,
            path: format!("{path}.{}", raw.kind()),
        };
        let kind = match &raw {
            RawStep::Message(n) => self.message(n),
            RawStep::Set(n) => self.set(n),
            RawStep::Decision(n) => self.decision(n, &site.path),
            RawStep::Route(n) => self.route(n, &site.path),
            RawStep::Branch(n) => self.branch(n, &site.path),
            RawStep::Split(n) => self.split(n),
            RawStep::Combine(n) => self.combine(n),
            RawStep::Return(n) => self.return_step(n),
            RawStep::Stop(n) => self.decode::<StopStep>(n).map(|_| StepKind::Stop),
            RawStep::Exception(n) => self.exception(n),
            RawStep::Log(n) => self.log(n),
            RawStep::Call(n) => self.call(n),
            RawStep::Try(n) => self.try_step(n, &site.path),
            RawStep::Map(n) => self.map(n),
            RawStep::Http(n) => self.http(n),
        };
        kind.map(|kind| Step { site, kind })
    }

    /// A step's options, every mistake in them reported. A step whose only
    /// mistakes are unknown keys is compiled on without them, so its other
    /// mistakes (an unknown profile, a broken template) show in the same
    /// run; one with a bad value is not, since what follows from the gap
    /// would be reported too.
    fn decode<T: for<'de> serde::Deserialize<'de>>(&mut self, node: &Node) -> Option<T> {
        let decoded = de::from_node_lenient::<T>(node);
        for err in &decoded.errors {
            self.diagnostics.push(decode_error(self.source, err));
        }
        decoded.value.filter(|_| decoded.left_out.is_empty())
    }

    /// A step whose options may be one string: `log: "text"` for `log: {message: "text"}`.
    fn short_form(node: &Node) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => Some(
                Spanned::new(node.span, node.scalar_text().unwrap_or_default()),
            ),
            _ => None,
        }
    }

    fn template(&mut self, text: &Spanned<String>, escape: Escape) -> Option<TemplateId> {
        self.note_source(&text.value);
        match self.templates.template(&text.value, escape) {
            Ok(id) => {
                let findings = self
                    .templates
                    .check_template(&text.value, escape, self.seen());
                self.report(text, 0, findings);
                Some(id)
            }
            Err(err) => {
                self.syntax_error(text, err);
                None
            }
        }
    }

    /// A condition (`if`, `$if`, `by`), also when written as `{{ expression }}`.
    fn condition(&mut self, text: &Spanned<String>) -> Option<ExprId> {
        let source = template::single_expression(&text.value).unwrap_or(&text.value);
        let offset = text.value.find(source).unwrap_or(0);
        self.note_source(source);
        match self.templates.condition(source) {
            Ok(id) => {
                let findings = self.templates.check_condition(source, self.seen());
                self.report(text, offset, findings);
                Some(id)
            }
            Err(mut err) => {
                err.range = err.range.map(|r| r.start + offset..r.end + offset);
                self.syntax_error(text, err);
                None
            }
        }
    }

    fn syntax_error(&mut self, text: &Spanned<String>, err: template::SyntaxError) {
        let span = match err.range.clone() {
            Some(range) => span_within(&self.source.text, text.span, &text.value, range),
            None => text.span,
        };
        self.error(span, format!("template error: {}", err.message));
    }

    /// Reports what checking a template's names found; its ranges are
    /// `offset` bytes into `text`, where the checked source starts.
    fn report(&mut self, text: &Spanned<String>, offset: usize, findings: Vec<template::Finding>) {
        for finding in findings {
            let range = finding.range.start + offset..finding.range.end + offset;
            let span = span_within(&self.source.text, text.span, &text.value, range);
            self.diagnostics.push(
                Diagnostic::new(finding.severity, finding.message)
                    .at(self.source.locate(span))
                    .with_hint_opt(finding.hint),
            );
        }
    }

    /// A value that keeps its type when it is one `{{ expression }}`.
    fn value_source(&mut self, node: &Node, escape: Escape) -> Option<ValueSource> {
        let NodeKind::Str(text) = &node.kind else {
            return self
                .no_nested_template(node)
                .then(|| ValueSource::Literal(node_to_value(node)));
        };
        let spanned = Spanned::new(node.span, text.clone());
        if let Some(expr) = template::single_expression(text) {
            self.note_source(expr);
            let offset = text.find(expr).unwrap_or(0);
            if let Some(path) = template::Path::parse(expr) {
                // A plain lookup has no filter or test, but may read `[vars]`.
                let findings = self.templates.check_expression(expr, self.seen());
                self.report(&spanned, offset, findings);
                return Some(ValueSource::Path(path));
            }
            return match self.templates.expression(expr) {
                Ok(id) => {
                    let findings = self.templates.check_expression(expr, self.seen());
                    self.report(&spanned, offset, findings);
                    Some(ValueSource::Expr(id))
                }
                Err(mut err) => {
                    err.range = err.range.map(|r| r.start + offset..r.end + offset);
                    self.syntax_error(&spanned, err);
                    None
                }
            };
        }
        if template::is_template(text) {
            return self.template(&spanned, escape).map(ValueSource::Template);
        }
        Some(ValueSource::Literal(node_to_value(node)))
    }

    /// A list or map value is a literal: a template inside it would be
    /// sent as its text, so each is an error. Says whether there were none.
    fn no_nested_template(&mut self, node: &Node) -> bool {
        fn templates_in(node: &Node, found: &mut Vec<Span>) {
            match &node.kind {
                NodeKind::Str(text) if template::is_template(text) => found.push(node.span),
                NodeKind::Seq(items) => items.iter().for_each(|item| templates_in(item, found)),
                NodeKind::Map(entries) => entries
                    .iter()
                    .for_each(|(_, value)| templates_in(value, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        templates_in(node, &mut found);
        for span in &found {
            self.diagnostics.push(
                self.source
                    .error(
                        *span,
                        "a template inside a list or map is not rendered: the value is taken as written",
                    )
                    .with_hint(
                        "write the whole value as one expression, such as `{{ [1, props.a] }}` or `{{ {'id': doc.id} }}`",
                    ),
            );
        }
        found.is_empty()
    }

    fn message(&mut self, node: &Node) -> Option<StepKind> {
        let step = match Self::short_form(node) {
            Some(template) => MessageStep {
                template,
                content_type: None,
                combine: false,
            },
            None => self.decode::<MessageStep>(node)?,
        };
        let media = match &step.content_type {
            Some(ct) => match content_type(&ct.value) {
                Ok(value) => ContentType::parse(value),
                Err(message) => {
                    self.error(ct.span, message);
                    return None;
                }
            },
            None => self.default_media.clone(),
        };
        let template = self.template(&step.template, Escape::for_media(&media.media))?;
        Some(StepKind::Message {
            template,
            content_type: media,
            combine: step.combine,
        })
    }

    fn set(&mut self, node: &Node) -> Option<StepKind> {
        let Some(entries) = node.as_map() else {
            self.error(
                node.span,
                format!("`set` takes a map of properties, found {}", node.describe()),
            );
            return None;
        };
        let mut props = Vec::with_capacity(entries.len());
        let mut ok = true;
        for (key, value) in entries {
            match self.value_source(value, Escape::None) {
                Some(source) => props.push((key.name.clone(), source)),
                None => ok = false,
            }
        }
        ok.then_some(StepKind::Set(props))
    }

    fn map(&mut self, node: &Node) -> Option<StepKind> {
        let step = self.decode::<MapStep>(node)?;
        let Some(target) = self.profiles.get(&step.to.value).cloned() else {
            if self.profiles.is_broken(&step.to.value) {
                return None;
            }
            let hint = de::did_you_mean(&step.to.value, self.profiles.names())
                .map(|best| format!("did you mean `{best}`?"));
            self.diagnostics.push(
                self.source
                    .error(
                        step.to.span,
                        format!("there is no profile `{}` in profiles/", step.to.value),
                    )
                    .with_hint_opt(hint),
            );
            return None;
        };
        let shape = self.shape(&step.value)?;
        let misfits = fit::misfits(&target, &step.value);
        if !misfits.is_empty() {
            for misfit in misfits {
                self.diagnostics.push(
                    self.source
                        .error(misfit.span, misfit.message)
                        .with_hint_opt(misfit.hint),
                );
            }
            return None;
        }
        Some(StepKind::Map { target, shape })
    }

    /// A `map` value: maps (with `$for` and `$if`), lists and leaves.
    fn shape(&mut self, node: &Node) -> Option<Shape> {
        match &node.kind {
            NodeKind::Seq(items) => {
                let shapes: Vec<Option<Shape>> =
                    items.iter().map(|item| self.shape(item)).collect();
                shapes
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Shape::List)
            }
            NodeKind::Map(entries) => {
                let mut shape = MapShape {
                    each: None,
                    condition: None,
                    value: None,
                    entries: Vec::with_capacity(entries.len()),
                };
                let mut ok = true;
                // What `$for: NAME in …` names is hidden below it.
                let bound = entries
                    .iter()
                    .find(|(key, _)| key.name == "$for")
                    .and_then(|(_, value)| value.scalar_text())
                    .and_then(|text| {
                        let (name, over) = text.split_once(" in ")?;
                        Some(ForName {
                            name: name.trim().to_owned(),
                            over: over.to_owned(),
                        })
                    });
                let binds = bound.is_some();
                self.for_names.extend(bound);
                for (key, value) in entries {
                    match key.name.as_str() {
                        // What it loops over is read where the map is, without its own name.
                        "$for" => {
                            let own = if binds { self.for_names.pop() } else { None };
                            let each = self.each(value);
                            self.for_names.extend(own);
                            match each {
                                Some(each) => shape.each = Some(each),
                                None => ok = false,
                            }
                        }
                        "$if" => {
                            let text =
                                Spanned::new(value.span, value.scalar_text().unwrap_or_default());
                            match self.condition(&text) {
                                Some(id) => shape.condition = Some(id),
                                None => ok = false,
                            }
                        }
                        "$value" => match self.value_source(value, Escape::None) {
                            Some(source) => shape.value = Some(source),
                            None => ok = false,
                        },
                        other if other.starts_with('$') => {
                            self.diagnostics.push(
                                self.source
                                    .error(key.span, format!("unknown map keyword `{other}`"))
                                    .with_hint_opt(
                                        de::did_you_mean(other, ["$for", "$if", "$value"])
                                            .map(|b| format!("did you mean `{b}`?")),
                                    ),
                            );
                            ok = false;
                        }
                        _ => match self.shape(value) {
                            Some(inner) => {
                                let name = MemberName::new(key.name.as_str().into());
                                shape.entries.push((Arc::new(name), inner))
                            }
                            None => ok = false,
                        },
                    }
                }
                if binds {
                    self.for_names.pop();
                }
                if shape.value.is_some() && !shape.entries.is_empty() {
                    self.error(node.span, "a map with `$value` stands for that value: it can have `$if` and `$for`, but no other keys");
                    ok = false;
                }
                ok.then_some(Shape::Map(shape))
            }
            _ => self.value_source(node, Escape::None).map(Shape::Value),
        }
    }

    /// `$for: NAME in EXPR`.
    fn each(&mut self, node: &Node) -> Option<(Arc<str>, ExprId)> {
        let text = node.scalar_text().unwrap_or_default();
        let parsed = text
            .split_once(" in ")
            .map(|(name, expr)| (name.trim(), expr));
        let Some((name, expr)) = parsed.filter(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }) else {
            self.error(node.span, format!("`$for` is `NAME in EXPRESSION`, like `line in doc.Order.Lines.Line`; found `{text}`"));
            return None;
        };
        let offset = text.len() - expr.len();
        let spanned = Spanned::new(node.span, text.clone());
        self.note_source(expr);
        match self.templates.condition(expr) {
            Ok(id) => {
                let findings = self.templates.check_condition(expr, self.seen());
                self.report(&spanned, offset, findings);
                Some((Arc::from(name), id))
            }
            Err(mut err) => {
                err.range = err.range.map(|r| r.start + offset..r.end + offset);
                self.syntax_error(&spanned, err);
                None
            }
        }
    }

    fn decision(&mut self, node: &Node, path: &str) -> Option<StepKind> {
        let step = self.decode::<DecisionStep>(node)?;
        let condition = self.condition(&step.condition);
        let then = self.pipeline(step.then.as_ref(), &format!("{path}.then"));
        let otherwise = self.pipeline(step.otherwise.as_ref(), &format!("{path}.else"));
        Some(StepKind::Decision {
            condition: condition?,
            then,
            otherwise,
        })
    }

    fn route(&mut self, node: &Node, path: &str) -> Option<StepKind> {
        let step = self.decode::<RouteStep>(node)?;
        let by = self.condition(&step.by);
        let Some(entries) = step.cases.as_map() else {
            self.error(
                step.cases.span,
                "`cases` is a map from each value to its steps",
            );
            return None;
        };
        let cases = entries
            .iter()
            .map(|(key, steps)| {
                let pipeline = self.pipeline(Some(steps), &format!("{path}.cases.{}", key.name));
                (key.name.clone(), pipeline)
            })
            .collect();
        let default = self.pipeline(step.default.as_ref(), &format!("{path}.default"));
        Some(StepKind::Route {
            by: by?,
            cases,
            default,
        })
    }

    fn branch(&mut self, node: &Node, path: &str) -> Option<StepKind> {
        let NodeKind::Seq(paths) = &node.kind else {
            self.error(
                node.span,
                "`branch` takes a list of paths, each a list of steps",
            );
            return None;
        };
        let mut pipelines = Vec::with_capacity(paths.len());
        for (index, item) in paths.iter().enumerate() {
            if !matches!(item.kind, NodeKind::Seq(_)) {
                self.error(
                    item.span,
                    format!(
                        "each path of a `branch` is a list of steps, found {}",
                        item.describe()
                    ),
                );
                continue;
            }
            pipelines.push(self.pipeline(Some(item), &format!("{path}[{index}]")));
        }
        Some(StepKind::Branch(pipelines))
    }

    fn combine(&mut self, node: &Node) -> Option<StepKind> {
        let step = self.decode::<CombineStep>(node)?;
        if let Some(wrap) = step.wrap.as_ref().filter(|w| !xml::is_ncname(&w.value)) {
            self.diagnostics.push(
                self.source
                    .warning(
                        wrap.span,
                        format!("`{}` is no XML element name, so only JSON documents can be combined with this `wrap`", wrap.value),
                    )
                    .with_hint("an XML name starts with a letter or `_` and holds letters, digits, `-`, `_` and `.`"),
            );
        }
        let wrap = step.wrap.map(|w| w.value);
        let xml_wrap = wrap
            .clone()
            .or_else(|| self.default_wrap.clone())
            .unwrap_or_else(|| "List".to_owned());
        Some(StepKind::Combine { wrap, xml_wrap })
    }

    fn split(&mut self, node: &Node) -> Option<StepKind> {
        let step = match Self::short_form(node) {
            Some(path) => SplitStep { path },
            None => self.decode::<SplitStep>(node)?,
        };
        let text = step.path.value.trim();
        let segments: Vec<String> = text
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if text.contains("//") || segments.iter().any(|s| s.contains(char::is_whitespace)) {
            self.error(
                step.path.span,
                format!(
                    "`{text}` is not a path: write element or key names, like `/Order/Lines/Line`"
                ),
            );
            return None;
        }
        self.reads_documents = true;
        if let Some(misfit) = self.split_misfit(&segments) {
            self.diagnostics.push(
                self.source
                    .error(step.path.span, misfit.0)
                    .with_hint_opt(misfit.1),
            );
            return None;
        }
        Some(StepKind::Split { path: segments })
    }

    /// Why a split path cannot be in the documents, when their XML profile
    /// is known here and has no element there; with the names that are.
    fn split_misfit(&self, segments: &[String]) -> Option<(String, Option<String>)> {
        let profile = self.profile_here.as_ref()?;
        let Schema::Xml(xsd) = profile.schema() else {
            return None;
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        xsd.element_at(&segments).is_none().then_some(())?;
        // The first name that leads nowhere, and what its parent holds.
        let (bad, parent) = (1..=segments.len())
            .find(|&depth| xsd.element_at(&segments[..depth]).is_none())
            .map(|depth| (segments[depth - 1], xsd.element_at(&segments[..depth - 1])))?;
        let names: Vec<&str> = match parent {
            None => vec![xsd.root().name()],
            Some(element) => match xsd.element(element).type_ref() {
                TypeRef::Complex(complex) => xsd.complex_type(complex).child_names().collect(),
                TypeRef::Simple(_) => Vec::new(),
            },
        };
        let message = format!(
            "the documents here follow profile `{}`, which has no element at /{} (no `{bad}` there)",
            profile.name(),
            segments.join("/")
        );
        let hint = de::did_you_mean(bad, names.iter().copied())
            .map(|best| format!("did you mean `{best}`?"));
        Some((message, hint))
    }

    fn return_step(&mut self, node: &Node) -> Option<StepKind> {
        let step = self.decode::<ReturnStep>(node)?;
        let mut ok = true;
        let status = match &step.status {
            None => None,
            Some(status) => match &status.kind {
                NodeKind::Str(text) if template::is_template(text) => self
                    .value_source(status, Escape::None)
                    .map(StatusSource::Dynamic),
                NodeKind::Int(_) | NodeKind::Str(_) => {
                    let text = status.scalar_text().unwrap_or_default();
                    match http_status(&text) {
                        Some(code) => Some(StatusSource::Fixed(code)),
                        None => {
                            self.error(
                                status.span,
                                format!("`{text}` is not a status a process can answer with: use 200 to 599"),
                            );
                            ok = false;
                            None
                        }
                    }
                }
                other => {
                    self.error(
                        status.span,
                        format!(
                            "`status` is a number or a template, found {}",
                            other.describe()
                        ),
                    );
                    ok = false;
                    None
                }
            },
        };
        let mut headers = self.header_templates(&step.headers);
        for (name, _) in &step.headers.0 {
            if name.value.trim().eq_ignore_ascii_case("x-execution-id") {
                self.error(
                    name.span,
                    format!("`{}` cannot be set by a `return`: flowgate sets it to the execution's id on every response", name.value),
                );
                headers = None;
            }
        }
        let content_type = match &step.content_type {
            Some(ct) => match content_type(&ct.value) {
                Ok(value) => Some(value.to_owned()),
                Err(message) => {
                    self.error(ct.span, message);
                    return None;
                }
            },
            None => None,
        };
        let headers = headers?;
        ok.then_some(StepKind::Return(ReturnSpec {
            status,
            headers,
            content_type,
        }))
    }

    fn exception(&mut self, node: &Node) -> Option<StepKind> {
        let step = match Self::short_form(node) {
            Some(message) => ExceptionStep {
                status: None,
                message,
            },
            None => self.decode::<ExceptionStep>(node)?,
        };
        let status = match &step.status {
            None => StatusCode::INTERNAL_SERVER_ERROR,
            Some(status) => match StatusCode::from_u16(status.value) {
                Ok(code) if (400..=599).contains(&code.as_u16()) => code,
                _ => {
                    self.error(
                        status.span,
                        format!(
                            "an exception's status is an error status, 400 to 599; found {}",
                            status.value
                        ),
                    );
                    return None;
                }
            },
        };
        let message = self.template(&step.message, Escape::None)?;
        Some(StepKind::Exception { status, message })
    }

    fn log(&mut self, node: &Node) -> Option<StepKind> {
        let step = match Self::short_form(node) {
            Some(message) => LogStep {
                level: None,
                message,
            },
            None => self.decode::<LogStep>(node)?,
        };
        let message = self.template(&step.message, Escape::None)?;
        Some(StepKind::Log {
            level: step.level.map(|l| l.value).unwrap_or(LogLevel::Info),
            message,
        })
    }

    fn call(&mut self, node: &Node) -> Option<StepKind> {
        let Some(name) = node.as_str() else {
            self.error(
                node.span,
                format!(
                    "`call` takes the name of a process, found {}",
                    node.describe()
                ),
            );
            return None;
        };
        match self.process_ids.get(name) {
            Some(&id) => {
                self.calls.push((id, node.span));
                Some(StepKind::Call(id))
            }
            // Its file's own errors say why it is not there.
            None if self.unread_processes.contains(name) => None,
            None => {
                let names = self.process_ids.keys().chain(self.unread_processes);
                let hint = de::did_you_mean(name, names.map(String::as_str))
                    .map(|best| format!("did you mean `{best}`?"));
                self.diagnostics.push(
                    self.source
                        .error(node.span, format!("there is no process named `{name}`"))
                        .with_hint_opt(hint),
                );
                None
            }
        }
    }

    fn try_step(&mut self, node: &Node, path: &str) -> Option<StepKind> {
        let step = self.decode::<TryStep>(node)?;
        if step.retries.value > MAX_RETRIES {
            self.error(
                step.retries.span,
                format!("`retries` is at most {MAX_RETRIES}"),
            );
            return None;
        }
        let steps = self.pipeline(Some(&step.steps), &format!("{path}.steps"));
        let catch = self.pipeline(step.catch.as_ref(), &format!("{path}.catch"));
        Some(StepKind::Try {
            steps,
            catch,
            retries: step.retries.value,
        })
    }

    fn http(&mut self, node: &Node) -> Option<StepKind> {
        let step = self.decode::<HttpStep>(node)?;
        let method = self.http_method(&step);
        let target = self.http_target(&step, node.span);
        let headers = self.header_templates(&step.headers);
        let upstream_media = match &target {
            Some(HttpTarget::Upstream { upstream, .. }) => upstream
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(ContentType::parse),
            _ => None,
        };
        let body = method
            .as_ref()
            .and_then(|method| self.http_body(&step, method, &headers, upstream_media));
        let timeout = match &step.timeout {
            Some(timeout) if timeout.value.0.is_zero() => {
                self.error(timeout.span, "`timeout` must be more than 0");
                None
            }
            Some(timeout) => Some(timeout.value.0),
            None => target.as_ref().map(|target| match target {
                HttpTarget::Upstream { upstream, .. } => upstream.timeout,
                HttpTarget::Url { .. } => crate::outbound::DEFAULT_TIMEOUT,
            }),
        };
        let retries = self.http_retries(&step, method.as_ref());
        let concurrency = match &step.concurrency {
            Some(n) if n.value == 0 || n.value > MAX_CONCURRENCY => {
                self.error(
                    n.span,
                    format!("`concurrency` is from 1 to {MAX_CONCURRENCY}"),
                );
                None
            }
            Some(n) => Some(n.value as usize),
            None => Some(1),
        };
        Some(StepKind::Http(Box::new(HttpSpec {
            target: target?,
            method: method?,
            headers: headers?,
            body: body?,
            policy: crate::outbound::CallPolicy {
                timeout: timeout?,
                retries: retries?,
                fail_on_status: step.fail_on_status.as_ref().is_none_or(|f| f.value),
            },
            concurrency: concurrency?,
        })))
    }

    /// `method`, or GET; POST when a `body` is written.
    fn http_method(&mut self, step: &HttpStep) -> Option<http::Method> {
        let Some(written) = &step.method else {
            return Some(if step.body.is_some() {
                http::Method::POST
            } else {
                http::Method::GET
            });
        };
        let method = match written.value.trim().to_ascii_uppercase().as_str() {
            "GET" => http::Method::GET,
            "HEAD" => http::Method::HEAD,
            "POST" => http::Method::POST,
            "PUT" => http::Method::PUT,
            "PATCH" => http::Method::PATCH,
            "DELETE" => http::Method::DELETE,
            "OPTIONS" => http::Method::OPTIONS,
            _ => {
                self.diagnostics.push(
                    self.source
                        .error(
                            written.span,
                            format!(
                                "`{}` is not a method an `http` step can send",
                                written.value
                            ),
                        )
                        .with_hint("use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS"),
                );
                return None;
            }
        };
        Some(method)
    }

    /// `upstream` (+ `path`) or `url`: exactly one of them.
    fn http_target(&mut self, step: &HttpStep, at: Span) -> Option<HttpTarget> {
        match (&step.upstream, &step.url) {
            (Some(name), None) => {
                let Some(upstream) = self.outbound.upstream(&name.value).cloned() else {
                    // Its declaration's own errors say why it is not there.
                    if self.outbound.is_broken(&name.value) {
                        return None;
                    }
                    let hint = de::did_you_mean(&name.value, self.outbound.names())
                        .map(|best| format!("did you mean `{best}`?"))
                        .unwrap_or_else(|| {
                            "declare it in flowgate.toml as `[upstreams.NAME]` with a `base_url`"
                                .to_owned()
                        });
                    self.diagnostics.push(
                        self.source
                            .error(
                                name.span,
                                format!("there is no upstream `{}` in flowgate.toml", name.value),
                            )
                            .with_hint(hint),
                    );
                    return None;
                };
                let path = step
                    .path
                    .clone()
                    .unwrap_or_else(|| Spanned::new(name.span, String::new()));
                let path = if template::is_template(&path.value) {
                    UpstreamPath::Template(self.template(&path, Escape::None)?)
                } else {
                    // A plain path makes the same URL for every call: made and checked here.
                    match upstream.url(&path.value) {
                        Ok(url) => UpstreamPath::Fixed(url),
                        Err(message) => {
                            self.error(path.span, message);
                            return None;
                        }
                    }
                };
                Some(HttpTarget::Upstream { upstream, path })
            }
            (None, Some(url)) => {
                if let Some(path) = &step.path {
                    self.diagnostics.push(
                        self.source
                            .error(path.span, "`path` goes with `upstream`; a `url` is whole")
                            .with_hint("write the path into the `url`, or name an upstream"),
                    );
                    return None;
                }
                if !template::is_template(&url.value) {
                    let text = url.value.trim();
                    let good = url::Url::parse(text).is_ok_and(|parsed| {
                        matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some()
                    });
                    if !good {
                        self.error(
                            url.span,
                            format!("`{text}` is not an http or https URL with a host"),
                        );
                        return None;
                    }
                }
                let template = self.template(url, Escape::None)?;
                match self.outbound.direct() {
                    Ok(client) => Some(HttpTarget::Url {
                        url: template,
                        client: client.clone(),
                    }),
                    Err(err) => {
                        let message = format!("no client for full URLs can be built: {err}");
                        self.error(url.span, message);
                        None
                    }
                }
            }
            (Some(_), Some(url)) => {
                self.diagnostics.push(
                    self.source
                        .error(url.span, "an `http` step calls an `upstream` or a `url`, not both")
                        .with_hint("keep `upstream` and `path` to use the upstream's address, headers and TLS settings"),
                );
                None
            }
            (None, None) => {
                self.diagnostics.push(
                    self.source
                        .error(
                            at,
                            "an `http` step needs an `upstream` (with a `path`) or a `url`",
                        )
                        .with_hint(
                            "e.g. `http: { upstream: stock, path: \"/items/{{ doc.sku }}\" }`",
                        ),
                );
                None
            }
        }
    }

    /// The headers of a `return` or `http` step: each name checked, each
    /// value a template (or a literal).
    fn header_templates(
        &mut self,
        written: &Entries<Spanned<String>, Spanned<String>>,
    ) -> Option<Vec<(HeaderName, ValueSource)>> {
        let mut ok = true;
        let mut headers = Vec::with_capacity(written.0.len());
        for (name, value) in &written.0 {
            let Ok(header) = HeaderName::from_str(name.value.trim()) else {
                self.error(
                    name.span,
                    format!("`{}` is not a valid header name", name.value),
                );
                ok = false;
                continue;
            };
            if let Some(why) = connection_header(&header) {
                self.error(name.span, why);
                ok = false;
                continue;
            }
            let value_node = Node::new(value.span, NodeKind::Str(value.value.clone()));
            match self.value_source(&value_node, Escape::None) {
                Some(source) => headers.push((header, source)),
                None => ok = false,
            }
        }
        ok.then_some(headers)
    }

    /// The written `body`, else the current document for methods that carry one.
    /// `upstream_media` is the `Content-Type` the upstream's headers set, if any.
    fn http_body(
        &mut self,
        step: &HttpStep,
        method: &http::Method,
        headers: &Option<Vec<(HeaderName, ValueSource)>>,
        upstream_media: Option<ContentType>,
    ) -> Option<HttpBody> {
        let carries_body = !matches!(
            *method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        );
        match &step.body {
            Some(body) if !carries_body => {
                self.error(body.span, format!("{method} requests carry no body"));
                None
            }
            Some(body) => {
                // The body is escaped for the type it is sent with: the
                // step's literal Content-Type, else the upstream's, else
                // the process's output.
                let media = headers
                    .iter()
                    .flatten()
                    .find(|(name, _)| *name == http::header::CONTENT_TYPE)
                    .and_then(|(_, source)| match source {
                        ValueSource::Literal(value) => value.as_str().map(ContentType::parse),
                        _ => None,
                    })
                    .or(upstream_media)
                    .unwrap_or_else(|| self.default_media.clone());
                let template = self.template(body, Escape::for_media(&media.media))?;
                Some(HttpBody::Template {
                    template,
                    content_type: media,
                })
            }
            None if carries_body && *method != http::Method::DELETE => Some(HttpBody::Document),
            None => Some(HttpBody::None),
        }
    }

    /// `retries` repeat calls that failed before an answer; a method that
    /// is not idempotent is repeated only when no connection was made.
    fn http_retries(&mut self, step: &HttpStep, method: Option<&http::Method>) -> Option<u32> {
        let Some(retries) = &step.retries else {
            return Some(0);
        };
        if retries.value > MAX_RETRIES {
            self.error(retries.span, format!("`retries` is at most {MAX_RETRIES}"));
            return None;
        }
        if let Some(method) = method.filter(|m| !crate::outbound::is_idempotent(m))
            && retries.value > 0
        {
            self.diagnostics.push(
                self.source
                    .warning(
                        retries.span,
                        format!("a {method} is retried only when no connection could be made: once sent, it might be applied twice"),
                    )
                    .with_hint("to repeat it whatever happened, wrap the step in a `try` with `retries`"),
            );
        }
        Some(retries.value)
    }
}

/// Why a header may not be set by a step or an upstream, when it may not:
/// the headers that frame the message on its connection are written by
/// flowgate (and hyper) from the body actually sent. A `Content-Length`
/// that disagreed with the body would let one response (or request) carry
/// another one behind it.
pub(super) fn connection_header(name: &HeaderName) -> Option<String> {
    use http::header::{CONNECTION, CONTENT_LENGTH, TE, TRAILER, TRANSFER_ENCODING, UPGRADE};
    const OTHERS: [&str; 2] = ["keep-alive", "proxy-connection"];
    let framing = [
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
        CONNECTION,
        TE,
        TRAILER,
        UPGRADE,
    ];
    (framing.contains(name) || OTHERS.contains(&name.as_str())).then(|| {
        format!(
            "`{name}` cannot be set here: flowgate writes it from the body it sends and the \
             connection it uses"
        )
    })
}
