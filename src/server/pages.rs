//! Response paging (SPEC §2.1): the documents past the first page, kept for
//! a while under a single-use token.
//!
//! A list output with more documents than `page_size` answers the first
//! page and a `Link: <path?page_token=T>; rel="next"`; following it answers
//! the next page (and, if more remain, a new token). Tokens are random,
//! single-use and expire after five minutes; the store is bounded in pages
//! and bytes, dropping the oldest first, so a client that never follows its
//! links costs bounded memory.
//!
//! A HEAD on a link must answer the head its GET would, `Link` included,
//! and leave the token as it was: so each kept page has the token of the
//! page after it chosen when it is kept ([`Pending::next_token`]), and a
//! HEAD [`PageStore::peek`]s where a GET [`PageStore::take`]s.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::raw::DocType;

/// How long a token lives.
pub const TOKEN_TTL: Duration = Duration::from_secs(5 * 60);
/// At most this many pages wait at once…
const MAX_PAGES: usize = 10_000;
/// …holding at most this many bytes of documents.
const MAX_BYTES: usize = 64 << 20;

/// The query parameter of a next-page link.
pub const TOKEN_PARAM: &str = "page_token";

/// Whose answer a token continues. Following a link is a request to the
/// same route by the same caller: it passes the route's access checks
/// again, and a token is good only for the path, process and user that got
/// the first page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The path the first page answered.
    pub path: String,
    /// The process that answered it.
    pub process: Arc<str>,
    /// The authenticated user it answered; `None` on a route without authentication.
    pub user: Option<Arc<str>>,
    /// The execution that made the answer: every page carries its id.
    pub execution_id: Arc<str>,
}

impl Owner {
    /// `OtherPath` unless the first page answered `path`.
    fn answered(&self, path: &str) -> Result<(), Gone> {
        if self.path == path {
            Ok(())
        } else {
            Err(Gone::OtherPath)
        }
    }
}

/// What a token stands for: the rest of a list answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rest {
    pub owner: Owner,
    pub output: DocType,
    /// The XML wrapper element, `{Object}List`.
    pub wrapper: String,
    pub page_size: usize,
    pub items: Vec<Bytes>,
}

impl Rest {
    fn bytes(&self) -> usize {
        self.items.iter().map(Bytes::len).sum::<usize>() + self.owner.path.len()
    }
}

/// A kept answer as a request finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub rest: Rest,
    /// The token the rest after the next page is kept under, chosen with
    /// the entry, so a HEAD can name it without keeping anything.
    pub next_token: String,
}

#[derive(Debug)]
struct Entry {
    pending: Pending,
    created: Instant,
}

#[derive(Debug, Default)]
pub struct PageStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Tokens oldest first, for expiry and eviction.
    order: VecDeque<String>,
    bytes: usize,
}

/// Why a token gives nothing.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Gone {
    #[error(
        "the page token is unknown, used already, or expired (tokens live 5 minutes and serve once)"
    )]
    Unknown,
    #[error("the page token belongs to another URL")]
    OtherPath,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the rest of the answer ({0} bytes) is larger than the page store holds ({MAX_BYTES} bytes)"
)]
pub struct TooLarge(pub usize);

/// A new token: random, unguessable.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl PageStore {
    /// Keeps `rest` under `token` (from [`new_token`], or a
    /// [`Pending::next_token`]).
    pub fn put(&self, token: String, rest: Rest) -> Result<(), TooLarge> {
        self.put_at(token, rest, Instant::now())
    }

    fn put_at(&self, token: String, rest: Rest, now: Instant) -> Result<(), TooLarge> {
        let size = rest.bytes();
        if size > MAX_BYTES {
            return Err(TooLarge(size));
        }
        let pending = Pending {
            rest,
            next_token: new_token(),
        };
        let mut inner = self.lock();
        inner.expire(now);
        while inner.entries.len() >= MAX_PAGES || inner.bytes + size > MAX_BYTES {
            if !inner.drop_oldest() {
                break;
            }
        }
        inner.bytes += size;
        inner.order.push_back(token.clone());
        inner.entries.insert(
            token,
            Entry {
                pending,
                created: now,
            },
        );
        Ok(())
    }

    /// Whose answer `token` continues, if it is good for `path`; the token
    /// stays. The caller checks access before it takes the page.
    pub fn owner(&self, token: &str, path: &str) -> Result<Owner, Gone> {
        let mut inner = self.lock();
        inner.expire(Instant::now());
        let owner = &inner
            .entries
            .get(token)
            .ok_or(Gone::Unknown)?
            .pending
            .rest
            .owner;
        owner.answered(path)?;
        Ok(owner.clone())
    }

    /// Takes what `token` stands for; it serves once.
    pub fn take(&self, token: &str, path: &str) -> Result<Pending, Gone> {
        self.take_at(token, path, Instant::now())
    }

    fn take_at(&self, token: &str, path: &str, now: Instant) -> Result<Pending, Gone> {
        let mut inner = self.lock();
        inner.expire(now);
        let entry = inner.entries.get(token).ok_or(Gone::Unknown)?;
        entry.pending.rest.owner.answered(path)?;
        let entry = inner.entries.remove(token).ok_or(Gone::Unknown)?;
        inner.bytes -= entry.pending.rest.bytes();
        inner.order.retain(|t| t != token);
        Ok(entry.pending)
    }

    /// What [`PageStore::take`] would give for the next page, for a HEAD:
    /// the token stays, with the time it has left. Only the items of the
    /// next page are copied, and one more to tell whether another follows.
    pub fn peek(&self, token: &str, path: &str) -> Result<Pending, Gone> {
        self.peek_at(token, path, Instant::now())
    }

    fn peek_at(&self, token: &str, path: &str, now: Instant) -> Result<Pending, Gone> {
        let mut inner = self.lock();
        inner.expire(now);
        let pending = &inner.entries.get(token).ok_or(Gone::Unknown)?.pending;
        let rest = &pending.rest;
        rest.owner.answered(path)?;
        let shown = rest.page_size.saturating_add(1);
        Ok(Pending {
            rest: Rest {
                owner: rest.owner.clone(),
                output: rest.output,
                wrapper: rest.wrapper.clone(),
                page_size: rest.page_size,
                items: rest.items.iter().take(shown).cloned().collect(),
            },
            next_token: pending.next_token.clone(),
        })
    }

    /// Drops the pages of processes `served` no longer names: a token
    /// outlives a reload only while its process is served, and not once it
    /// has been away, even if it comes back.
    pub fn keep_served(&self, served: impl Fn(&str) -> bool) {
        let mut inner = self.lock();
        let mut freed = 0;
        inner.entries.retain(|_, entry| {
            let keep = served(&entry.pending.rest.owner.process);
            if !keep {
                freed += entry.pending.rest.bytes();
            }
            keep
        });
        inner.bytes -= freed;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    fn expire(&mut self, now: Instant) {
        while let Some(oldest) = self.order.front() {
            let expired = self
                .entries
                .get(oldest)
                .is_none_or(|e| now.duration_since(e.created) >= TOKEN_TTL);
            if !expired || !self.drop_oldest() {
                break;
            }
        }
    }

    fn drop_oldest(&mut self) -> bool {
        let Some(token) = self.order.pop_front() else {
            return false;
        };
        if let Some(entry) = self.entries.remove(&token) {
            self.bytes -= entry.pending.rest.bytes();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(path: &str) -> Owner {
        Owner {
            path: path.to_owned(),
            process: "items".into(),
            user: None,
            execution_id: "e-1".into(),
        }
    }

    fn rest(path: &str, items: usize) -> Rest {
        Rest {
            owner: owner(path),
            output: DocType::JsonList,
            wrapper: "ItemList".to_owned(),
            page_size: 2,
            items: (0..items).map(|n| Bytes::from(n.to_string())).collect(),
        }
    }

    fn keep(store: &PageStore, rest: Rest) -> Result<String, TooLarge> {
        let token = new_token();
        store.put(token.clone(), rest)?;
        Ok(token)
    }

    #[test]
    fn tokens_serve_once_and_only_their_path() {
        let store = PageStore::default();
        let token = keep(&store, rest("/ws/simple/queryItems", 3)).unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(store.take(&token, "/other"), Err(Gone::OtherPath));
        let taken = store.take(&token, "/ws/simple/queryItems").unwrap();
        assert_eq!(taken.rest.items.len(), 3);
        assert_eq!(taken.next_token.len(), 32);
        assert_ne!(taken.next_token, token);
        assert_eq!(
            store.take(&token, "/ws/simple/queryItems"),
            Err(Gone::Unknown)
        );
        assert_eq!(
            store.take("made-up", "/ws/simple/queryItems"),
            Err(Gone::Unknown)
        );
    }

    #[test]
    fn a_peek_leaves_the_token_as_it_was() {
        let store = PageStore::default();
        let start = Instant::now();
        let token = new_token();
        store.put_at(token.clone(), rest("/p", 5), start).unwrap();
        assert_eq!(store.peek_at(&token, "/other", start), Err(Gone::OtherPath));
        let peeked = store.peek_at(&token, "/p", start).unwrap();
        // The next page and one more item: enough to tell another page follows.
        assert_eq!(peeked.rest.items.len(), 3);
        assert_eq!(store.peek(&token, "/p").unwrap(), peeked);
        // The token still serves, once, and names the same next token…
        let taken = store.take_at(&token, "/p", start).unwrap();
        assert_eq!(taken.rest.items.len(), 5);
        assert_eq!(taken.next_token, peeked.next_token);
        assert_eq!(store.peek(&token, "/p"), Err(Gone::Unknown));
        // …and a peek neither lengthens nor shortens its life.
        let token = new_token();
        store.put_at(token.clone(), rest("/p", 1), start).unwrap();
        let almost = start + TOKEN_TTL - Duration::from_secs(1);
        assert!(store.peek_at(&token, "/p", almost).is_ok());
        let later = start + TOKEN_TTL;
        assert_eq!(store.peek_at(&token, "/p", later), Err(Gone::Unknown));
        assert_eq!(store.lock().bytes, 0);
    }

    #[test]
    fn a_reload_without_the_process_ends_its_tokens() {
        let store = PageStore::default();
        let mut other = rest("/b", 2);
        other.owner.process = "other".into();
        let other_bytes = other.bytes();
        let gone = keep(&store, rest("/a", 2)).unwrap();
        let kept = keep(&store, other).unwrap();
        store.keep_served(|process| process == "other");
        assert_eq!(store.lock().bytes, other_bytes);
        assert_eq!(store.take(&gone, "/a").unwrap_err(), Gone::Unknown);
        assert!(store.take(&kept, "/b").is_ok());
    }

    #[test]
    fn tokens_expire() {
        let store = PageStore::default();
        let start = Instant::now();
        let token = new_token();
        store.put_at(token.clone(), rest("/p", 1), start).unwrap();
        let later = start + TOKEN_TTL + Duration::from_secs(1);
        assert_eq!(store.take_at(&token, "/p", later), Err(Gone::Unknown));
        assert_eq!(store.lock().bytes, 0);
    }

    #[test]
    fn memory_is_bounded_by_dropping_the_oldest() {
        let store = PageStore::default();
        let big = |n: usize| Rest {
            items: vec![Bytes::from(vec![b'x'; n])],
            ..rest("/p", 0)
        };
        let first = keep(&store, big(40 << 20)).unwrap();
        let second = keep(&store, big(40 << 20)).unwrap();
        assert_eq!(
            store.take(&first, "/p"),
            Err(Gone::Unknown),
            "the oldest made room"
        );
        assert!(store.take(&second, "/p").is_ok());
        assert!(keep(&store, big(65 << 20)).is_err());
        assert!(store.lock().bytes <= MAX_BYTES);
    }
}
