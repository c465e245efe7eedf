//! OpenAPI 3.1 of the simple and REST routes (`GET /ws/rest/openapi.json`,
//! `flowgate openapi`).
//!
//! Everything comes from the snapshot: paths from the listen blocks, bodies
//! from the input and output types and the compiled profiles (JSON Schema
//! copied into `components/schemas` with its references kept valid there;
//! XSD converted by [`crate::profile::xsd::XmlJsonSchema`]), security from
//! the access policies, statuses from the `return` and `exception` steps.
//! The generator is pure and deterministic: paths, components and status
//! codes are sorted, and the same snapshot and caller give the same bytes.
//! It reads nothing, fetches nothing and cannot fail; a process the caller
//! may not use is not mentioned, nor are the profiles only it uses.
//!
//! `docs/openapi.md` describes the document for users; the choices made
//! here are listed there.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{PROBLEM_NAMESPACE, list_element};
use crate::access::AccessPolicy;
use crate::config::raw::DocType;
use crate::profile::xsd::component_name;
use crate::profile::{Profile, Schema};
use crate::routes::REST_PREFIX;
use crate::snapshot::{Listen, Pipeline, Process, ProcessId, Snapshot, StatusSource, StepKind};

/// The OpenAPI version of the document.
pub const OPENAPI_VERSION: &str = "3.1.0";

const SCHEMAS: &str = "#/components/schemas/";
const RESPONSES: &str = "#/components/responses/";
const EXECUTION_ID_HEADER: &str = "X-Execution-Id";

/// The OpenAPI document of the `visible` processes' routes, served at
/// `base_url`. Processes without a `listen` block have no route and are
/// left out; an id that is not in the snapshot is ignored.
/// The document as it is served and printed: pretty JSON ending with a
/// line break, as the WSDL does, so `flowgate openapi` prints the very
/// bytes `GET /ws/rest/openapi.json` serves.
pub fn text(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

pub fn generate(snapshot: &Snapshot, visible: &[ProcessId], base_url: &str) -> Value {
    let mut ids = visible.to_vec();
    ids.sort();
    ids.dedup();
    let mut document = Document::default();
    for id in ids {
        if let Some(process) = snapshot.processes.get(id.index())
            && let Some(listen) = &process.listen
        {
            document.add_process(snapshot, process, listen);
        }
    }
    document.finish(snapshot, base_url)
}

/// The document as it is being built.
#[derive(Default)]
struct Document {
    /// By path shape (`/ws/rest/orders/{}`), so that one path with
    /// different parameter names in different routes is one path item.
    paths: BTreeMap<String, PathItem>,
    schemas: BTreeMap<String, Value>,
    /// The component holding each profile's document, by profile name.
    profile_components: HashMap<String, String>,
    problem_responses: BTreeSet<ProblemResponse>,
    security_schemes: BTreeSet<SecurityScheme>,
    tags: BTreeMap<String, Option<String>>,
    uses_execution_id: bool,
}

struct PathItem {
    /// The path as written by a route that has it: the least in text order,
    /// so the choice does not depend on the order of processes.
    template: String,
    operations: Vec<(Method, Value)>,
}

impl Document {
    fn add_process(&mut self, snapshot: &Snapshot, process: &Process, listen: &Listen) {
        let description = process.description.as_deref().map(str::trim);
        self.tags.insert(
            process.name.to_string(),
            description.filter(|d| !d.is_empty()).map(str::to_owned),
        );
        let name = listen.operation_name();
        let simple_path = listen.simple_url();
        let methods = simple_methods(listen);
        if listen.page_size.is_some() && !methods.contains(&Method::GET) {
            let id = format!("{name}-next-page");
            let operation = self.next_page(snapshot, process, listen, &id);
            self.add_operation(&simple_path, Method::GET, operation);
        }
        for (index, method) in methods.into_iter().enumerate() {
            let id = if index == 0 {
                name.to_owned()
            } else {
                // `-` cannot occur in an operation name, so these never
                // meet another process's id.
                format!("{name}-{}", method.as_str().to_ascii_lowercase())
            };
            let operation = self.operation(snapshot, process, listen, &method, &id);
            self.add_operation(&simple_path, method, operation);
        }
        if let Some(rest) = &listen.rest {
            let path = rest_path(&rest.pattern);
            let id = format!("{name}-rest");
            let operation = self.operation(snapshot, process, listen, &rest.method, &id);
            self.add_operation(&path, rest.method.clone(), operation);
            if listen.page_size.is_some() && rest.method != Method::GET {
                let id = format!("{name}-rest-next-page");
                let operation = self.next_page(snapshot, process, listen, &id);
                self.add_operation(&path, Method::GET, operation);
            }
        }
    }

    /// The GET that follows a paged answer's `Link` on a route that is not
    /// a GET itself: the token, and the same answers as the route's.
    fn next_page(
        &mut self,
        snapshot: &Snapshot,
        process: &Process,
        listen: &Listen,
        id: &str,
    ) -> Value {
        let mut operation = self.operation(snapshot, process, listen, &Method::GET, id);
        if let Value::Object(map) = &mut operation {
            map.remove("requestBody");
            map.remove("description");
            map.insert(
                "summary".into(),
                Value::from(format!("The next page of an answer of `{}`", process.name)),
            );
            map.insert("parameters".into(), json!([page_token_parameter(true)]));
        }
        operation
    }

    fn add_operation(&mut self, path: &str, method: Method, operation: Value) {
        let item = self
            .paths
            .entry(path_shape(path))
            .or_insert_with(|| PathItem {
                template: path.to_owned(),
                operations: Vec::new(),
            });
        if path < item.template.as_str() {
            item.template = path.to_owned();
        }
        item.operations.push((method, operation));
    }

    fn operation(
        &mut self,
        snapshot: &Snapshot,
        process: &Process,
        listen: &Listen,
        method: &Method,
        id: &str,
    ) -> Value {
        let mut operation = Map::new();
        operation.insert("tags".into(), json!([&*process.name]));
        let (summary, description) = summary(process);
        operation.insert("summary".into(), Value::from(summary));
        if let Some(description) = description {
            operation.insert("description".into(), Value::from(description));
        }
        operation.insert("operationId".into(), Value::from(id));
        // Only a GET follows a link.
        if listen.page_size.is_some() && *method == Method::GET {
            operation.insert("parameters".into(), json!([page_token_parameter(false)]));
        }
        if let Some(body) = self.request_body(listen) {
            operation.insert("requestBody".into(), body);
        }
        let responses = self.responses(snapshot, process, listen, method);
        operation.insert("responses".into(), Value::Object(responses));
        if let Some(security) = self.security(&process.access) {
            operation.insert("security".into(), security);
        }
        Value::Object(operation)
    }

    fn request_body(&mut self, listen: &Listen) -> Option<Value> {
        let profile = listen.request_profile.as_ref();
        let (media, schema, description) = match listen.input {
            DocType::None => return None,
            DocType::Data => (
                "*/*",
                None,
                "Any bytes, in any content type: the process gets them as they are.".to_owned(),
            ),
            DocType::Xml => (
                "application/xml",
                Some(self.document_schema(profile)),
                "One XML document.".to_owned(),
            ),
            DocType::XmlList => (
                "application/xml",
                Some(self.xml_list(listen, profile, false)),
                format!(
                    "A root element whose child elements are the items, one document each; \
                     the root's name is not checked (`{}` by convention).",
                    list_element(listen)
                ),
            ),
            DocType::Json => (
                "application/json",
                Some(self.document_schema(profile)),
                "One JSON value.".to_owned(),
            ),
            DocType::JsonList => (
                "application/json",
                Some(json!({ "type": "array", "items": self.document_schema(profile) })),
                "A JSON array whose elements are the items, one document each.".to_owned(),
            ),
        };
        let media_type = match schema {
            Some(schema) => json!({ "schema": schema }),
            None => json!({}),
        };
        Some(json!({
            "description": description,
            "required": true,
            "content": { media: media_type },
        }))
    }

    fn responses(
        &mut self,
        snapshot: &Snapshot,
        process: &Process,
        listen: &Listen,
        method: &Method,
    ) -> Map<String, Value> {
        let mut responses = BTreeMap::new();
        let statuses = Statuses::of(snapshot, process, listen);
        if listen.output == DocType::None {
            responses.insert(
                "202".to_owned(),
                self.with_execution_id(json!({
                    "description": "Accepted: the process was started and runs on; nothing is returned."
                })),
            );
        } else {
            let content = self.response_content(listen);
            let mut success: BTreeSet<u16> = statuses.returned.clone();
            if statuses.default_200 {
                success.insert(200);
            }
            for status in success {
                let response = self.success_response(listen, Some(status), content.as_ref());
                responses.insert(status.to_string(), response);
            }
            if statuses.empty_list
                && let Some(ok) = responses.get_mut("200")
            {
                ok["description"] = json!(format!(
                    "{} (an empty list when no document reached a `return`)",
                    ok["description"].as_str().unwrap_or("OK")
                ));
            }
            if statuses.nothing {
                match responses.get_mut("200") {
                    // A `return` without a status answers 200 too, with
                    // documents: OpenAPI cannot make that content optional,
                    // so the description says when there is none.
                    Some(ok) => {
                        ok["description"] = json!(format!(
                            "{} (or, when no document reached a `return`, an empty body)",
                            ok["description"].as_str().unwrap_or("OK")
                        ))
                    }
                    None => {
                        let response = self.with_execution_id(json!({
                            "description": "No document reached a `return` (an empty list, or steps that end without one): nothing is returned."
                        }));
                        responses.insert("200".to_owned(), response);
                    }
                }
            }
            if statuses.dynamic {
                let response = self.success_response(listen, None, content.as_ref());
                responses.insert("default".to_owned(), response);
            }
        }
        for problem in
            ProblemResponse::for_route(listen, &process.access, method, statuses.calls_out)
        {
            responses
                .entry(problem.status().to_string())
                .or_insert_with(|| self.problem_ref(problem));
        }
        for status in &statuses.raised {
            responses
                .entry(status.to_string())
                .or_insert_with(|| self.problem_ref(ProblemResponse::ProcessException));
        }
        sort_statuses(responses)
    }

    /// A success response; `None` is `default`, a status a `return` step
    /// computes.
    fn success_response(
        &mut self,
        listen: &Listen,
        status: Option<u16>,
        content: Option<&Value>,
    ) -> Value {
        let description = match status {
            None => "The status a `return` step computes.",
            Some(status) => StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Returned by the process"),
        };
        let mut response = json!({ "description": description });
        let bodiless = matches!(status, Some(100..=199 | 204 | 304));
        if let Some(content) = content.filter(|_| !bodiless) {
            response["content"] = content.clone();
        }
        if listen.page_size.is_some() && !bodiless {
            response["headers"] = json!({
                "Link": {
                    "description": "`<PATH?page_token=TOKEN>; rel=\"next\"` when more pages remain: a GET of it answers the next page.",
                    "schema": { "type": "string" }
                }
            });
        }
        self.with_execution_id(response)
    }

    fn with_execution_id(&mut self, mut response: Value) -> Value {
        self.uses_execution_id = true;
        if let Value::Object(map) = &mut response {
            let headers = map
                .entry("headers")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(headers) = headers {
                headers.insert(
                    EXECUTION_ID_HEADER.to_owned(),
                    json!({ "$ref": format!("#/components/headers/{EXECUTION_ID_HEADER}") }),
                );
            }
        }
        response
    }

    /// The `content` of a success response by output type; `None` for
    /// output `none`.
    fn response_content(&mut self, listen: &Listen) -> Option<Value> {
        let profile = listen.response_profile.as_ref();
        let (media, schema) = match listen.output {
            DocType::None => return None,
            DocType::Data => (listen.content_type.as_deref().unwrap_or("*/*"), None),
            DocType::Xml => ("application/xml", Some(self.document_schema(profile))),
            DocType::XmlList => (
                "application/xml",
                Some(self.xml_list(listen, profile, listen.page_size.is_some())),
            ),
            DocType::Json => ("application/json", Some(self.document_schema(profile))),
            DocType::JsonList => (
                "application/json",
                Some(json!({ "type": "array", "items": self.document_schema(profile) })),
            ),
        };
        let media_type = match schema {
            Some(schema) => json!({ "schema": schema }),
            None => json!({}),
        };
        Some(json!({ media: media_type }))
    }

    /// `<{Object}List>` holding documents of the profile; paged output
    /// carries the next page's token as an attribute.
    fn xml_list(&mut self, listen: &Listen, profile: Option<&Profile>, paged: bool) -> Value {
        let mut properties = Map::new();
        if paged {
            properties.insert(
                "pageToken".into(),
                json!({
                    "type": "string",
                    "description": "The next page's token, when more pages remain (also in the `Link` header).",
                    "xml": { "attribute": true }
                }),
            );
        }
        let item = match profile.map(Profile::schema) {
            Some(Schema::Xml(xsd)) => Some(xsd.root().name().to_owned()),
            _ => None,
        };
        let mut wrapper = json!({
            "type": "object",
            "xml": { "name": list_element(listen) },
        });
        let closed = item.is_some();
        if let Some(item) = item {
            let items = self.document_schema(profile);
            properties.insert(
                item,
                json!({ "type": "array", "items": items, "xml": { "wrapped": false } }),
            );
        }
        if !properties.is_empty() {
            wrapper["properties"] = Value::Object(properties);
        }
        if closed {
            wrapper["additionalProperties"] = Value::Bool(false);
        }
        wrapper
    }

    /// One document of a profile, as a `$ref` to its component; any
    /// document without one.
    fn document_schema(&mut self, profile: Option<&Profile>) -> Value {
        match profile {
            Some(profile) => {
                let component = self.profile_component(profile);
                json!({ "$ref": format!("{SCHEMAS}{component}") })
            }
            None => json!({}),
        }
    }

    /// The component of a profile's document, added the first time it is
    /// used. An XSD's named types become components beside it, named
    /// `{profile}.{type}`.
    fn profile_component(&mut self, profile: &Profile) -> String {
        if let Some(name) = self.profile_components.get(profile.name()) {
            return name.clone();
        }
        let name = self.free_name(&component_name(profile.name()));
        match profile.schema() {
            Schema::Json(json) => {
                let schema = json.embedded(&format!("/components/schemas/{name}"));
                self.schemas.insert(name.clone(), schema);
            }
            Schema::Xml(xsd) => {
                // The types' names are known only after converting, so a
                // clash with an existing component picks the next prefix.
                let mut prefix = name.clone();
                for attempt in 1.. {
                    let converted = xsd.json_schema(&format!("{SCHEMAS}{prefix}."));
                    let names: Vec<String> = converted
                        .definitions
                        .keys()
                        .map(|type_name| format!("{prefix}.{type_name}"))
                        .collect();
                    if names
                        .iter()
                        .any(|n| self.schemas.contains_key(n) || *n == name)
                    {
                        prefix = format!("{name}_{}", attempt + 1);
                        continue;
                    }
                    self.schemas.insert(name.clone(), converted.root);
                    for (full_name, (_, schema)) in names.into_iter().zip(converted.definitions) {
                        self.schemas.insert(full_name, schema);
                    }
                    break;
                }
            }
        }
        self.profile_components
            .insert(profile.name().to_owned(), name.clone());
        name
    }

    /// `wanted`, or `wanted_2`, `wanted_3`, … : the first name no component has.
    fn free_name(&self, wanted: &str) -> String {
        (1..)
            .map(|n| match n {
                1 => wanted.to_owned(),
                n => format!("{wanted}_{n}"),
            })
            .find(|candidate| {
                !self.schemas.contains_key(candidate)
                    && !PROBLEM_SCHEMAS.contains(&candidate.as_str())
            })
            .unwrap_or_else(|| wanted.to_owned())
    }

    fn problem_ref(&mut self, problem: ProblemResponse) -> Value {
        self.problem_responses.insert(problem);
        json!({ "$ref": format!("{RESPONSES}{}", problem.name()) })
    }

    /// The route's ways in, each one alternative; `{}` where anonymous
    /// callers are admitted. `None` for a public route.
    fn security(&mut self, access: &AccessPolicy) -> Option<Value> {
        let auth = access.auth;
        if auth.is_public_only() {
            return None;
        }
        let mut alternatives = Vec::new();
        for (on, schemes) in [
            (auth.basic, &[SecurityScheme::Basic][..]),
            (
                auth.token,
                &[SecurityScheme::Bearer, SecurityScheme::ApiKey][..],
            ),
            (auth.mtls, &[SecurityScheme::MutualTls][..]),
        ] {
            for scheme in schemes.iter().filter(|_| on) {
                self.security_schemes.insert(*scheme);
                alternatives.push(json!({ scheme.name(): [] }));
            }
        }
        if auth.none {
            alternatives.push(json!({}));
        }
        Some(Value::Array(alternatives))
    }

    fn finish(mut self, snapshot: &Snapshot, base_url: &str) -> Value {
        let mut document = Map::new();
        document.insert("openapi".into(), Value::from(OPENAPI_VERSION));
        document.insert("info".into(), info(snapshot));
        document.insert("servers".into(), json!([{ "url": base_url }]));
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(name, description)| match description {
                Some(description) => json!({ "name": name, "description": description }),
                None => json!({ "name": name }),
            })
            .collect();
        if !tags.is_empty() {
            document.insert("tags".into(), Value::Array(tags));
        }
        document.insert("paths".into(), self.paths_object());
        let mut components = Map::new();
        if !self.problem_responses.is_empty() {
            for (name, schema) in problem_schemas() {
                self.schemas.insert(name.to_owned(), schema);
            }
        }
        if !self.schemas.is_empty() {
            components.insert(
                "schemas".into(),
                Value::Object(std::mem::take(&mut self.schemas).into_iter().collect()),
            );
        }
        if !self.problem_responses.is_empty() {
            let responses: Map<String, Value> = self
                .problem_responses
                .iter()
                .map(|problem| (problem.name().to_owned(), problem.response()))
                .collect();
            components.insert("responses".into(), Value::Object(responses));
        }
        if self.uses_execution_id {
            components.insert(
                "headers".into(),
                json!({
                    EXECUTION_ID_HEADER: {
                        "description": "The execution's id (a UUID v7), also in the log lines of that execution.",
                        "schema": { "type": "string", "format": "uuid" }
                    }
                }),
            );
        }
        if !self.security_schemes.is_empty() {
            let schemes: Map<String, Value> = self
                .security_schemes
                .iter()
                .map(|scheme| (scheme.name().to_owned(), scheme.definition()))
                .collect();
            components.insert("securitySchemes".into(), Value::Object(schemes));
        }
        if !components.is_empty() {
            document.insert("components".into(), Value::Object(components));
        }
        Value::Object(document)
    }

    fn paths_object(&mut self) -> Value {
        let mut items: Vec<(String, Value)> = Vec::new();
        for item in std::mem::take(&mut self.paths).into_values() {
            let mut operations = item.operations;
            operations.sort_by_key(|(method, _)| method_rank(method));
            let mut path_item = Map::new();
            let parameters = path_parameters(&item.template);
            if !parameters.is_empty() {
                path_item.insert("parameters".into(), Value::Array(parameters));
            }
            for (method, operation) in operations {
                path_item.insert(method.as_str().to_ascii_lowercase(), operation);
            }
            items.push((item.template, Value::Object(path_item)));
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Value::Object(items.into_iter().collect())
    }
}

/// The methods the document lists for a simple URL (docs/processes.md,
/// "Methods on the simple URL"): POST, PUT and PATCH for a process that
/// takes a body; GET and POST for one that takes none, which answers
/// other methods too, but listing every method would say nothing more.
fn simple_methods(listen: &Listen) -> Vec<Method> {
    if listen.takes_body() {
        vec![Method::POST, Method::PUT, Method::PATCH]
    } else {
        vec![Method::GET, Method::POST]
    }
}

/// The order of operations in a path item: OpenAPI's own order.
fn method_rank(method: &Method) -> usize {
    [
        Method::GET,
        Method::PUT,
        Method::POST,
        Method::DELETE,
        Method::OPTIONS,
        Method::HEAD,
        Method::PATCH,
        Method::TRACE,
    ]
    .iter()
    .position(|m| m == method)
    .unwrap_or(usize::MAX)
}

/// `/ws/rest/orders/{region}`; the router ignores a trailing slash.
fn rest_path(pattern: &str) -> String {
    let trimmed = pattern.trim_end_matches('/');
    if trimmed.is_empty() {
        format!("{REST_PREFIX}/")
    } else {
        format!("{REST_PREFIX}{trimmed}")
    }
}

/// A path with its parameter names left out: `/ws/rest/orders/{}`.
fn path_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| if is_parameter(segment) { "{}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// The `{name}` segments of a path, as required string parameters.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter(|segment| is_parameter(segment))
        .map(|segment| {
            json!({
                "name": &segment[1..segment.len() - 1],
                "in": "path",
                "required": true,
                "schema": path_segment_schema()
            })
        })
        .collect()
}

/// What `server::guard` lets through as one segment of a path, once
/// percent-decoded: text without `/`, `\` or control characters, and not
/// `.` or `..`. Anything else is refused with a 400 before routing.
fn path_segment_schema() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "pattern": "^[^/\\\\\\x00-\\x1F\\x7F-\\x9F]+$",
        "not": { "enum": [".", ".."] }
    })
}

fn is_parameter(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

fn page_token_parameter(required: bool) -> Value {
    json!({
        "name": "page_token",
        "in": "query",
        "required": required,
        "description": "The token of a `Link` header: answers that next page instead of running the process. A token serves once and expires after 5 minutes (then 410).",
        "schema": { "type": "string" }
    })
}

/// The operation's summary (the description's first line, else the
/// process name) and description (the whole text, when it says more).
fn summary(process: &Process) -> (String, Option<String>) {
    let text = process
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    match text {
        Some(text) => {
            let first = text.lines().next().unwrap_or(text).trim().to_owned();
            let more = (first != text).then(|| text.to_owned());
            (first, more)
        }
        None => (process.name.to_string(), None),
    }
}

fn info(snapshot: &Snapshot) -> Value {
    let mut info = json!({
        "title": "flowgate",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "The simple and REST routes of this gateway that the caller may use. Errors are RFC 9457 problem documents.",
    });
    if snapshot.meta.generation > 0 {
        info["x-flowgate-generation"] = Value::from(snapshot.meta.generation);
    }
    if let Some(commit) = &snapshot.meta.commit {
        info["x-flowgate-commit"] = Value::from(commit.as_str());
    }
    info
}

/// Status codes in numeric order, `default` last.
fn sort_statuses(responses: BTreeMap<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = responses.into_iter().collect();
    entries.sort_by_key(|(status, _)| status.parse::<u16>().unwrap_or(u16::MAX));
    entries.into_iter().collect()
}

/// The statuses a process's steps can answer with.
#[derive(Default)]
struct Statuses {
    /// Fixed statuses of `return` steps.
    returned: BTreeSet<u16>,
    /// A `return` without a status: 200.
    default_200: bool,
    /// A request may end with no document returned: 200 with an empty body.
    nothing: bool,
    /// A request may end with no document returned, which a list output
    /// whose process has a `return` answers with an empty list and 200.
    empty_list: bool,
    /// A `return` whose status is computed.
    dynamic: bool,
    /// Statuses of `exception` steps that can reach the client.
    raised: BTreeSet<u16>,
    /// An `http` step whose failure can reach the client: a 502, or a 504
    /// beside the process's own timeout.
    calls_out: bool,
}

impl Statuses {
    fn of(snapshot: &Snapshot, process: &Process, listen: &Listen) -> Statuses {
        let mut statuses = Statuses::default();
        let mut walk = Walk {
            snapshot,
            called: HashSet::new(),
        };
        statuses.visit(&mut walk, &process.steps, false, false);
        // An empty list is no document: no step runs.
        let list = matches!(listen.input, DocType::XmlList | DocType::JsonList);
        let unreturned = Unreturned::of(snapshot, &process.steps, &mut HashSet::new());
        let none_returned = list || unreturned.at_end || unreturned.lost;
        if matches!(listen.output, DocType::XmlList | DocType::JsonList) && listen.returns {
            // A list output whose process has a `return` answers an empty
            // list then, with 200.
            statuses.default_200 |= none_returned;
            statuses.empty_list = none_returned;
        } else {
            statuses.nothing = none_returned;
        }
        statuses
    }

    /// `caught`: a failure here goes to a `catch`. `in_call`: these are a
    /// called process's steps, whose `return`s only hand documents back
    /// while their exceptions fail the caller too.
    fn visit(&mut self, walk: &mut Walk<'_>, steps: &Pipeline, caught: bool, in_call: bool) {
        for step in steps.iter() {
            match &step.kind {
                StepKind::Return(spec) if !in_call => match &spec.status {
                    None => self.default_200 = true,
                    Some(StatusSource::Fixed(status)) => {
                        self.returned.insert(status.as_u16());
                    }
                    Some(StatusSource::Dynamic(_)) => self.dynamic = true,
                },
                StepKind::Exception { status, .. } if !caught => {
                    self.raised.insert(status.as_u16());
                }
                StepKind::Http(_) if !caught => self.calls_out = true,
                StepKind::Call(id) if walk.called.insert((*id, caught)) => {
                    if let Some(called) = walk.snapshot.processes.get(id.index()) {
                        self.visit(walk, &called.steps, caught, true);
                    }
                }
                _ => {}
            }
            for (child, child_caught) in children(&step.kind, caught) {
                self.visit(walk, child, child_caught, in_call);
            }
        }
    }
}

/// Where a walk over the steps is.
struct Walk<'s> {
    snapshot: &'s Snapshot,
    /// Processes already walked into, and whether their failures were
    /// caught there (calls cannot cycle, but one process may be called from
    /// several steps, inside a `try` and outside one).
    called: HashSet<(ProcessId, bool)>,
}

/// Whether a document may go through a pipeline without passing a
/// `return`: the answer is then 200 with an empty body, when no other
/// document of the request was returned.
#[derive(Clone, Copy, Default)]
struct Unreturned {
    /// A document not returned may come out at the end.
    at_end: bool,
    /// A document not returned may be dropped on the way (`stop`, a
    /// `split` that finds nothing, a called process that does not return it).
    lost: bool,
}

impl Unreturned {
    /// `calling`: the processes being walked into, so a call met again
    /// counts as one that may lose documents rather than recursing.
    fn of(snapshot: &Snapshot, steps: &Pipeline, calling: &mut HashSet<ProcessId>) -> Unreturned {
        let mut here = Unreturned {
            at_end: true,
            lost: false,
        };
        for step in steps.iter() {
            if !here.at_end {
                break;
            }
            match &step.kind {
                // A called process's `return` hands documents back instead,
                // which is the same for its caller: they go on, not lost.
                // An exception answers with a problem, not an empty 200.
                StepKind::Return(_) | StepKind::Exception { .. } => here.at_end = false,
                StepKind::Stop => {
                    here.lost = true;
                    here.at_end = false;
                }
                StepKind::Split { .. } => here.lost = true,
                StepKind::Call(id) => {
                    let callee = snapshot.processes.get(id.index());
                    let drops = match callee {
                        Some(callee) if calling.insert(*id) => {
                            let inside = Unreturned::of(snapshot, &callee.steps, calling);
                            calling.remove(id);
                            inside.at_end || inside.lost
                        }
                        _ => true,
                    };
                    here.lost |= drops;
                }
                StepKind::Try { steps, catch, .. } => {
                    let mut paths = vec![Unreturned::of(snapshot, steps, calling)];
                    if !catch.is_empty() {
                        paths.push(Unreturned::of(snapshot, catch, calling));
                    }
                    here = Unreturned::either(here.lost, &paths);
                }
                kind => {
                    let pipelines = kind.pipelines();
                    if !pipelines.is_empty() {
                        let paths: Vec<Unreturned> = pipelines
                            .into_iter()
                            .map(|pipeline| Unreturned::of(snapshot, pipeline, calling))
                            .collect();
                        here = Unreturned::either(here.lost, &paths);
                    }
                }
            }
        }
        here
    }

    /// After documents took one of `paths`.
    fn either(lost: bool, paths: &[Unreturned]) -> Unreturned {
        Unreturned {
            at_end: paths.iter().any(|p| p.at_end),
            lost: lost || paths.iter().any(|p| p.lost),
        }
    }
}

/// The pipelines inside a step, each with whether a failure there is
/// caught (`try` with a `catch`).
fn children(kind: &StepKind, caught: bool) -> Vec<(&Pipeline, bool)> {
    match kind {
        StepKind::Decision {
            then, otherwise, ..
        } => vec![(then, caught), (otherwise, caught)],
        StepKind::Route { cases, default, .. } => cases
            .iter()
            .map(|(_, pipeline)| (pipeline, caught))
            .chain([(default, caught)])
            .collect(),
        StepKind::Branch(paths) => paths.iter().map(|p| (p, caught)).collect(),
        StepKind::Try { steps, catch, .. } => {
            vec![(steps, caught || !catch.is_empty()), (catch, caught)]
        }
        _ => Vec::new(),
    }
}

/// The problem responses a route can give, shared as components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ProblemResponse {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    PageGone,
    BodyTooLarge,
    UnsupportedMediaType,
    ProcessException,
    ProcessFailed,
    UpstreamFailed,
    Overloaded,
    Timeout,
    /// The 504 of a process with an `http` step: its own timeout or an upstream's.
    TimeoutOrUpstream,
}

impl ProblemResponse {
    /// What this route can answer besides its own statuses; `calls_out`: an
    /// `http` step's failure can reach the client.
    fn for_route(
        listen: &Listen,
        access: &AccessPolicy,
        method: &Method,
        calls_out: bool,
    ) -> Vec<ProblemResponse> {
        use ProblemResponse::*;
        let mut problems = vec![BadRequest, NotFound, ProcessFailed, Overloaded];
        if calls_out {
            problems.extend([UpstreamFailed, TimeoutOrUpstream]);
        } else {
            problems.push(Timeout);
        }
        if !access.auth.is_public_only() {
            problems.push(Unauthenticated);
        }
        // Users have address lists and process lists of their own.
        if !access.auth.is_public_only() || access.allow_ips.is_some() {
            problems.push(Forbidden);
        }
        if listen.takes_body() && *method == Method::GET {
            // The next-page GET of a route that takes a body (a GET carries
            // none, so it is no other operation): without a token it is not
            // the route.
            problems.push(MethodNotAllowed);
        } else if listen.takes_body() {
            problems.push(BodyTooLarge);
            if listen.input != DocType::Data {
                problems.push(UnsupportedMediaType);
            }
        } else if matches!(*method, Method::POST | Method::PUT) {
            problems.push(MethodNotAllowed);
        }
        if listen.page_size.is_some() {
            problems.push(PageGone);
        }
        problems
    }

    fn status(self) -> u16 {
        use ProblemResponse::*;
        match self {
            BadRequest => 400,
            Unauthenticated => 401,
            Forbidden => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            PageGone => 410,
            BodyTooLarge => 413,
            UnsupportedMediaType => 415,
            // Listed under the `exception` steps' own statuses; 422 is the usual one.
            ProcessException => 422,
            ProcessFailed => 500,
            UpstreamFailed => 502,
            Overloaded => 503,
            Timeout | TimeoutOrUpstream => 504,
        }
    }

    fn name(self) -> &'static str {
        use ProblemResponse::*;
        match self {
            BadRequest => "BadRequest",
            Unauthenticated => "Unauthenticated",
            Forbidden => "Forbidden",
            NotFound => "NotFound",
            MethodNotAllowed => "MethodNotAllowed",
            PageGone => "PageGone",
            BodyTooLarge => "BodyTooLarge",
            UnsupportedMediaType => "UnsupportedMediaType",
            ProcessException => "ProcessException",
            ProcessFailed => "ProcessFailed",
            UpstreamFailed => "UpstreamFailed",
            Overloaded => "Overloaded",
            Timeout => "Timeout",
            TimeoutOrUpstream => "TimeoutOrUpstream",
        }
    }

    fn description(self) -> &'static str {
        use ProblemResponse::*;
        match self {
            BadRequest => {
                "The request is ambiguous (path, headers), its body is not well-formed, or it does not match the request profile (`errors` lists every violation)."
            }
            Unauthenticated => {
                "Credentials are missing, more than one, of a kind the route does not take, or wrong."
            }
            Forbidden => {
                "The caller may not use this route: the user is not permitted, or the client address is not allowed."
            }
            NotFound => "No route: the path is not (or no longer) served.",
            MethodNotAllowed => {
                "Not a method this route answers: a body sent to a process that takes none, or a GET without `page_token` to one that takes a body."
            }
            PageGone => "The page token was used already, expired or never existed.",
            BodyTooLarge => "The body is over the gateway's `max_body`.",
            UnsupportedMediaType => "The body's content type is not one the route reads.",
            ProcessException => "An `exception` step of the process: its status and message.",
            ProcessFailed => {
                "A step failed unexpectedly; the log has the detail under the execution id."
            }
            Overloaded => "Too many requests are running; retry after a second.",
            UpstreamFailed => {
                "An `http` step's upstream could not be reached, broke off, or answered an error status (`upstream-failed`)."
            }
            Timeout => "The process ran past the gateway's `request_timeout`.",
            TimeoutOrUpstream => {
                "The process ran past the gateway's `request_timeout` (`timeout`), or an `http` step's upstream did not answer within the step's timeout (`upstream-timeout`)."
            }
        }
    }

    fn response(self) -> Value {
        let schema = json!({ "$ref": format!("{SCHEMAS}Problem") });
        let mut response = json!({
            "description": self.description(),
            "content": {
                "application/problem+json": { "schema": schema },
                "application/problem+xml": { "schema": schema },
            }
        });
        let header = match self {
            ProblemResponse::Unauthenticated => Some((
                "WWW-Authenticate",
                "`Basic realm=\"flowgate\"` where the route takes basic credentials.",
            )),
            ProblemResponse::Overloaded => Some(("Retry-After", "Seconds to wait: 1.")),
            _ => None,
        };
        if let Some((name, description)) = header {
            response["headers"] = json!({
                name: { "description": description, "schema": { "type": "string" } }
            });
        }
        response
    }
}

/// The component names of the problem document's schemas.
const PROBLEM_SCHEMAS: [&str; 2] = ["Problem", "ProblemError"];

/// RFC 9457 problem details as flowgate writes them (see
/// `server::problem`): JSON, or XML in the RFC's namespace.
fn problem_schemas() -> [(&'static str, Value); 2] {
    let text = |description: &str| {
        json!({
            "type": "string",
            "description": description,
            "xml": { "namespace": PROBLEM_NAMESPACE }
        })
    };
    let problem = json!({
        "type": "object",
        "description": "An RFC 9457 problem document.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": text("`urn:flowgate:problem:` and the kind of problem (`profile-mismatch`, `unauthenticated`, …)."),
            "title": text("The status's reason phrase."),
            "status": {
                "type": "integer",
                "description": "The HTTP status.",
                "xml": { "namespace": PROBLEM_NAMESPACE }
            },
            "detail": text("What went wrong, for people."),
            "errors": {
                "type": "array",
                "description": "Every violation, for a body that does not match its profile.",
                "items": {
                    "$ref": format!("{SCHEMAS}ProblemError"),
                    "xml": { "name": "error", "namespace": PROBLEM_NAMESPACE }
                },
                "xml": { "wrapped": true, "namespace": PROBLEM_NAMESPACE }
            },
            "execution_id": text("The execution's id, when the request reached a process.")
        },
        "xml": { "name": "problem", "namespace": PROBLEM_NAMESPACE }
    });
    let error = json!({
        "type": "object",
        "required": ["path", "message"],
        "properties": {
            "path": text("Where: a JSON pointer, or an element path like `/Order/Lines/Line[2]/Qty`."),
            "message": text("What is wrong there.")
        }
    });
    [("Problem", problem), ("ProblemError", error)]
}

/// The security schemes, one per way in (a token comes in either header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SecurityScheme {
    Basic,
    Bearer,
    ApiKey,
    MutualTls,
}

impl SecurityScheme {
    fn name(self) -> &'static str {
        match self {
            SecurityScheme::Basic => "basic",
            SecurityScheme::Bearer => "bearer",
            SecurityScheme::ApiKey => "apiKey",
            SecurityScheme::MutualTls => "mutualTLS",
        }
    }

    fn definition(self) -> Value {
        match self {
            SecurityScheme::Basic => json!({
                "type": "http",
                "scheme": "basic",
                "description": "A user's name and password."
            }),
            SecurityScheme::Bearer => json!({
                "type": "http",
                "scheme": "bearer",
                "description": "A user's token as `Authorization: Bearer TOKEN`."
            }),
            SecurityScheme::ApiKey => json!({
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "A user's token in `X-API-Key`."
            }),
            SecurityScheme::MutualTls => json!({
                "type": "mutualTLS",
                "description": "A client certificate (HTTPS only) whose subject or SAN is a user's `cert_subject`."
            }),
        }
    }
}

#[cfg(test)]
mod tests;
