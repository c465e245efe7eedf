//! The routing table: which process serves a method and path.
//!
//! Simple URLs (`/ws/simple/createOrder`) are an exact lookup. REST routes
//! (`/ws/rest/orders/{region}`) live in a segment tree where, at each depth,
//! a fixed segment is tried before a `{param}`; the first route that matches
//! the path and the method wins. A path that matches only with other
//! methods is a 405 with the methods it has.

use std::collections::HashMap;

use http::Method;

use crate::snapshot::ProcessId;

pub const SIMPLE_PREFIX: &str = "/ws/simple/";
pub const REST_PREFIX: &str = "/ws/rest";

#[derive(Debug, Default)]
pub struct RouteTable {
    simple: HashMap<String, ProcessId>,
    rest: Segment,
}

#[derive(Debug, Default)]
struct Segment {
    fixed: HashMap<String, Segment>,
    param: Option<Box<Segment>>,
    endpoints: Vec<Endpoint>,
}

#[derive(Debug)]
struct Endpoint {
    method: Method,
    process: ProcessId,
    /// The names of the `{param}` segments on the way here, in order.
    params: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RouteMatch {
    Found {
        process: ProcessId,
        /// Path parameters, as the (decoded) path has them.
        params: Vec<(String, String)>,
    },
    /// The path exists, but not with this method.
    MethodNotAllowed {
        allow: Vec<Method>,
    },
    NotFound,
}

/// A REST pattern that cannot be served, and why.
#[derive(Debug, PartialEq, Eq)]
pub enum PatternError {
    Invalid(String),
    /// Another process already has this method and path.
    Taken(ProcessId),
}

impl RouteTable {
    /// Adds `/ws/simple/{name}`; on a clash, the process that has it.
    pub fn add_simple(&mut self, name: &str, process: ProcessId) -> Result<(), ProcessId> {
        let path = format!("{SIMPLE_PREFIX}{name}");
        match self.simple.get(&path) {
            Some(existing) => Err(*existing),
            None => {
                self.simple.insert(path, process);
                Ok(())
            }
        }
    }

    /// The process whose simple URL ends in `name` (`createOrder`); the
    /// name of a SOAP operation too.
    pub fn by_operation(&self, name: &str) -> Option<ProcessId> {
        self.simple.get(&format!("{SIMPLE_PREFIX}{name}")).copied()
    }

    /// Adds a REST route; `pattern` is the part after `/ws/rest`, e.g. `/orders/{region}`.
    pub fn add_rest(
        &mut self,
        method: Method,
        pattern: &str,
        process: ProcessId,
    ) -> Result<(), PatternError> {
        let segments = parse_pattern(pattern).map_err(PatternError::Invalid)?;
        let mut node = &mut self.rest;
        let mut params = Vec::new();
        for segment in segments {
            node = match segment {
                PatternSegment::Fixed(text) => node.fixed.entry(text).or_default(),
                PatternSegment::Param(name) => {
                    params.push(name);
                    node.param.get_or_insert_with(Default::default)
                }
            };
        }
        if let Some(existing) = node.endpoints.iter().find(|e| e.method == method) {
            return Err(PatternError::Taken(existing.process));
        }
        node.endpoints.push(Endpoint {
            method,
            process,
            params,
        });
        Ok(())
    }

    pub fn lookup(&self, method: &Method, path: &str) -> RouteMatch {
        if let Some(name) = path.strip_prefix(SIMPLE_PREFIX) {
            return match self.simple.get(path) {
                Some(process) if !name.is_empty() => RouteMatch::Found {
                    process: *process,
                    params: Vec::new(),
                },
                _ => RouteMatch::NotFound,
            };
        }
        let matches = self.rest_matches(path);
        // A HEAD is answered as the GET would be (RFC 9110 §9.3.2).
        let takes = |endpoint: &&Endpoint| {
            endpoint.method == *method
                || (*method == Method::HEAD && endpoint.method == Method::GET)
        };
        for (node, values) in &matches {
            if let Some(endpoint) = node.endpoints.iter().find(takes) {
                let params = endpoint
                    .params
                    .iter()
                    .cloned()
                    .zip(values.iter().map(|v| (*v).to_owned()))
                    .collect();
                return RouteMatch::Found {
                    process: endpoint.process,
                    params,
                };
            }
        }
        if matches.is_empty() {
            return RouteMatch::NotFound;
        }
        RouteMatch::MethodNotAllowed {
            allow: methods_of(&matches),
        }
    }

    /// Every method a REST path is served with, HEAD where GET is: the
    /// `Allow` of its answers. A method goes to the first route that has
    /// it, fixed segments before `{param}`s, so the path takes the methods
    /// of every route it matches. Empty for a path no REST route matches.
    pub fn methods(&self, path: &str) -> Vec<Method> {
        methods_of(&self.rest_matches(path))
    }

    /// The REST routes `path` matches, in the order they are tried, with
    /// the values of their `{param}` segments.
    fn rest_matches<'p>(&self, path: &'p str) -> Vec<(&Segment, Vec<&'p str>)> {
        let mut matches = Vec::new();
        let Some(rest) = path.strip_prefix(REST_PREFIX) else {
            return matches;
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return matches;
        }
        let segments = split_path(rest);
        let mut values = Vec::new();
        collect_matches(&self.rest, &segments, &mut values, &mut matches);
        matches
    }

    /// Every route: (method or `None` for any, full path, process).
    pub fn entries(&self) -> Vec<(Option<Method>, String, ProcessId)> {
        let mut out: Vec<_> = self
            .simple
            .iter()
            .map(|(path, id)| (None, path.clone(), *id))
            .collect();
        let mut rest = Vec::new();
        walk(&self.rest, REST_PREFIX.to_owned(), &mut rest);
        out.extend(rest);
        out.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then_with(|| method_order(&a.0).cmp(&method_order(&b.0)))
        });
        out
    }
}

/// The methods of the routes in `matches`, each once, HEAD where GET is.
fn methods_of(matches: &[(&Segment, Vec<&str>)]) -> Vec<Method> {
    let mut allow: Vec<Method> = Vec::new();
    for endpoint in matches.iter().flat_map(|(node, _)| &node.endpoints) {
        if !allow.contains(&endpoint.method) {
            allow.push(endpoint.method.clone());
        }
    }
    if allow.contains(&Method::GET) {
        allow.push(Method::HEAD);
    }
    allow
}

fn method_order(method: &Option<Method>) -> String {
    method.as_ref().map(|m| m.to_string()).unwrap_or_default()
}

fn walk(node: &Segment, prefix: String, out: &mut Vec<(Option<Method>, String, ProcessId)>) {
    for endpoint in &node.endpoints {
        let mut names = endpoint.params.iter();
        let path = prefix
            .split('/')
            .map(|s| match s {
                "{}" => format!("{{{}}}", names.next().map(String::as_str).unwrap_or("")),
                other => other.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        out.push((Some(endpoint.method.clone()), path, endpoint.process));
    }
    for (text, child) in &node.fixed {
        walk(child, format!("{prefix}/{text}"), out);
    }
    if let Some(child) = &node.param {
        walk(child, format!("{prefix}/{{}}"), out);
    }
}

/// Every node that matches the whole path, most specific first.
fn collect_matches<'a, 'p>(
    node: &'a Segment,
    segments: &[&'p str],
    values: &mut Vec<&'p str>,
    out: &mut Vec<(&'a Segment, Vec<&'p str>)>,
) {
    let Some((first, rest)) = segments.split_first() else {
        if !node.endpoints.is_empty() {
            out.push((node, values.clone()));
        }
        return;
    };
    if let Some(child) = node.fixed.get(*first) {
        collect_matches(child, rest, values, out);
    }
    if let Some(child) = &node.param {
        values.push(first);
        collect_matches(child, rest, values, out);
        values.pop();
    }
}

enum PatternSegment {
    Fixed(String),
    Param(String),
}

fn parse_pattern(pattern: &str) -> Result<Vec<PatternSegment>, String> {
    if !pattern.starts_with('/') {
        return Err(format!("the path `{pattern}` must start with `/`"));
    }
    if let Some(why) = unreachable_by_any_request(pattern) {
        return Err(format!("no request can reach the path `{pattern}`: {why}"));
    }
    let trimmed = pattern.trim_end_matches('/');
    let mut seen = Vec::new();
    let mut segments = Vec::new();
    for segment in trimmed.split('/').skip(1) {
        if segment.is_empty() {
            return Err(format!("the path `{pattern}` has an empty segment"));
        }
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid {
                return Err(format!(
                    "`{segment}` is not a valid parameter: use letters, digits, `_` or `-` inside braces"
                ));
            }
            if seen.contains(&name) {
                return Err(format!(
                    "the parameter `{name}` appears twice in `{pattern}`"
                ));
            }
            seen.push(name);
            segments.push(PatternSegment::Param(name.to_owned()));
        } else if segment.contains(['{', '}']) {
            return Err(format!(
                "`{segment}` mixes text and a parameter: a parameter is a whole segment, like `{{id}}`"
            ));
        } else {
            segments.push(PatternSegment::Fixed(segment.to_owned()));
        }
    }
    Ok(segments)
}

/// Why a pattern can never match a request path, if it cannot. Routing
/// sees the path after [`crate::server::guard::normalize_path`]: without
/// the query or fragment, percent-decoded once, and with no backslash,
/// control character or `.`/`..` segment. A pattern that has one of those
/// would be listed by `flowgate routes` and OpenAPI but never be served.
fn unreachable_by_any_request(pattern: &str) -> Option<String> {
    const NEVER_IN_A_PATH: [(char, &str); 4] = [
        (
            '?',
            "a route matches the path only; the query string reaches the process as `request.query`",
        ),
        ('#', "a `#` fragment is never sent to the server"),
        (
            '%',
            "paths are matched after percent-decoding, so write the character itself, not a `%` escape",
        ),
        ('\\', "request paths with a backslash are refused"),
    ];
    if let Some((_, why)) = NEVER_IN_A_PATH.iter().find(|(c, _)| pattern.contains(*c)) {
        return Some((*why).to_owned());
    }
    if let Some(c) = pattern
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Some(format!(
            "it has the character {c:?}, which request paths cannot have"
        ));
    }
    pattern
        .split('/')
        .find(|segment| *segment == "." || *segment == "..")
        .map(|segment| format!("request paths with a `{segment}` segment are refused"))
}

/// Splits a request path into segments; one trailing slash is ignored. The
/// path was decoded by [`crate::server::guard::normalize_path`] already, and
/// is not decoded again.
fn split_path(path: &str) -> Vec<&str> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split('/').skip(1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: usize) -> ProcessId {
        ProcessId::from_index(n)
    }

    fn table(routes: &[(Method, &str)]) -> RouteTable {
        let mut t = RouteTable::default();
        for (i, (method, pattern)) in routes.iter().enumerate() {
            t.add_rest(method.clone(), pattern, id(i)).unwrap();
        }
        t
    }

    #[test]
    fn simple_urls() {
        let mut t = RouteTable::default();
        t.add_simple("getHello", id(0)).unwrap();
        assert_eq!(t.add_simple("getHello", id(1)), Err(id(0)));
        assert_eq!(
            t.lookup(&Method::GET, "/ws/simple/getHello"),
            RouteMatch::Found {
                process: id(0),
                params: vec![]
            }
        );
        assert_eq!(
            t.lookup(&Method::POST, "/ws/simple/gethello"),
            RouteMatch::NotFound
        );
        assert_eq!(t.lookup(&Method::GET, "/ws/simple/"), RouteMatch::NotFound);
    }

    #[test]
    fn params() {
        let t = table(&[(Method::POST, "/orders/{region}")]);
        // Paths arrive decoded; a `%` left in one is text, not an escape.
        assert_eq!(
            t.lookup(&Method::POST, "/ws/rest/orders/eu%2Dwest"),
            RouteMatch::Found {
                process: id(0),
                params: vec![("region".into(), "eu%2Dwest".into())]
            }
        );
        assert_eq!(
            t.lookup(&Method::POST, "/ws/rest/orders/eu/"),
            RouteMatch::Found {
                process: id(0),
                params: vec![("region".into(), "eu".into())]
            }
        );
        assert_eq!(
            t.lookup(&Method::POST, "/ws/rest/orders"),
            RouteMatch::NotFound
        );
        assert_eq!(
            t.lookup(&Method::POST, "/ws/restorders/x"),
            RouteMatch::NotFound
        );
    }

    #[test]
    fn fixed_beats_param_and_falls_back() {
        let t = table(&[
            (Method::GET, "/orders/{id}"),
            (Method::GET, "/orders/latest"),
            (Method::GET, "/orders/{id}/lines"),
        ]);
        let found = |path: &str| match t.lookup(&Method::GET, path) {
            RouteMatch::Found { process, .. } => Some(process),
            _ => None,
        };
        assert_eq!(found("/ws/rest/orders/latest"), Some(id(1)));
        assert_eq!(found("/ws/rest/orders/42"), Some(id(0)));
        // `latest` is fixed one level up, but only the param path goes deeper.
        assert_eq!(found("/ws/rest/orders/latest/lines"), Some(id(2)));
    }

    #[test]
    fn wrong_method_lists_the_allowed_ones() {
        let t = table(&[(Method::POST, "/orders/{r}"), (Method::PUT, "/orders/{r}")]);
        match t.lookup(&Method::GET, "/ws/rest/orders/x") {
            RouteMatch::MethodNotAllowed { allow } => {
                assert_eq!(allow, vec![Method::POST, Method::PUT])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_head_goes_where_a_get_would() {
        let t = table(&[
            (Method::GET, "/items/{id}"),
            (Method::DELETE, "/items/{id}"),
        ]);
        assert!(matches!(
            t.lookup(&Method::HEAD, "/ws/rest/items/x"),
            RouteMatch::Found { params, .. } if params == [("id".to_owned(), "x".to_owned())]
        ));
        match t.lookup(&Method::POST, "/ws/rest/items/x") {
            RouteMatch::MethodNotAllowed { allow } => {
                assert_eq!(allow, vec![Method::GET, Method::DELETE, Method::HEAD])
            }
            other => panic!("{other:?}"),
        }
        let t = table(&[(Method::POST, "/items")]);
        assert!(matches!(
            t.lookup(&Method::HEAD, "/ws/rest/items"),
            RouteMatch::MethodNotAllowed { .. }
        ));
    }

    #[test]
    fn a_path_takes_the_methods_of_every_route_it_matches() {
        // GET /items/latest goes to the fixed route, POST to the param one.
        let t = table(&[
            (Method::GET, "/items/latest"),
            (Method::POST, "/items/{id}"),
            (Method::GET, "/items/{id}"),
        ]);
        assert_eq!(
            t.methods("/ws/rest/items/latest"),
            [Method::GET, Method::POST, Method::HEAD]
        );
        assert_eq!(
            t.methods("/ws/rest/items/7"),
            [Method::POST, Method::GET, Method::HEAD]
        );
        assert!(t.methods("/ws/rest/nothing").is_empty());
        assert!(t.methods("/ws/simple/getItem").is_empty());
        match t.lookup(&Method::DELETE, "/ws/rest/items/latest") {
            RouteMatch::MethodNotAllowed { allow } => {
                assert_eq!(allow, [Method::GET, Method::POST, Method::HEAD])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn clashes_and_bad_patterns() {
        let mut t = table(&[(Method::GET, "/orders/{id}")]);
        assert_eq!(
            t.add_rest(Method::GET, "/orders/{other}", id(5)),
            Err(PatternError::Taken(id(0)))
        );
        assert!(t.add_rest(Method::POST, "/orders/{other}", id(5)).is_ok());
        for bad in [
            "orders",
            "/a//b",
            "/a/{}",
            "/a/x{id}",
            "/a/{id}/{id}",
            "/a/{i d}",
        ] {
            assert!(
                matches!(
                    t.add_rest(Method::GET, bad, id(9)),
                    Err(PatternError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    /// What `normalize_path` refuses or strips before routing, a pattern
    /// cannot have: the route would be listed but never reached.
    #[test]
    fn patterns_no_request_can_reach() {
        let mut t = RouteTable::default();
        for bad in [
            "/a?x=1",
            "/a#top",
            "/b/%2F",
            "/b/caf%C3%A9",
            "/a\\b",
            "/a/b c",
            "/a/\u{7f}",
            "/a/./b",
            "/a/..",
        ] {
            let result = t.add_rest(Method::POST, bad, id(9));
            assert!(
                matches!(&result, Err(PatternError::Invalid(m)) if m.starts_with("no request can reach")),
                "{bad}: {result:?}"
            );
        }
        for good in ["/a.b/..c", "/café", "/a-b_c~d/{id}"] {
            assert_eq!(t.add_rest(Method::POST, good, id(9)), Ok(()), "{good}");
        }
    }

    #[test]
    fn entries_list_every_route() {
        let mut t = table(&[
            (Method::POST, "/orders/{region}"),
            (Method::GET, "/orders/latest"),
        ]);
        t.add_simple("getHello", id(7)).unwrap();
        let paths: Vec<String> = t.entries().into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "/ws/rest/orders/latest",
                "/ws/rest/orders/{region}",
                "/ws/simple/getHello"
            ]
        );
    }

    proptest! {
        /// A route's own path, with any values in its params, finds that route.
        #[test]
        fn routes_find_themselves(
            segments in proptest::collection::vec(("[a-z]{1,6}", any::<bool>()), 1..5),
            value in "[A-Za-z0-9_.~-]{1,8}",
        ) {
            let pattern: String = segments.iter().enumerate()
                .map(|(i, (s, is_param))| if *is_param { format!("/{{p{i}}}") } else { format!("/{s}") })
                .collect();
            let path: String = segments.iter()
                .map(|(s, is_param)| if *is_param { format!("/{value}") } else { format!("/{s}") })
                .collect();
            let t = table(&[(Method::GET, &pattern)]);
            match t.lookup(&Method::GET, &format!("/ws/rest{path}")) {
                RouteMatch::Found { process, params } => {
                    prop_assert_eq!(process, id(0));
                    prop_assert!(params.iter().all(|(_, v)| v == &value));
                    prop_assert_eq!(params.len(), segments.iter().filter(|s| s.1).count());
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }

        /// A fixed segment always wins over a param at the same depth.
        #[test]
        fn fixed_always_wins(fixed in "[a-z]{1,8}") {
            let t = table(&[(Method::GET, "/x/{p}"), (Method::GET, &format!("/x/{fixed}"))]);
            prop_assert_eq!(
                t.lookup(&Method::GET, &format!("/ws/rest/x/{fixed}")),
                RouteMatch::Found { process: id(1), params: vec![] }
            );
        }
    }
}
