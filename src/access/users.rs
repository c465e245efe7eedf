//! `[users.NAME]`: who can sign in, and how each credential is checked.
//!
//! Secrets are never held in clear: a password is an argon2id PHC string, a
//! token is the SHA-256 of the token. A password check costs tens of
//! milliseconds of CPU, so it runs on the blocking pool, at most one per core
//! at a time, and its verdict is kept for [`VERDICT_TTL`] under the SHA-256 of
//! what was presented: a client that sends the same credentials on every
//! request pays for argon2 once a minute, not once a request. The cache lives
//! in the snapshot, so a reload that changes a password starts it empty.
//!
//! A token check is one SHA-256 of the presented token and a map lookup: less
//! work than handing it to another thread, so it runs inline.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::cert::ClientCertificate;
use super::net::Networks;

/// How long a password check's verdict is reused.
pub const VERDICT_TTL: Duration = Duration::from_secs(60);
/// At most this many verdicts are kept; past it, expired ones go, then all.
const VERDICT_CAPACITY: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserId(u32);

impl UserId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug)]
pub struct User {
    pub name: Arc<str>,
    /// The argon2id PHC string, for basic.
    pub password_hash: Option<Arc<str>>,
    /// The SHA-256 of the token, for `Bearer` and `X-API-Key`.
    pub token_sha256: Option<[u8; 32]>,
    /// The canonical key of `cert_subject` (see [`super::cert::subject_key`]).
    pub cert_key: Option<String>,
    pub roles: Vec<String>,
    /// `None`: any address.
    pub allow_ips: Option<Networks>,
    /// `None`: every process whose access admits the user.
    pub processes: Option<Vec<String>>,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn may_run(&self, process: &str) -> bool {
        self.processes
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == process))
    }
}

/// Every user of a snapshot, indexed by each kind of credential.
#[derive(Debug, Default)]
pub struct Users {
    list: Vec<User>,
    by_name: HashMap<Arc<str>, UserId>,
    by_token: HashMap<[u8; 32], UserId>,
    by_cert: HashMap<String, UserId>,
    verdicts: Verdicts,
}

/// Two users with the same token or certificate subject.
#[derive(Debug, PartialEq, Eq)]
pub struct Clash {
    pub credential: &'static str,
    pub first: Arc<str>,
}

impl Users {
    /// Adds a user; the caller has checked the name is new. A token or
    /// certificate subject that another user has already is not indexed,
    /// and the clash is returned; the user is added all the same, so that
    /// rules naming it still resolve while the error is reported.
    pub fn add(&mut self, user: User) -> Result<UserId, Clash> {
        let id = UserId(u32::try_from(self.list.len()).unwrap_or(u32::MAX));
        let mut clash = None;
        if let Some(token) = user.token_sha256 {
            match self.by_token.get(&token) {
                Some(other) => {
                    clash = Some(Clash {
                        credential: "token",
                        first: self.list[other.index()].name.clone(),
                    });
                }
                None => {
                    self.by_token.insert(token, id);
                }
            }
        }
        if let Some(key) = &user.cert_key {
            match self.by_cert.get(key) {
                Some(other) => {
                    clash = Some(Clash {
                        credential: "certificate subject",
                        first: self.list[other.index()].name.clone(),
                    });
                }
                None => {
                    self.by_cert.insert(key.clone(), id);
                }
            }
        }
        self.by_name.insert(user.name.clone(), id);
        self.list.push(user);
        clash.map_or(Ok(id), Err)
    }

    pub fn get(&self, id: UserId) -> &User {
        &self.list[id.index()]
    }

    pub fn by_name(&self, name: &str) -> Option<UserId> {
        self.by_name.get(name).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The user whose token this is. The map is keyed by the token's
    /// SHA-256, and the stored digest is compared again in constant time.
    pub fn by_token(&self, token: &str) -> Option<UserId> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let id = *self.by_token.get(&digest)?;
        let stored = self.get(id).token_sha256?;
        bool::from(stored.ct_eq(&digest)).then_some(id)
    }

    /// The user a verified client certificate maps to: by subject first, then
    /// by each alternative name in the certificate's order.
    pub fn by_certificate(&self, certificate: &ClientCertificate) -> Option<UserId> {
        certificate
            .keys
            .iter()
            .find_map(|key| self.by_cert.get(key).copied())
    }

    /// Checks a user name and password; the verdict is cached (see the module doc).
    pub async fn by_password(&self, name: &str, password: &str) -> Option<UserId> {
        let verdict = self.verdicts.entry(credential_digest(name, password));
        if let Some(user) = verdict.user.get() {
            return *user;
        }
        let user = self.by_name(name);
        let hash = user.and_then(|id| self.get(id).password_hash.clone());
        let password = password.to_owned();
        *verdict
            .user
            .get_or_init(|| async move {
                let matches = verify_password(hash, password).await;
                if matches { user } else { None }
            })
            .await
    }
}

/// A verdict per presented credential; concurrent checks of the same
/// credential wait for one argon2 run instead of each starting their own.
#[derive(Debug, Default)]
struct Verdicts(RwLock<HashMap<[u8; 32], Arc<Verdict>>>);

#[derive(Debug)]
struct Verdict {
    created: Instant,
    user: tokio::sync::OnceCell<Option<UserId>>,
}

impl Verdicts {
    /// The verdict for `key`: cached, being computed, or new and empty.
    fn entry(&self, key: [u8; 32]) -> Arc<Verdict> {
        let now = Instant::now();
        let fresh = |v: &Verdict| now.duration_since(v.created) < VERDICT_TTL;
        if let Ok(map) = self.0.read()
            && let Some(verdict) = map.get(&key).filter(|v| fresh(v))
        {
            return verdict.clone();
        }
        let mut map = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(verdict) = map.get(&key).filter(|v| fresh(v)) {
            return verdict.clone();
        }
        if map.len() >= VERDICT_CAPACITY {
            map.retain(|_, v| fresh(v));
            if map.len() >= VERDICT_CAPACITY {
                map.clear();
            }
        }
        let verdict = Arc::new(Verdict {
            created: now,
            user: tokio::sync::OnceCell::new(),
        });
        map.insert(key, verdict.clone());
        verdict
    }
}

/// What the cache is keyed by: the SHA-256 of the user name and password,
/// never the password itself.
fn credential_digest(name: &str, password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"flowgate basic\0");
    hasher.update((name.len() as u64).to_be_bytes());
    hasher.update(name.as_bytes());
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

/// Password checks at once, at most: one per core, so a flood of wrong
/// passwords cannot take every thread of the blocking pool.
static PASSWORD_CHECKS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(cores)
});

/// A hash no password matches in practice, checked when the user is unknown
/// or has no password, so that an unknown name takes as long as a wrong
/// password.
static DECOY_HASH: LazyLock<Arc<str>> = LazyLock::new(|| {
    let random = uuid::Uuid::new_v4();
    hash_password(random.as_simple().to_string().as_bytes())
        .unwrap_or_default()
        .into()
});

/// Runs argon2 on the blocking pool. `None` checks the decoy and fails.
async fn verify_password(hash: Option<Arc<str>>, password: String) -> bool {
    let Ok(_permit) = PASSWORD_CHECKS.acquire().await else {
        return false;
    };
    let known = hash.is_some();
    let checked = tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| DECOY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await;
    known && checked.unwrap_or(false)
}

/// The argon2id PHC string of `password`, with a fresh random salt and the
/// argon2 crate's default cost (19 MiB, 2 passes): what `flowgate
/// hash-password` prints.
pub fn hash_password(password: &[u8]) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| format!("cannot hash the password: {err}"))
}

/// Checks a `password_hash` from flowgate.toml: an argon2id PHC string
/// whose parameters argon2 accepts.
pub fn check_password_hash(text: &str) -> Result<(), String> {
    let hash = PasswordHash::new(text).map_err(|err| {
        format!(
            "`password_hash` is not a PHC string ({err}); make one with `flowgate hash-password`"
        )
    })?;
    if hash.algorithm != argon2::Algorithm::Argon2id.ident() {
        return Err(format!(
            "`password_hash` uses `{}`; flowgate takes argon2id only (make one with `flowgate hash-password`)",
            hash.algorithm
        ));
    }
    argon2::Params::try_from(&hash)
        .map(|_| ())
        .map_err(|err| format!("`password_hash` has parameters argon2 refuses: {err}"))?;
    if hash.hash.is_none() || hash.salt.is_none() {
        return Err("`password_hash` has no salt or no hash part".to_owned());
    }
    Ok(())
}

/// Reads a `token_sha256`: 64 hexadecimal digits.
pub fn parse_token_sha256(text: &str) -> Result<[u8; 32], String> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut digest).map_err(|_| {
        "`token_sha256` must be 64 hexadecimal digits: the SHA-256 of the token, e.g. from `printf %s \"$TOKEN\" | sha256sum`".to_owned()
    })?;
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> User {
        User {
            name: name.into(),
            password_hash: None,
            token_sha256: None,
            cert_key: None,
            roles: Vec::new(),
            allow_ips: None,
            processes: None,
        }
    }

    fn sha256(text: &str) -> [u8; 32] {
        Sha256::digest(text.as_bytes()).into()
    }

    #[test]
    fn tokens_are_found_by_their_digest() {
        let mut users = Users::default();
        let acme = users
            .add(User {
                token_sha256: Some(sha256("s3cret")),
                ..user("acme")
            })
            .unwrap();
        assert_eq!(users.by_token("s3cret"), Some(acme));
        assert_eq!(users.by_token("s3cret "), None);
        assert_eq!(users.by_token(""), None);
        let clash = users
            .add(User {
                token_sha256: Some(sha256("s3cret")),
                ..user("other")
            })
            .unwrap_err();
        assert_eq!(clash.first.as_ref(), "acme");
    }

    #[tokio::test]
    async fn passwords_are_checked_with_argon2_and_the_verdict_is_reused() {
        let mut users = Users::default();
        let hash = hash_password(b"correct horse").unwrap();
        check_password_hash(&hash).unwrap();
        let acme = users
            .add(User {
                password_hash: Some(hash.into()),
                ..user("acme")
            })
            .unwrap();
        users.add(user("nopass")).unwrap();
        assert_eq!(users.by_password("acme", "correct horse").await, Some(acme));
        assert_eq!(users.by_password("acme", "correct horse!").await, None);
        assert_eq!(users.by_password("ACME", "correct horse").await, None);
        assert_eq!(users.by_password("nopass", "").await, None);
        assert_eq!(users.by_password("nobody", "correct horse").await, None);
        // The verdict is cached under the credential's digest.
        let verdict = users
            .verdicts
            .entry(credential_digest("acme", "correct horse"));
        assert_eq!(verdict.user.get(), Some(&Some(acme)));
        // Name and password cannot be shifted into one another.
        assert_ne!(credential_digest("ab", "c"), credential_digest("a", "bc"));
    }

    #[test]
    fn stored_credentials_are_checked_when_read() {
        assert!(
            check_password_hash("hunter2")
                .unwrap_err()
                .contains("hash-password")
        );
        let argon2i = "$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$3vUQ0ZfHWSw6A4Qvp7GTWA";
        assert!(
            check_password_hash(argon2i)
                .unwrap_err()
                .contains("argon2id only")
        );
        assert!(parse_token_sha256("abc").is_err());
        let digest = hex::encode(sha256("t"));
        assert_eq!(
            parse_token_sha256(&digest.to_uppercase()).unwrap(),
            sha256("t")
        );
    }

    #[test]
    fn the_cache_stays_bounded() {
        let verdicts = Verdicts::default();
        for i in 0..(VERDICT_CAPACITY + 10) {
            verdicts.entry(credential_digest("u", &i.to_string()));
        }
        assert!(verdicts.0.read().unwrap().len() <= VERDICT_CAPACITY);
    }
}
