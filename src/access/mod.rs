//! Who may call a route: users, credentials, address allowlists, CORS.
//!
//! Everything here is compiled into the snapshot and checked per request, in
//! the order of SPEC §4: authentication ([`AccessPolicy::authenticate`]),
//! then IP allowlists of the route and the user, then the user's permission
//! ([`AccessPolicy::authorize`]). A denial says which rule refused and why;
//! [`crate::server`] turns it into a 401 or 403.

pub mod cert;
pub mod cors;
pub mod net;
pub mod users;

use std::net::IpAddr;

use base64::Engine as _;
use http::HeaderMap;

use cert::ClientCertificate;
use cors::Cors;
use net::Networks;
use users::{UserId, Users};

/// The header a token may come in, besides `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The ways a route accepts callers (`auth:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthMethods {
    /// Anonymous callers are admitted.
    pub none: bool,
    pub basic: bool,
    pub token: bool,
    pub mtls: bool,
}

impl Default for AuthMethods {
    fn default() -> AuthMethods {
        AuthMethods {
            none: true,
            basic: false,
            token: false,
            mtls: false,
        }
    }
}

impl AuthMethods {
    /// `none, basic` and so on, for messages and `flowgate routes`.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.none, "none"),
            (self.basic, "basic"),
            (self.token, "token"),
            (self.mtls, "mtls"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    /// Whether only anonymous callers are admitted.
    pub fn is_public_only(&self) -> bool {
        self.none && !self.basic && !self.token && !self.mtls
    }
}

/// Who may use a route: compiled from a process's `access:` block, each key
/// falling back to the `[access]` defaults.
#[derive(Clone, Debug, Default)]
pub struct AccessPolicy {
    pub auth: AuthMethods,
    /// User names and roles admitted; `None` admits every user the route
    /// authenticates.
    pub principals: Option<Principals>,
    /// `None`: any address.
    pub allow_ips: Option<Networks>,
    pub cors: Option<Cors>,
}

/// `users: [acme, "role:partners"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principals {
    pub users: Vec<String>,
    pub roles: Vec<String>,
}

/// Why a request is refused, before the process runs.
#[derive(Debug, PartialEq, Eq)]
pub enum Denial {
    /// 401: credentials missing or wrong.
    Unauthenticated(String),
    /// 403: the caller's address is not allowed.
    Address(String),
    /// 403: authenticated, but not allowed on this route.
    Forbidden(String),
    /// 400: a trusted proxy passed on a client address that cannot be read.
    Unreadable(net::UnreadableHop),
}

/// What was refused and why, as the problem's detail says it.
impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denial::Unauthenticated(detail)
            | Denial::Address(detail)
            | Denial::Forbidden(detail) => f.write_str(detail),
            Denial::Unreadable(hop) => write!(f, "{hop}"),
        }
    }
}

/// A credential as the request presents it.
enum Presented<'a> {
    Basic { user: String, password: String },
    Token(&'a str),
}

impl Presented<'_> {
    /// The user whose credential this is, or a 401.
    async fn user(self, users: &Users) -> Result<UserId, Denial> {
        match self {
            Presented::Basic { user, password } => {
                users.by_password(&user, &password).await.ok_or_else(|| {
                    Denial::Unauthenticated("the user name or password is wrong".to_owned())
                })
            }
            Presented::Token(token) => users
                .by_token(token)
                .ok_or_else(|| Denial::Unauthenticated("the token is not known".to_owned())),
        }
    }
}

/// The user whose credential a request presents in its headers, held
/// against every user rather than one route's rules: `Ok(None)` when it
/// presents none, a 401 when what it presents is wrong or unreadable. For
/// the contracts, which anyone may read but which a caller who signs in
/// must sign in to right.
pub async fn identify(users: &Users, headers: &HeaderMap) -> Result<Option<UserId>, Denial> {
    match presented(headers)? {
        Some(presented) => presented.user(users).await.map(Some),
        None => Ok(None),
    }
}

impl AccessPolicy {
    /// Who the caller is: `Ok(None)` for an anonymous caller on a route that
    /// admits one. On a route that takes credentials, a credential the request
    /// presents is always checked, even where anonymous callers are admitted
    /// too: wrong credentials are a 401, never a silent downgrade to
    /// anonymous.
    pub async fn authenticate(
        &self,
        users: &Users,
        headers: &HeaderMap,
        certificate: Option<&ClientCertificate>,
    ) -> Result<Option<UserId>, Denial> {
        let auth = self.auth;
        if auth.is_public_only() {
            // A public route has no use for credentials, so it does not read them.
            return Ok(None);
        }
        let presented = presented(headers)?;
        // A certificate counts as a credential where the route takes one:
        // with a header credential as well, which one was meant is unclear.
        if presented.is_some() && auth.mtls && certificate.is_some() {
            return Err(Denial::Unauthenticated(
                "more than one credential came: a client certificate and an `Authorization` or `X-API-Key` header; send one"
                    .to_owned(),
            ));
        }
        match presented {
            Some(Presented::Basic { .. }) if !auth.basic => Err(self.wrong_method("basic")),
            Some(Presented::Token(_)) if !auth.token => Err(self.wrong_method("token")),
            Some(presented) => presented.user(users).await.map(Some),
            None => match certificate.filter(|_| auth.mtls) {
                Some(certificate) => match users.by_certificate(certificate) {
                    Some(id) => Ok(Some(id)),
                    None => Err(Denial::Forbidden(format!(
                        "the client certificate `{}` is not mapped to a user",
                        certificate.subject
                    ))),
                },
                None if auth.none => Ok(None),
                None => Err(Denial::Unauthenticated(format!(
                    "this route needs credentials: {}",
                    self.accepted()
                ))),
            },
        }
    }

    /// Authentication for a caller inside the process that acts as the user
    /// `name` (`flowgate test`): no secret is presented, so the user must
    /// hold a kind of credential the route takes, as a client of that user
    /// would need one. On a route that only admits anonymous callers the
    /// user is ignored, as credentials are.
    pub fn authenticate_as(&self, users: &Users, name: &str) -> Result<Option<UserId>, Denial> {
        if self.auth.is_public_only() {
            return Ok(None);
        }
        let Some(id) = users.by_name(name) else {
            return Err(Denial::Unauthenticated(format!(
                "there is no user `{name}`"
            )));
        };
        let user = users.get(id);
        let usable = (self.auth.basic && user.password_hash.is_some())
            || (self.auth.token && user.token_sha256.is_some())
            || (self.auth.mtls && user.cert_key.is_some());
        if !usable {
            return Err(Denial::Unauthenticated(format!(
                "user `{name}` has no credential this route takes; it takes {}",
                self.accepted()
            )));
        }
        Ok(Some(id))
    }

    /// The IP allowlists of the route and the user, then the route's users
    /// and roles and the user's process list.
    pub fn authorize(
        &self,
        users: &Users,
        user: Option<UserId>,
        client: IpAddr,
        process: &str,
    ) -> Result<(), Denial> {
        if let Some(nets) = &self.allow_ips
            && !nets.contains(client)
        {
            return Err(Denial::Address(format!(
                "the address {client} may not use this route"
            )));
        }
        let Some(id) = user else {
            return Ok(());
        };
        let user = users.get(id);
        if let Some(nets) = &user.allow_ips
            && !nets.contains(client)
        {
            return Err(Denial::Address(format!(
                "user `{}` may not connect from {client}",
                user.name
            )));
        }
        let listed = self.principals.as_ref().is_none_or(|p| {
            p.users.iter().any(|name| **name == *user.name)
                || p.roles.iter().any(|role| user.has_role(role))
        });
        if !listed || !user.may_run(process) {
            return Err(Denial::Forbidden(format!(
                "user `{}` may not use this route",
                user.name
            )));
        }
        Ok(())
    }

    fn wrong_method(&self, sent: &str) -> Denial {
        Denial::Unauthenticated(format!(
            "this route does not take {sent} credentials; it takes {}",
            self.accepted()
        ))
    }

    fn accepted(&self) -> String {
        let mut ways = Vec::new();
        if self.auth.basic {
            ways.push("basic (Authorization: Basic)");
        }
        if self.auth.token {
            ways.push("a token (Authorization: Bearer or X-API-Key)");
        }
        if self.auth.mtls {
            ways.push("a client certificate over HTTPS");
        }
        ways.join(", or ")
    }
}

/// The one credential in `Authorization` or `X-API-Key`. Two of them, or a
/// scheme flowgate does not take, is a 401 that says so.
fn presented(headers: &HeaderMap) -> Result<Option<Presented<'_>>, Denial> {
    let mut authorization = headers.get_all(http::header::AUTHORIZATION).iter();
    let mut api_key = headers.get_all(API_KEY_HEADER).iter();
    let (authorization, api_key) = match (
        authorization.next(),
        authorization.next(),
        api_key.next(),
        api_key.next(),
    ) {
        (Some(_), Some(_), _, _) | (_, _, Some(_), Some(_)) | (Some(_), _, Some(_), _) => {
            return Err(Denial::Unauthenticated(
                "send one credential: the request has more than one Authorization or X-API-Key header"
                    .to_owned(),
            ));
        }
        (authorization, _, api_key, _) => (authorization, api_key),
    };
    let unreadable = || Denial::Unauthenticated("the credentials are not readable".to_owned());
    if let Some(key) = api_key {
        let key = key.to_str().map_err(|_| unreadable())?.trim();
        return Ok(Some(Presented::Token(key)));
    }
    let Some(value) = authorization else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| unreadable())?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Some(Presented::Token(rest)));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Denial::Unauthenticated(format!(
            "the Authorization scheme `{scheme}` is not one flowgate takes; use Basic or Bearer"
        )));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .map_err(|_| unreadable())?;
    let text = String::from_utf8(decoded).map_err(|_| unreadable())?;
    let (user, password) = text.split_once(':').ok_or_else(unreadable)?;
    Ok(Some(Presented::Basic {
        user: user.to_owned(),
        password: password.to_owned(),
    }))
}

#[cfg(test)]
mod tests;
