//! `[users.NAME]`, `[access]` and each process's `access:` block.
//!
//! A process's access block inherits each key it leaves out (`auth`,
//! `users`, `allow_ips`, `cors`) from the `[access]` defaults. Whatever would
//! leave a route open wider than written is an error; rules that can never
//! admit anybody are warnings.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use http::Method;

use crate::access::cors::{self, Cors};
use crate::access::users::{self, User, Users};
use crate::access::{AccessPolicy, AuthMethods, Principals, cert, net};
use crate::config::de::{Spanned, did_you_mean};
use crate::config::node::Span;
use crate::config::raw::{AuthMethod, RawAccess, RawCors, RawSettings, RawUser};
use crate::diag::{Diagnostics, SourceFile};

/// `[users.NAME]`, each credential checked as it is read. A user whose
/// credential has an error is still added, without that credential, so
/// that access rules naming it report only their own mistakes.
pub fn compile_users(
    raw: &RawSettings,
    source: Option<&SourceFile>,
    diagnostics: &mut Diagnostics,
) -> Users {
    let mut users = Users::default();
    let Some(source) = source else {
        return users;
    };
    for (name, user) in &raw.users {
        if !is_name(&name.value) {
            diagnostics.push(source.error(
                name.span,
                format!(
                    "`{}` is not a user name: use letters, digits, `_`, `-` or `.`",
                    name.value
                ),
            ));
            continue;
        }
        let compiled = compile_user(name, user, source, diagnostics);
        if let Err(clash) = users.add(compiled) {
            diagnostics.push(source.error(
                name.span,
                format!(
                    "users `{}` and `{}` have the same {}; each credential names one user",
                    clash.first, name.value, clash.credential
                ),
            ));
        }
    }
    users
}

fn compile_user(
    name: &Spanned<String>,
    raw: &RawUser,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> User {
    let password_hash =
        raw.password_hash
            .as_ref()
            .and_then(|hash| match users::check_password_hash(&hash.value) {
                Ok(()) => Some(hash.value.as_str().into()),
                Err(message) => {
                    diagnostics.push(source.error(hash.span, message));
                    None
                }
            });
    let token_sha256 = raw
        .token_sha256
        .as_ref()
        .and_then(|token| match users::parse_token_sha256(&token.value) {
            Ok(digest) => Some(digest),
            Err(message) => {
                diagnostics.push(source.error(token.span, message));
                None
            }
        });
    let cert_key =
        raw.cert_subject
            .as_ref()
            .and_then(|subject| match cert::subject_key(&subject.value) {
                Ok(key) => Some(key),
                Err(message) => {
                    diagnostics
                        .push(source.error(subject.span, format!("`cert_subject`: {message}")));
                    None
                }
            });
    for role in &raw.roles {
        if !is_name(&role.value) {
            diagnostics.push(source.error(
                role.span,
                format!(
                    "`{}` is not a role name: use letters, digits, `_`, `-` or `.`",
                    role.value
                ),
            ));
        }
    }
    let allow_ips = networks(&raw.allow_ips, source, diagnostics);
    if raw.password_hash.is_none() && raw.token_sha256.is_none() && raw.cert_subject.is_none() {
        diagnostics.push(
            source
                .warning(
                    name.span,
                    format!(
                        "user `{}` has no credential and can never sign in",
                        name.value
                    ),
                )
                .with_hint("give it a `password_hash`, a `token_sha256` or a `cert_subject`"),
        );
    }
    User {
        name: name.value.as_str().into(),
        password_hash,
        token_sha256,
        cert_key,
        roles: raw.roles.iter().map(|r| r.value.clone()).collect(),
        allow_ips,
        processes: raw
            .processes
            .as_ref()
            .map(|list| list.iter().map(|p| p.value.clone()).collect()),
    }
}

/// The facts access rules are checked against.
pub struct Context<'a> {
    pub users: &'a Users,
    /// Whether `[server.https]` has a `client_ca`, without which `mtls` admits nobody.
    pub client_ca: bool,
    /// Whether flowgate.toml's `[access]`, `[users]` and `[server.https]`
    /// were read whole. When a bad value was left out there, the checks that
    /// weigh a route against them stand aside: they would judge the gap, and
    /// the value's own error already says what is wrong.
    pub settings_whole: bool,
}

/// One access block over `base`: each key given replaces the base's.
/// `whole`: nothing written in the block was left out for a bad value
/// (else its keys are not weighed against each other).
pub fn compile_access(
    raw: &Spanned<RawAccess>,
    base: &AccessPolicy,
    context: &Context<'_>,
    whole: bool,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> AccessPolicy {
    let mut policy = base.clone();
    if let Some(methods) = &raw.auth {
        policy.auth = auth_methods(methods, raw.span, context, whole, source, diagnostics);
    }
    if let Some(entries) = &raw.users {
        policy.principals = principals(entries, context, source, diagnostics);
    }
    if let Some(list) = &raw.allow_ips {
        policy.allow_ips = networks(list, source, diagnostics);
    }
    if let Some(cors) = &raw.cors {
        policy.cors = compile_cors(cors, source, diagnostics);
    }
    if !(whole && context.settings_whole) {
        return policy;
    }
    if policy.auth.none && policy.principals.is_some() {
        diagnostics.push(
            source
                .error(
                    raw.span,
                    "`users` limits who may call, but `auth` has `none`, which admits anybody",
                )
                .with_hint(
                    "drop `none` from `auth` to require one of the listed users, or drop `users`",
                ),
        );
    }
    let takes_credentials = policy.auth.basic || policy.auth.token || policy.auth.mtls;
    if takes_credentials && !policy.auth.none && !anybody_can_sign_in(&policy, context.users) {
        diagnostics.push(source.warning(
            raw.span,
            format!(
                "no user can call this route: none of the users it admits has a credential for {}",
                policy.auth.names().join(" or ")
            ),
        ));
    }
    policy
}

fn auth_methods(
    list: &[Spanned<AuthMethod>],
    block: Span,
    context: &Context<'_>,
    whole: bool,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> AuthMethods {
    let mut methods = AuthMethods {
        none: false,
        basic: false,
        token: false,
        mtls: false,
    };
    for method in list {
        match method.value {
            AuthMethod::None => methods.none = true,
            AuthMethod::Basic => methods.basic = true,
            AuthMethod::Token => methods.token = true,
            AuthMethod::Mtls => {
                methods.mtls = true;
                if !context.client_ca && context.settings_whole {
                    diagnostics.push(
                        source
                            .error(
                                method.span,
                                "`mtls` needs client certificates, but `[server.https]` has no `client_ca`",
                            )
                            .with_hint("set `client_ca` in `[server.https]` of flowgate.toml to the CA that signs client certificates"),
                    );
                }
            }
        }
    }
    // A list emptied by a method that is not one has its own error.
    if list.is_empty() && whole {
        diagnostics.push(
            source
                .error(block, "`auth` lists no method, so nobody could call")
                .with_hint("use `auth: [none]` for a public route"),
        );
        methods.none = false;
    }
    methods
}

/// `users: [acme, "role:partners"]`; an empty list admits every user.
fn principals(
    entries: &[Spanned<String>],
    context: &Context<'_>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<Principals> {
    let users = context.users;
    if entries.is_empty() {
        return None;
    }
    let mut principals = Principals::default();
    let known_roles: BTreeSet<&str> = users
        .iter()
        .flat_map(|u| u.roles.iter().map(String::as_str))
        .collect();
    for entry in entries {
        if let Some(role) = entry.value.strip_prefix("role:") {
            let role = role.trim();
            if !known_roles.contains(role) && context.settings_whole {
                diagnostics
                    .push(source.warning(entry.span, format!("no user has the role `{role}`")));
            }
            principals.roles.push(role.to_owned());
        } else if users.by_name(&entry.value).is_some() {
            principals.users.push(entry.value.clone());
        } else if context.settings_whole {
            let hint = did_you_mean(&entry.value, users.iter().map(|u| &*u.name))
                .map(|name| format!("did you mean `{name}`?"))
                .unwrap_or_else(|| {
                    "users are defined as `[users.NAME]` in flowgate.toml; roles are written `role:NAME`"
                        .to_owned()
                });
            diagnostics.push(
                source
                    .error(entry.span, format!("there is no user `{}`", entry.value))
                    .with_hint(hint),
            );
        }
    }
    Some(principals)
}

/// Whether a user the policy admits has a credential for one of its methods.
fn anybody_can_sign_in(policy: &AccessPolicy, users: &Users) -> bool {
    users.iter().any(|user| {
        let admitted = policy.principals.as_ref().is_none_or(|p| {
            p.users.iter().any(|n| **n == *user.name) || p.roles.iter().any(|r| user.has_role(r))
        });
        let auth = policy.auth;
        admitted
            && ((auth.basic && user.password_hash.is_some())
                || (auth.token && user.token_sha256.is_some())
                || (auth.mtls && user.cert_key.is_some()))
    })
}

/// An allowlist; empty means any address (SPEC §4).
pub fn networks(
    list: &[Spanned<String>],
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<net::Networks> {
    let mut nets = Vec::new();
    for entry in list {
        match net::parse_network(&entry.value) {
            Ok(net) => nets.push(net),
            Err(message) => diagnostics.push(source.error(entry.span, message)),
        }
    }
    (!nets.is_empty()).then(|| net::Networks::new(nets))
}

fn compile_cors(
    raw: &Spanned<RawCors>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<Cors> {
    let credentials = raw.credentials.as_ref().is_some_and(|c| c.value);
    let mut listed = Vec::new();
    let mut any = false;
    for origin in &raw.origins {
        if origin.value.trim() == "*" {
            any = true;
            if credentials {
                diagnostics.push(
                    source
                        .error(
                            origin.span,
                            "`*` cannot be used with `credentials: true`: browsers refuse it",
                        )
                        .with_hint("list the origins that may send credentials"),
                );
            }
            continue;
        }
        match cors::parse_origin(&origin.value) {
            Ok(parsed) => listed.push(parsed),
            Err(message) => diagnostics.push(source.error(origin.span, message)),
        }
    }
    let origins = (!any).then_some(listed);
    if raw.origins.is_empty() {
        diagnostics.push(
            source
                .error(raw.span, "`cors` lists no `origins`")
                .with_hint(
                    "list the browser origins that may call, like `https://app.example.com`",
                ),
        );
    }
    let methods = raw.methods.as_ref().map(|list| {
        list.iter()
            .filter_map(|m| {
                match Method::from_bytes(m.value.trim().to_ascii_uppercase().as_bytes()) {
                    Ok(method) => Some(method),
                    Err(_) => {
                        diagnostics.push(
                            source.error(m.span, format!("`{}` is not an HTTP method", m.value)),
                        );
                        None
                    }
                }
            })
            .collect()
    });
    let headers = match &raw.headers {
        Some(list) => list
            .iter()
            .filter_map(
                |h| match http::HeaderName::from_bytes(h.value.trim().as_bytes()) {
                    Ok(name) => Some(name.as_str().to_owned()),
                    Err(_) => {
                        diagnostics.push(
                            source.error(h.span, format!("`{}` is not a header name", h.value)),
                        );
                        None
                    }
                },
            )
            .collect(),
        None => cors::DEFAULT_HEADERS
            .iter()
            .map(|h| (*h).to_owned())
            .collect(),
    };
    Some(Cors {
        origins,
        methods,
        headers,
        credentials,
        max_age: raw.max_age.map_or(cors::DEFAULT_MAX_AGE, |d| d.0),
    })
}

/// The listeners that other machines can reach, for the warning on public routes.
pub fn exposed_listeners(raw: &RawSettings, plain: Option<SocketAddr>) -> Vec<SocketAddr> {
    let https = raw
        .server
        .https
        .as_ref()
        .and_then(|https| https.listen.trim().parse::<SocketAddr>().ok());
    plain
        .into_iter()
        .chain(https)
        .filter(|addr| !addr.ip().is_loopback())
        .collect()
}

/// User and role names: what `users:` entries and `role:` can spell.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A user's `processes` that name no process: a warning, since the user
/// then simply cannot call it, and a process file may be on its way.
pub fn check_user_processes<'a>(
    raw: &RawSettings,
    process_names: impl Iterator<Item = &'a str> + Clone,
    source: Option<&SourceFile>,
    diagnostics: &mut Diagnostics,
) {
    let Some(source) = source else {
        return;
    };
    for (name, user) in &raw.users {
        for process in user.processes.iter().flatten() {
            if process_names.clone().any(|p| p == process.value) {
                continue;
            }
            let hint = did_you_mean(&process.value, process_names.clone())
                .map(|p| format!("did you mean `{p}`?"));
            diagnostics.push(
                source
                    .warning(
                        process.span,
                        format!(
                            "user `{}` lists `{}`, which is not a process",
                            name.value, process.value
                        ),
                    )
                    .with_hint_opt(hint),
            );
        }
    }
}
