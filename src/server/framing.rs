//! Spotting requests whose body framing is in doubt.
//!
//! A request with both `Content-Length` and `Transfer-Encoding` is the
//! classic request-smuggling vector: a proxy in front may frame the body by
//! one header and flowgate by the other. hyper frames such a request by
//! `Transfer-Encoding`, closes the connection after it, and drops
//! `Content-Length` before the request reaches flowgate, so the handler
//! cannot see the conflict. [`Framing`] follows the HTTP/1.1 byte stream
//! beneath hyper (heads, `Content-Length` bodies, chunked bodies) and raises
//! a per-connection flag when a head carries both, so the request is answered
//! with a 400 and the connection closes.
//!
//! It only reads along: hyper stays the parser that counts. Whatever the
//! scanner does not understand (HTTP/2, upgrades, a malformed head) stops it;
//! hyper refuses such input on its own.
//!
//! hyper's answer to a head it cannot parse is a bare status: no body, no
//! word on what was wrong. The scanner reads each head first, with the same
//! parser (httparse) and the same limits, and notes why hyper will refuse it
//! (a [`HeadRefusal`]). When hyper then writes its automatic answer with that
//! status, [`Framing`] writes a problem document in its place; the
//! connection closes after it either way. A head hyper refuses for a reason
//! the scanner did not see keeps hyper's bare answer.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::problem::{Problem, kind};

/// hyper's limit on header fields per HTTP/1 request; HTTP/2 requests are
/// held to the same count (`guard::check_h2_head`).
pub(super) const MAX_HEADERS: usize = 100;
/// The longest request target `http::Uri` takes; hyper answers 414 past it.
const MAX_TARGET: usize = u16::MAX as usize - 1;

/// The flag a connection's requests check.
#[derive(Clone, Debug, Default)]
pub struct Conflict(Arc<AtomicBool>);

impl Conflict {
    pub fn seen(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// An HTTP/1 stream that reads along with hyper (see the module doc).
pub struct Framing<S> {
    inner: S,
    scanner: Scanner,
    conflict: Conflict,
    /// Why hyper will refuse a head the scanner has seen.
    refusal: Option<HeadRefusal>,
    /// The problem document going out in place of hyper's bare answer, and
    /// how much of it is written.
    answer: Option<(Vec<u8>, usize)>,
}

impl<S> Framing<S> {
    /// `max_head` is hyper's `max_buf_size`: a head that does not end
    /// within it is refused with 431.
    pub fn new(inner: S, max_head: usize) -> (Framing<S>, Conflict) {
        let conflict = Conflict::default();
        let framing = Framing {
            inner,
            scanner: Scanner::new(max_head),
            conflict: conflict.clone(),
            refusal: None,
            answer: None,
        };
        (framing, conflict)
    }
}

impl<S: AsyncWrite + Unpin> Framing<S> {
    /// Whether `bytes` are hyper's automatic answer to the head the scanner
    /// refused (or that answer being replaced already).
    fn answering(&mut self, bytes: &[u8]) -> bool {
        if self.answer.is_some() {
            return true;
        }
        let status = automatic_answer(bytes);
        let Some(refusal) = self.refusal.take_if(|r| status == Some(r.status)) else {
            return false;
        };
        self.answer = Some((refusal.answer(bytes), 0));
        true
    }

    /// Writes the problem document; `len` bytes of hyper's answer count as
    /// written once all of it is.
    fn poll_answer(&mut self, cx: &mut Context<'_>, len: usize) -> Poll<std::io::Result<usize>> {
        if let Some((bytes, written)) = &mut self.answer {
            while *written < bytes.len() {
                match ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))? {
                    0 => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                    n => *written += n,
                }
            }
        }
        self.answer = None;
        Poll::Ready(Ok(len))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Framing<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let this = &mut *self;
            if !matches!(this.scanner.state, State::Off) {
                let seen = this.scanner.feed(&buf.filled()[before..]);
                if seen.conflict {
                    this.conflict.0.store(true, Ordering::Relaxed);
                }
                if this.refusal.is_none() {
                    this.refusal = seen.refusal;
                }
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Framing<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if (this.refusal.is_some() || this.answer.is_some()) && this.answering(buf) {
            return this.poll_answer(cx, buf.len());
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.refusal.is_some() || this.answer.is_some() {
            // hyper's automatic answer is a head alone, in one piece.
            let mut pieces = bufs.iter().filter(|b| !b.is_empty());
            if let (Some(only), None) = (pieces.next(), pieces.next())
                && this.answering(only)
            {
                return this.poll_answer(cx, only.len());
            }
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Why hyper will refuse a request head: the status of its automatic
/// answer, and what the client did wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadRefusal {
    status: StatusCode,
    detail: String,
}

impl HeadRefusal {
    fn bad(detail: impl Into<String>) -> HeadRefusal {
        HeadRefusal {
            status: StatusCode::BAD_REQUEST,
            detail: detail.into(),
        }
    }

    fn too_large(max_head: usize) -> HeadRefusal {
        HeadRefusal {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            detail: format!(
                "the request line and headers are over {max_head} bytes (`max_header_bytes`)"
            ),
        }
    }

    /// Why httparse refused a head.
    fn parse(error: httparse::Error) -> HeadRefusal {
        let detail = match error {
            httparse::Error::HeaderName => {
                "a header name holds a character no header name may hold"
            }
            httparse::Error::HeaderValue => "a header value holds a control character",
            httparse::Error::NewLine => "a line of the request head does not end with CRLF",
            httparse::Error::Token | httparse::Error::Status => {
                "the request line is not `METHOD TARGET HTTP/1.1`: a character that is not \
                 allowed there, or a space too many"
            }
            httparse::Error::Version => {
                "the request line does not end with `HTTP/1.1` (or `HTTP/1.0`): another \
                 version, or a space in the target"
            }
            httparse::Error::TooManyHeaders => {
                return HeadRefusal {
                    status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    detail: format!("the request has more than {MAX_HEADERS} header fields"),
                };
            }
        };
        HeadRefusal::bad(detail)
    }

    /// Why hyper will refuse a request target, if it will (`http::Uri` is its parser).
    fn target(target: &[u8]) -> Option<HeadRefusal> {
        // An absolute path of the characters paths are made of, as nearly
        // every request target is, needs no second parse.
        let plain = target.first() == Some(&b'/')
            && target.len() <= MAX_TARGET
            && target
                .iter()
                .all(|&b| (0x21..=0x7e).contains(&b) && !matches!(b, b'<' | b'>' | b'`'));
        if plain {
            return None;
        }
        if target.len() > MAX_TARGET {
            return Some(HeadRefusal {
                status: StatusCode::URI_TOO_LONG,
                detail: format!("the request target is over {MAX_TARGET} bytes"),
            });
        }
        let error = http::Uri::try_from(target).err()?;
        Some(HeadRefusal::bad(format!(
            "the request target is not a valid URI ({error}): percent-encode characters \
             such as spaces, `<`, `>` and non-ASCII text"
        )))
    }

    /// The whole answer: a problem document, dated as hyper dated its own.
    fn answer(&self, automatic: &[u8]) -> Vec<u8> {
        let kind = match self.status {
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => kind::HEAD_TOO_LARGE,
            StatusCode::URI_TOO_LONG => kind::TARGET_TOO_LONG,
            _ => kind::BAD_REQUEST,
        };
        let (content_type, body) = Problem::new(self.status, kind, &self.detail).render(false);
        let date = header_line(automatic, b"date: ").unwrap_or_default();
        let mut answer = format!(
            "HTTP/1.1 {}\r\nconnection: close\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
            self.status,
            content_type.to_str().unwrap_or("application/problem+json"),
            body.len()
        )
        .into_bytes();
        answer.extend_from_slice(date);
        answer.extend_from_slice(b"\r\n");
        answer.extend_from_slice(&body);
        answer
    }
}

/// The status of hyper's automatic answer to a head it could not parse (a
/// status line, `connection: close`, `content-length: 0`, a date, no body),
/// when `bytes` are one.
fn automatic_answer(bytes: &[u8]) -> Option<StatusCode> {
    let status = StatusCode::from_bytes(bytes.strip_prefix(b"HTTP/1.1 ")?.get(..3)?).ok()?;
    let whole_head = find_end(bytes) == Some(bytes.len());
    let empty = header_line(bytes, b"content-length: ") == Some(b"content-length: 0\r\n");
    let closing = header_line(bytes, b"connection: ") == Some(b"connection: close\r\n");
    (whole_head && empty && closing).then_some(status)
}

/// The line of `head` that starts with `name`, with its CRLF.
fn header_line<'h>(head: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    let start = head
        .windows(name.len() + 2)
        .position(|w| w.starts_with(b"\r\n") && &w[2..] == name)?
        + 2;
    let end = head[start..].windows(2).position(|w| w == b"\r\n")? + start + 2;
    Some(&head[start..end])
}

/// What one piece of the stream held.
#[derive(Debug, Default)]
struct Seen {
    /// A head with both `Content-Length` and `Transfer-Encoding`.
    conflict: bool,
    /// A head hyper will refuse.
    refusal: Option<HeadRefusal>,
}

#[derive(Debug)]
struct Scanner {
    state: State,
    /// A head that arrived in pieces.
    head: Vec<u8>,
    /// hyper's limit: a head must end within this many bytes.
    max_head: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    #[default]
    Head,
    /// Skipping a `Content-Length` body.
    Body(u64),
    /// In a chunk-size line (digits, extensions), up to its LF.
    ChunkSize {
        size: u64,
        digits: bool,
        ext: bool,
    },
    /// Skipping chunk data, then its CRLF.
    ChunkData(u64),
    ChunkDataEnd {
        cr: bool,
    },
    /// After the last chunk: trailer lines, up to an empty one.
    Trailer {
        line_len: usize,
    },
    /// Not following any more.
    Off,
}

impl Scanner {
    fn new(max_head: usize) -> Scanner {
        Scanner {
            state: State::default(),
            head: Vec::new(),
            max_head,
        }
    }

    /// Follows `bytes`: whether a head with both framing headers passed,
    /// and whether one hyper will refuse did.
    fn feed(&mut self, mut bytes: &[u8]) -> Seen {
        let mut seen = Seen::default();
        while !bytes.is_empty() {
            match self.state {
                State::Off => break,
                State::Head => match self.head_step(bytes) {
                    HeadStep::Need => break,
                    HeadStep::Done(used, head) => {
                        match head {
                            Head::Fine => {}
                            Head::Conflict => seen.conflict = true,
                            Head::Refused(refusal) => {
                                seen.refusal.get_or_insert(refusal);
                            }
                        }
                        bytes = &bytes[used..];
                    }
                },
                State::Body(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[take..];
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::Body(left)
                    };
                }
                State::ChunkData(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[take..];
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::ChunkDataEnd { cr: false }
                    } else {
                        State::ChunkData(left)
                    };
                }
                _ => {
                    self.chunk_byte(bytes[0]);
                    bytes = &bytes[1..];
                }
            }
        }
        seen
    }

    fn chunk_byte(&mut self, byte: u8) {
        self.state = match self.state {
            State::ChunkSize { size, digits, ext } => match byte {
                b'\n' if digits && size == 0 => State::Trailer { line_len: 0 },
                b'\n' if digits => State::ChunkData(size),
                b'\r' => State::ChunkSize { size, digits, ext },
                _ if ext => State::ChunkSize { size, digits, ext },
                b';' | b' ' | b'\t' if digits => State::ChunkSize {
                    size,
                    digits,
                    ext: true,
                },
                _ => match (byte as char).to_digit(16) {
                    Some(d) => match size.checked_mul(16).and_then(|s| s.checked_add(d.into())) {
                        Some(size) => State::ChunkSize {
                            size,
                            digits: true,
                            ext,
                        },
                        None => State::Off,
                    },
                    None => State::Off,
                },
            },
            State::ChunkDataEnd { cr: false } if byte == b'\r' => State::ChunkDataEnd { cr: true },
            State::ChunkDataEnd { .. } if byte == b'\n' => State::ChunkSize {
                size: 0,
                digits: false,
                ext: false,
            },
            State::Trailer { line_len } => match byte {
                b'\n' if line_len == 0 => State::Head,
                b'\n' => State::Trailer { line_len: 0 },
                b'\r' => State::Trailer { line_len },
                _ => State::Trailer {
                    line_len: line_len + 1,
                },
            },
            _ => State::Off,
        };
    }

    /// Reads a head from what was buffered plus `bytes`.
    fn head_step(&mut self, bytes: &[u8]) -> HeadStep {
        // Most heads arrive whole in one read: parse them where they are.
        if self.head.is_empty()
            && let Some(end) = find_end(bytes)
        {
            return HeadStep::Done(end, self.whole_head(&bytes[..end]));
        }
        let start = self.head.len().saturating_sub(3);
        let take = bytes
            .len()
            .min(self.max_head + 1 - self.head.len().min(self.max_head));
        self.head.extend_from_slice(&bytes[..take]);
        let Some(end) = find_end(&self.head[start..]).map(|e| e + start) else {
            // hyper parses what it has as it comes: a head that goes wrong
            // early is refused before it ends.
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let refusal = match httparse::Request::new(&mut headers).parse(&self.head) {
                Err(error) => Some(HeadRefusal::parse(error)),
                Ok(_) if self.head.len() >= self.max_head => {
                    Some(HeadRefusal::too_large(self.max_head))
                }
                Ok(_) => None,
            };
            return match refusal {
                Some(refusal) if !self.head.starts_with(b"PRI * HTTP/2.0") => {
                    self.state = State::Off;
                    self.head = Vec::new();
                    HeadStep::Done(take, Head::Refused(refusal))
                }
                _ => HeadStep::Need,
            };
        };
        let head = std::mem::take(&mut self.head);
        let used = end - (head.len() - take);
        HeadStep::Done(used, self.whole_head(&head[..end]))
    }

    /// A whole head: what it says, and what follows it.
    fn whole_head(&mut self, head: &[u8]) -> Head {
        let parsed = self.parse(head);
        if head.len() > self.max_head
            && let Head::Fine = parsed
        {
            // Past hyper's limit: refused with 431, though the scanner
            // follows on should hyper have taken it after all.
            return Head::Refused(HeadRefusal::too_large(self.max_head));
        }
        parsed
    }

    /// Parses one whole head and sets what follows it; the scanner stops
    /// at what it does not follow.
    fn parse(&mut self, head: &[u8]) -> Head {
        if head.starts_with(b"PRI * HTTP/2.0") {
            self.state = State::Off;
            return Head::Fine;
        }
        // Left uninitialized: httparse writes the ones the head has, and
        // zeroing all of them would cost more than parsing a usual head.
        let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut []);
        let refusal = match request.parse_with_uninit_headers(head, &mut headers) {
            Ok(httparse::Status::Complete(_)) => request
                .path
                .and_then(|target| HeadRefusal::target(target.as_bytes())),
            Ok(httparse::Status::Partial) => None,
            Err(error) => Some(HeadRefusal::parse(error)),
        };
        if let Some(refusal) = refusal {
            self.state = State::Off;
            return Head::Refused(refusal);
        }
        let mut length: Option<u64> = None;
        let mut has_length = false;
        let mut chunked = None;
        let mut upgrade = request.method == Some("CONNECT");
        // In hyper's order: a length after a `Transfer-Encoding` is not read.
        for header in request.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                has_length = true;
                if chunked.is_some() {
                    continue;
                }
                let refusal = match (length, digits(header.value)) {
                    (_, None) => "`Content-Length` is not a number",
                    (Some(previous), Some(value)) if previous != value => {
                        "the request has two different `Content-Length` values"
                    }
                    (_, value) => {
                        length = value;
                        continue;
                    }
                };
                self.state = State::Off;
                return Head::Refused(HeadRefusal::bad(refusal));
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                if request.version == Some(0) {
                    self.state = State::Off;
                    return Head::Refused(HeadRefusal::bad(
                        "`Transfer-Encoding` is not allowed in an HTTP/1.0 request",
                    ));
                }
                let last = header.value.rsplit(|b| *b == b',').next().unwrap_or(b"");
                chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if header.name.eq_ignore_ascii_case("upgrade") {
                upgrade = true;
            }
        }
        if chunked == Some(false) {
            self.state = State::Off;
            return Head::Refused(HeadRefusal::bad(
                "the last `Transfer-Encoding` of a request must be `chunked`",
            ));
        }
        if has_length && chunked.is_some() {
            self.state = State::Off;
            return Head::Conflict;
        }
        self.state = match (upgrade, chunked, length) {
            (true, _, _) => State::Off,
            (_, Some(_), _) => State::ChunkSize {
                size: 0,
                digits: false,
                ext: false,
            },
            (_, None, Some(0) | None) => State::Head,
            (_, None, Some(n)) => State::Body(n),
        };
        Head::Fine
    }
}

enum HeadStep {
    Need,
    /// The head ended (or was refused) this many bytes into the input.
    Done(usize, Head),
}

/// What a head says.
enum Head {
    Fine,
    /// Both `Content-Length` and `Transfer-Encoding`.
    Conflict,
    Refused(HeadRefusal),
}

/// A `Content-Length` value as hyper reads it: ASCII digits and nothing else.
fn digits(value: &[u8]) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |length, &b| {
        let digit = char::from(b).to_digit(10)?;
        length.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn find_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAX_HEAD: usize = 16 * 1024;

    fn scanner() -> Scanner {
        Scanner::new(MAX_HEAD)
    }

    fn conflicts(stream: &[u8]) -> bool {
        scanner().feed(stream).conflict
    }

    /// The same stream, fed in pieces of `size` bytes.
    fn conflicts_in_pieces(stream: &[u8], size: usize) -> bool {
        let mut scanner = scanner();
        stream
            .chunks(size.max(1))
            .any(|piece| scanner.feed(piece).conflict)
    }

    /// Why the scanner expects hyper to refuse `stream`, fed whole and in
    /// pieces of every size up to 16 bytes (the verdicts must agree).
    fn refusal(stream: &[u8]) -> Option<HeadRefusal> {
        let whole = scanner().feed(stream).refusal;
        for size in 1..=16 {
            let mut scanner = scanner();
            let pieces = stream
                .chunks(size)
                .find_map(|piece| scanner.feed(piece).refusal);
            assert_eq!(pieces, whole, "pieces of {size}");
        }
        whole
    }

    fn refused(stream: &[u8], status: u16, says: &str) {
        let refusal = refusal(stream)
            .unwrap_or_else(|| panic!("{:?} is refused", String::from_utf8_lossy(stream)));
        assert_eq!(refusal.status.as_u16(), status, "{refusal:?}");
        assert!(
            refusal.detail.contains(says),
            "{refusal:?} for {:?}",
            String::from_utf8_lossy(stream)
        );
    }

    const SMUGGLE_CL_FIRST: &[u8] =
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    const SMUGGLE_TE_FIRST: &[u8] =
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n";

    #[test]
    fn both_framing_headers_in_either_order() {
        assert!(conflicts(SMUGGLE_CL_FIRST));
        assert!(conflicts(SMUGGLE_TE_FIRST));
        assert!(!conflicts(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    }

    #[test]
    fn bodies_are_skipped_so_later_heads_are_found() {
        // A body that looks like a smuggled head is data, not a head.
        let body = "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let innocent = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            body.len()
        );
        assert!(!conflicts(innocent.as_bytes()));
        let chunked = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x};ext=1\r\n{body}\r\n0\r\nTrailer: t\r\n\r\n",
            body.len()
        );
        assert!(!conflicts(chunked.as_bytes()));
        // ...and a real one after those bodies is found.
        let mut stream = innocent.into_bytes();
        stream.extend_from_slice(chunked.as_bytes());
        stream.extend_from_slice(SMUGGLE_TE_FIRST);
        assert!(conflicts(&stream));
        for size in [1, 2, 3, 7, 64] {
            assert!(conflicts_in_pieces(&stream, size), "pieces of {size}");
        }
    }

    #[test]
    fn what_it_does_not_understand_stops_it() {
        let mut scanner = scanner();
        let seen = scanner.feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assert!(!seen.conflict && seen.refusal.is_none());
        assert_eq!(scanner.state, State::Off);
        let mut scanner = self::scanner();
        assert!(
            !scanner
                .feed(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")
                .conflict
        );
        assert_eq!(scanner.state, State::Off);
        let mut scanner = self::scanner();
        let seen = scanner.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assert!(seen.refusal.is_none());
        assert_eq!(scanner.state, State::Off);
        let mut scanner = self::scanner();
        scanner.feed(&vec![b'a'; MAX_HEAD + 10]);
        assert_eq!(scanner.state, State::Off);
    }

    #[test]
    fn heads_hyper_cannot_parse_are_refused_with_the_reason() {
        refused(b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n", 400, "header name");
        refused(
            b"GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n",
            400,
            "control character",
        );
        refused(b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request line");
        refused(b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request line");
        refused(b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 400, "HTTP/1.1");
        refused(
            b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "request line",
        );
        refused(
            b"GET /a<b HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "not a valid URI",
        );
        refused(
            b"GET /a?q=<x> HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "not a valid URI",
        );
        refused(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            400,
            "two different `Content-Length`",
        );
        refused(
            b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
            400,
            "not a number",
        );
        refused(
            b"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
            400,
            "not a number",
        );
        refused(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            400,
            "must be `chunked`",
        );
        refused(
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
            "HTTP/1.0",
        );
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        refused(
            format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(),
            431,
            "header fields",
        );
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        refused(long.as_bytes(), 431, "max_header_bytes");
        // Still open: refused as soon as it is over the limit.
        refused(&long.as_bytes()[..MAX_HEAD + 5], 431, "max_header_bytes");
        // Wrong from its first bytes: refused before it ends, as hyper does.
        refused(b"GET / HTTP/1.1\r\nHo st", 400, "header name");
    }

    #[test]
    fn heads_hyper_takes_are_not_refused() {
        for head in [
            &b"GET /a\"b{c}?q=`y`&r={}|^ HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n",
        ] {
            assert_eq!(refusal(head), None, "{}", String::from_utf8_lossy(head));
        }
        // A length after `Transfer-Encoding` is not read (hyper's order),
        // and the pair is a conflict, whatever the length says.
        let pair = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n";
        assert_eq!(refusal(pair), None);
        assert!(conflicts(pair));
    }

    #[test]
    fn hypers_automatic_answer_is_replaced_by_a_problem_document() {
        let automatic = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sun, 29 Nov 2026 09:03:27 GMT\r\n\r\n";
        assert_eq!(automatic_answer(automatic), Some(StatusCode::BAD_REQUEST));
        // An answer with a body, or one that keeps the connection, is not hyper's own.
        let with_body =
            b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(automatic_answer(with_body), None);
        let kept = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(automatic_answer(kept), None);
        let answer = HeadRefusal::bad("a header name holds a character no header name may hold")
            .answer(automatic);
        let text = String::from_utf8(answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains("\r\ncontent-type: application/problem+json\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        assert!(head.contains("\r\nconnection: close\r\n"));
        assert!(
            head.ends_with("\r\ndate: Sun, 29 Nov 2026 09:03:27 GMT"),
            "{head}"
        );
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["type"], "urn:flowgate:problem:bad-request");
        assert_eq!(problem["status"], 400);
        assert!(problem["detail"].as_str().unwrap().contains("header name"));
    }

    proptest! {
        /// However a stream is cut into reads, the verdict is the same.
        #[test]
        fn pieces_do_not_change_the_verdict(cut in 1usize..80, smuggle in any::<bool>(), len in 1usize..40) {
            let body = "b".repeat(len);
            let mut stream = format!(
                "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n\r\n{body}POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{len:x}\r\n{body}\r\n0\r\n\r\n"
            ).into_bytes();
            if smuggle {
                stream.extend_from_slice(SMUGGLE_CL_FIRST);
            }
            prop_assert_eq!(conflicts(&stream), smuggle);
            prop_assert_eq!(conflicts_in_pieces(&stream, cut), smuggle);
        }
    }
}
