//! Spotting requests whose body framing is in doubt.
//!
//! A request with both `Content-Length` and `Transfer-Encoding` is the
//! classic request-smuggling vector: a proxy in front may frame the body by
//! one header and flowgate by the other. hyper frames such a request by
//! `Transfer-Encoding`, closes the connection after it, and drops
//! `Content-Length` before the request reaches flowgate, so the handler
//! cannot see the conflict. [`Framing`] follows the HTTP/1.1 byte stream
//! beneath hyper (heads, `Content-Length` bodies, chunked bodies) and notes
//! which head carries both ([`Heads`]), so that request is answered with a
//! 400 and the connection closes.
//!
//! It only reads along: hyper stays the parser that counts. So it must find
//! each head and each body where hyper does, or a head it missed could carry
//! what it is there to catch. Heads end where httparse, hyper's parser,
//! says they end (bare-LF line ends included), and chunked bodies are
//! followed with the states of hyper's chunk decoder. Where hyper would
//! fail the connection (a malformed head, broken chunks) the scanner may
//! stop; whatever it does not understand (HTTP/2) stops it too.
//!
//! hyper's answer to a head it cannot parse is a bare status: no body, no
//! word on what was wrong. The scanner reads each head first, with the same
//! parser (httparse) and the same limits, and notes why hyper will refuse it
//! (a [`HeadRefusal`]). When hyper then writes its automatic answer with that
//! status, [`Framing`] writes a problem document in its place; the
//! connection closes after it either way. A head hyper refuses for a reason
//! the scanner did not see keeps hyper's bare answer.
//!
//! hyper holds a head to `max_buf_size` only while the head is incomplete
//! in its read buffer: a head that arrives whole in one read, behind
//! another request, is parsed whatever its length. The scanner holds every
//! head to the limit; a refused head hyper serves anyway reaches dispatch
//! with its refusal ([`Heads::next_request`]), which answers it instead of
//! the process.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::problem::{Problem, kind};

/// hyper's limit on header fields per HTTP/1 request; HTTP/2 requests are
/// held to the same count (`guard::check_h2_head`).
pub(super) const MAX_HEADERS: usize = 100;
/// The longest request target `http::Uri` takes; hyper answers 414 past it.
const MAX_TARGET: usize = u16::MAX as usize - 1;
/// The HTTP/2 connection preface, which ends HTTP/1 scanning.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the scanner found wrong with a head that hyper may serve anyway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// Both `Content-Length` and `Transfer-Encoding`.
    Conflict,
    /// A head hyper should refuse: over `max_header_bytes` but read whole
    /// in one read, which hyper takes.
    Refused(HeadRefusal),
}

/// The heads of one connection as the scanner judged them, for the
/// requests hyper serves from them.
#[derive(Clone, Debug, Default)]
pub struct Heads(Arc<HeadsShared>);

#[derive(Debug, Default)]
struct HeadsShared {
    /// The first head with a flaw, counting from 0. The scanner stops
    /// there: its answer closes the connection.
    flawed: OnceLock<(u64, Flaw)>,
    /// Requests hyper has handed on.
    requests: AtomicU64,
}

impl Heads {
    /// The flaw of the next request hyper hands on, if its head had one.
    /// hyper serves HTTP/1 requests one after another in the order of their
    /// heads, and the scanner reads each head before hyper can parse it, so
    /// the n-th request is the n-th head. A request after a flawed head is
    /// refused too, should one come. HTTP/2 requests are counted as well;
    /// the scanner stops at the preface, so none has a flaw.
    pub fn next_request(&self) -> Option<Flaw> {
        let index = self.0.requests.fetch_add(1, Ordering::Relaxed);
        match self.0.flawed.get() {
            Some((at, flaw)) if index >= *at => Some(flaw.clone()),
            _ => None,
        }
    }
}

/// An HTTP/1 stream that reads along with hyper (see the module doc).
pub struct Framing<S> {
    inner: S,
    scanner: Scanner,
    heads: Heads,
    /// Why hyper will refuse a head the scanner has seen, and when it was seen.
    refusal: Option<(HeadRefusal, Instant)>,
    /// The problem document going out in place of hyper's bare answer, and
    /// how much of it is written.
    answer: Option<(Vec<u8>, usize)>,
    /// Told of each answer written in place of hyper's (such a request never
    /// reaches dispatch, which counts the others).
    refused: Option<Refused>,
}

/// What is told of a request refused before dispatch: its status, why, and
/// how long since its head was read.
pub type Refused = Arc<dyn Fn(StatusCode, &str, Duration) + Send + Sync>;

impl<S> Framing<S> {
    /// `max_head` is hyper's `max_buf_size`: a head that does not end
    /// within it is refused with 431.
    pub fn new(inner: S, max_head: usize, refused: Option<Refused>) -> (Framing<S>, Heads) {
        let heads = Heads::default();
        let framing = Framing {
            inner,
            scanner: Scanner::new(max_head),
            heads: heads.clone(),
            refusal: None,
            answer: None,
            refused,
        };
        (framing, heads)
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
        let Some((refusal, seen)) = self.refusal.take_if(|(r, _)| status == Some(r.status)) else {
            return false;
        };
        if let Some(refused) = &self.refused {
            refused(refusal.status, refusal.detail(), seen.elapsed());
        }
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
                if let Some(flawed) = seen.flaw {
                    let _ = this.heads.0.flawed.set(flawed);
                }
                if this.refusal.is_none() {
                    this.refusal = seen.refusal.map(|refusal| (refusal, Instant::now()));
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
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

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

    /// Why httparse refused `head` (as much of it as came): httparse names
    /// the part it stopped in, the bytes say what is wrong there.
    fn parse(error: httparse::Error, head: &[u8]) -> HeadRefusal {
        let lines = Lines::of(head);
        let detail = match error {
            httparse::Error::HeaderName => return HeadRefusal::bad(header_name(&lines)),
            httparse::Error::HeaderValue => {
                "a header value holds a control character (a CR that no LF follows counts)"
            }
            httparse::Error::NewLine => {
                if lines.after_version().is_some_and(|rest| !rest.is_empty()) {
                    "the request line goes on after its version: nothing but the line end may \
                     follow `HTTP/1.1`"
                } else {
                    "a line of the request head has a CR that no LF follows"
                }
            }
            httparse::Error::Token | httparse::Error::Status => {
                return HeadRefusal::bad(request_line(lines.request));
            }
            httparse::Error::Version => {
                if lines.version().is_some_and(|v| v.starts_with(b"HTTP/")) {
                    "the request line names another version than `HTTP/1.1` or `HTTP/1.0`"
                } else {
                    "the request line does not end with `HTTP/1.1` (or `HTTP/1.0`) after the \
                     target: a space in the target must be percent-encoded (`%20`)"
                }
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

/// The lines of a head (as much of it as came), to say what is wrong in it.
struct Lines<'h> {
    /// The request line, without its line end (httparse skips empty lines
    /// before it).
    request: &'h [u8],
    /// The header lines after it, up to the empty line, without line ends.
    headers: Vec<&'h [u8]>,
}

impl<'h> Lines<'h> {
    fn of(head: &'h [u8]) -> Lines<'h> {
        let start = head
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .unwrap_or(head.len());
        let mut lines = head[start..]
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
        let request = lines.next().unwrap_or_default();
        let headers = lines.take_while(|line| !line.is_empty()).collect();
        Lines { request, headers }
    }

    /// What follows the target: the version and anything after it.
    fn version(&self) -> Option<&'h [u8]> {
        let mut parts = self.request.splitn(3, |&b| b == b' ');
        parts.next()?;
        parts.next()?;
        parts.next()
    }

    /// What follows a well-formed version (`HTTP/1.1`) on the request line.
    fn after_version(&self) -> Option<&'h [u8]> {
        let version = self.version()?;
        let known = version.starts_with(b"HTTP/1.1") || version.starts_with(b"HTTP/1.0");
        known.then(|| &version[8..])
    }
}

/// What is wrong with a request line httparse stopped in at its method or
/// target.
fn request_line(line: &[u8]) -> String {
    let (method, rest) = match line.iter().position(|&b| b == b' ') {
        Some(at) => (&line[..at], Some(&line[at + 1..])),
        None => (line, None),
    };
    if method.is_empty() {
        return "the request line starts with a space: it must be `METHOD TARGET HTTP/1.1`"
            .to_owned();
    }
    if let Some(&byte) = method.iter().find(|&&b| !is_token(b)) {
        return format!(
            "the method holds {}, which no method may hold",
            describe(byte)
        );
    }
    let Some(rest) = rest else {
        return "the request line has no target and no version: it must be \
                `METHOD TARGET HTTP/1.1`"
            .to_owned();
    };
    let target_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    let target = &rest[..target_end];
    if target.is_empty() {
        return "the request line has two spaces in a row: one space goes between the method, \
                the target and the version"
            .to_owned();
    }
    if let Some(&byte) = target.iter().find(|&&b| b < 0x21 || b == 0x7f) {
        return format!(
            "the request target holds {}, which must be percent-encoded",
            describe(byte)
        );
    }
    if std::str::from_utf8(target).is_err() {
        return "the request target is not a valid URI: it holds bytes that are not UTF-8; \
                percent-encode them (`%E9`)"
            .to_owned();
    }
    if target_end == rest.len() {
        return "the request line has no version: it must be `METHOD TARGET HTTP/1.1`".to_owned();
    }
    "the request line is not `METHOD TARGET HTTP/1.1`".to_owned()
}

/// What is wrong with the first header line whose name httparse refused.
fn header_name(lines: &Lines<'_>) -> String {
    for line in &lines.headers {
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            return "a header line starts with a space or a tab, which would continue the line \
                    before (obsolete line folding): send each header on one line"
                .to_owned();
        }
        let name_end = line.iter().position(|&b| b == b':');
        let name = &line[..name_end.unwrap_or(line.len())];
        if name.is_empty() && name_end.is_some() {
            return "a header line has no name before its `:`".to_owned();
        }
        if let Some(&byte) = name.iter().find(|&&b| !is_token(b)) {
            return format!(
                "a header name holds {}, which no header name may hold",
                describe(byte)
            );
        }
        if name_end.is_none() {
            return "a header line has no `:` between its name and its value".to_owned();
        }
    }
    "a header name holds a character no header name may hold".to_owned()
}

/// A token character of RFC 9110 §5.6.2, as httparse reads method and
/// header names.
fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// A byte as a message names it.
fn describe(byte: u8) -> String {
    match byte {
        b' ' => "a space".to_owned(),
        b'\t' => "a tab".to_owned(),
        b'\r' => "a CR".to_owned(),
        0x21..=0x7e => format!("`{}`", char::from(byte)),
        _ => format!("the byte 0x{byte:02X}"),
    }
}

/// The status of hyper's automatic answer to a head it could not parse (a
/// status line, `connection: close`, `content-length: 0`, a date, no body),
/// when `bytes` are one.
fn automatic_answer(bytes: &[u8]) -> Option<StatusCode> {
    let status = StatusCode::from_bytes(bytes.strip_prefix(b"HTTP/1.1 ")?.get(..3)?).ok()?;
    // hyper writes CRLF line ends.
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4);
    let whole_head = end == Some(bytes.len());
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
    /// The first flawed head, and which head it is (counting from 0).
    flaw: Option<(u64, Flaw)>,
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
    /// Heads read so far.
    heads: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    #[default]
    Head,
    /// Skipping a `Content-Length` body.
    Body(u64),
    /// In a chunked body.
    Chunked(Chunk),
    /// Not following any more.
    Off,
}

/// Where in a chunked body: the states of hyper's decoder
/// (`proto::h1::decode::ChunkedState`), which takes only CRLF line ends.
/// Where hyper fails the body, and with it the connection, the scanner
/// stops. hyper's limits on extensions and trailers are not kept: past
/// them hyper fails too, and nothing the scanner would read follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// The first hex digit of a chunk size.
    Start,
    Size(u64),
    /// Spaces or tabs after the size.
    SizeSpace(u64),
    /// A chunk extension, up to its CR.
    Extension(u64),
    SizeLf(u64),
    /// Chunk data still to come.
    Data(u64),
    DataCr,
    DataLf,
    /// After the last chunk: the CR of the empty line, or a trailer.
    EndCr,
    EndLf,
    Trailer,
    TrailerLf,
}

impl Chunk {
    /// The state after `byte`; `None` where hyper fails the body.
    fn next(self, byte: u8) -> Option<State> {
        let hex = char::from(byte).to_digit(16).map(u64::from);
        let grow = |size: u64, digit: u64| size.checked_mul(16)?.checked_add(digit);
        let chunk = match (self, byte) {
            (Chunk::Start, _) => Chunk::Size(hex?),
            (Chunk::Size(size), _) if hex.is_some() => Chunk::Size(grow(size, hex?)?),
            (Chunk::Size(size) | Chunk::SizeSpace(size), b' ' | b'\t') => Chunk::SizeSpace(size),
            (Chunk::Size(size) | Chunk::SizeSpace(size), b';') => Chunk::Extension(size),
            (Chunk::Size(size) | Chunk::SizeSpace(size) | Chunk::Extension(size), b'\r') => {
                Chunk::SizeLf(size)
            }
            (Chunk::Extension(_), b'\n') => return None,
            (Chunk::Extension(size), _) => Chunk::Extension(size),
            (Chunk::SizeLf(0), b'\n') => Chunk::EndCr,
            (Chunk::SizeLf(size), b'\n') => Chunk::Data(size),
            (Chunk::DataCr, b'\r') => Chunk::DataLf,
            (Chunk::DataLf, b'\n') => Chunk::Start,
            (Chunk::EndCr, b'\r') => Chunk::EndLf,
            (Chunk::Trailer, b'\r') => Chunk::TrailerLf,
            (Chunk::EndCr | Chunk::Trailer, _) => Chunk::Trailer,
            (Chunk::TrailerLf, b'\n') => Chunk::EndCr,
            (Chunk::EndLf, b'\n') => return Some(State::Head),
            _ => return None,
        };
        Some(State::Chunked(chunk))
    }
}

impl Scanner {
    fn new(max_head: usize) -> Scanner {
        Scanner {
            state: State::default(),
            head: Vec::new(),
            max_head,
            heads: 0,
        }
    }

    /// Follows `bytes`: the first flawed head that passed, and whether one
    /// hyper will refuse did.
    fn feed(&mut self, mut bytes: &[u8]) -> Seen {
        let mut seen = Seen::default();
        while !bytes.is_empty() {
            match self.state {
                State::Off => break,
                State::Head => match self.head_step(bytes) {
                    HeadStep::Need => break,
                    HeadStep::Done(used, head) => {
                        let index = self.heads;
                        self.heads += 1;
                        let flaw = match head {
                            Head::Fine => None,
                            Head::Conflict => Some(Flaw::Conflict),
                            Head::Refused(refusal) => {
                                seen.refusal.get_or_insert(refusal.clone());
                                Some(Flaw::Refused(refusal))
                            }
                        };
                        if let Some(flaw) = flaw {
                            seen.flaw.get_or_insert((index, flaw));
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
                State::Chunked(Chunk::Data(left)) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[take..];
                    let left = left - take as u64;
                    self.state = State::Chunked(if left == 0 {
                        Chunk::DataCr
                    } else {
                        Chunk::Data(left)
                    });
                }
                State::Chunked(chunk) => {
                    self.state = chunk.next(bytes[0]).unwrap_or(State::Off);
                    bytes = &bytes[1..];
                }
            }
        }
        seen
    }

    /// Reads a head from what was buffered plus `bytes`.
    fn head_step(&mut self, bytes: &[u8]) -> HeadStep {
        // Most heads arrive whole in one read: read them where they are.
        if self.head.is_empty() {
            return match self.read_head(bytes) {
                Some((end, head)) => HeadStep::Done(end, head),
                None => {
                    self.head.extend_from_slice(bytes);
                    HeadStep::Need
                }
            };
        }
        let before = self.head.len();
        let take = bytes
            .len()
            .min(self.max_head + 1 - before.min(self.max_head));
        let mut head = std::mem::take(&mut self.head);
        head.extend_from_slice(&bytes[..take]);
        match self.read_head(&head) {
            Some((end, verdict)) => HeadStep::Done(end.saturating_sub(before), verdict),
            None => {
                self.head = head;
                HeadStep::Need
            }
        }
    }

    /// A head at the start of `buf`, read as hyper reads it: where it ends
    /// (or, refused, how much of `buf` was read) and what it says; `None`
    /// while it goes on past `buf`.
    fn read_head(&mut self, buf: &[u8]) -> Option<(usize, Head)> {
        if self.heads == 0 {
            if buf.starts_with(H2_PREFACE) {
                self.state = State::Off;
                return Some((buf.len(), Head::Fine));
            }
            if H2_PREFACE.starts_with(buf) {
                return None;
            }
        }
        // Left uninitialized: httparse writes the ones the head has, and
        // zeroing all of them would cost more than parsing a usual head.
        let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut []);
        let refusal = match request.parse_with_uninit_headers(buf, &mut headers) {
            Ok(httparse::Status::Complete(end)) if end > self.max_head => {
                // hyper takes it when it came whole in one read.
                HeadRefusal::too_large(self.max_head)
            }
            Ok(httparse::Status::Complete(end)) => {
                let head = match request
                    .path
                    .and_then(|target| HeadRefusal::target(target.as_bytes()))
                {
                    Some(refusal) => {
                        self.state = State::Off;
                        Head::Refused(refusal)
                    }
                    None => self.framing(&request),
                };
                return Some((end, head));
            }
            // hyper refuses a head that has not ended within its buffer.
            Ok(httparse::Status::Partial) if buf.len() >= self.max_head => {
                HeadRefusal::too_large(self.max_head)
            }
            Ok(httparse::Status::Partial) => return None,
            // Wrong from its first bytes: refused before it ends, as hyper
            // does when the bytes come in one read.
            Err(error) => HeadRefusal::parse(error, buf),
        };
        self.state = State::Off;
        Some((buf.len(), Head::Refused(refusal)))
    }

    /// What a whole head says about the body after it; sets what follows
    /// it.
    fn framing(&mut self, request: &httparse::Request<'_, '_>) -> Head {
        let mut length: Option<u64> = None;
        let mut has_length = false;
        let mut chunked = None;
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
                // hyper reads the value as visible ASCII text, or not at all.
                let text = header
                    .value
                    .iter()
                    .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
                let last = header.value.rsplit(|b| *b == b',').next().unwrap_or(b"");
                chunked = Some(text && last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
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
        // flowgate never answers 101, so hyper goes on reading HTTP/1 after
        // an `Upgrade` or a `CONNECT` as after any request.
        self.state = match (chunked, length) {
            (Some(_), _) => State::Chunked(Chunk::Start),
            (None, Some(0) | None) => State::Head,
            (None, Some(n)) => State::Body(n),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAX_HEAD: usize = 16 * 1024;

    fn scanner() -> Scanner {
        Scanner::new(MAX_HEAD)
    }

    fn conflicts(stream: &[u8]) -> bool {
        matches!(scanner().feed(stream).flaw, Some((_, Flaw::Conflict)))
    }

    /// The same stream, fed in pieces of `size` bytes.
    fn conflicts_in_pieces(stream: &[u8], size: usize) -> bool {
        let mut scanner = scanner();
        stream
            .chunks(size.max(1))
            .any(|piece| matches!(scanner.feed(piece).flaw, Some((_, Flaw::Conflict))))
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
        assert!(seen.flaw.is_none() && seen.refusal.is_none());
        assert_eq!(scanner.state, State::Off);
        // The preface in pieces.
        let mut scanner = self::scanner();
        for piece in H2_PREFACE.chunks(5) {
            assert!(scanner.feed(piece).refusal.is_none());
        }
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
    fn an_upgrade_is_followed_like_any_request() {
        // flowgate never switches protocols, so hyper reads on.
        for first in [
            &b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"[..],
            b"CONNECT x:1 HTTP/1.1\r\nHost: x:1\r\n\r\n",
        ] {
            let mut stream = first.to_vec();
            stream.extend_from_slice(SMUGGLE_CL_FIRST);
            assert_eq!(
                scanner().feed(&stream).flaw,
                Some((1, Flaw::Conflict)),
                "{}",
                String::from_utf8_lossy(first)
            );
        }
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
        refused(
            b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "the method holds `(`",
        );
        refused(b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 400, "HTTP/1.1");
        refused(
            b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "not a valid URI: it holds bytes that are not UTF-8",
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
    fn each_refusal_says_what_is_wrong() {
        for (head, says) in [
            (
                &b"GET /ws/simple/getHello HTTP/1.1 extra\r\nHost: x\r\n\r\n"[..],
                "goes on after its version",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
                "obsolete line folding",
            ),
            (
                b"GET / HTTP/1.1\r\n\tX-A: a\r\n\r\n",
                "obsolete line folding",
            ),
            (
                b"GET /ws/rest/hello/\xe9 HTTP/1.1\r\nHost: x\r\n\r\n",
                "the request target is not a valid URI: it holds bytes that are not UTF-8",
            ),
            (
                b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
                "the request target holds the byte 0x01",
            ),
            (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "two spaces in a row"),
            (b" GET / HTTP/1.1\r\nHost: x\r\n\r\n", "starts with a space"),
            (b"GET /\r\nHost: x\r\n\r\n", "has no version"),
            (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", "another version"),
            (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", "`%20`"),
            (
                b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
                "a header name holds a space",
            ),
            (b"GET / HTTP/1.1\r\nHost\r\n\r\n", "no `:` between its name"),
            (b"GET / HTTP/1.1\r\n: x\r\n\r\n", "no name before its `:`"),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\rX\r\n",
                "a CR that no LF follows",
            ),
        ] {
            refused(head, 400, says);
        }
    }

    #[test]
    fn heads_with_bare_lf_line_ends_end_where_hyper_ends_them() {
        // The second head is found, so its conflict is too.
        let stream = b"GET /ws/simple/getHello HTTP/1.1\nHost: x\n\nPOST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        for size in [1, 2, 3, 5, 8, 13, stream.len()] {
            let mut scanner = scanner();
            let flaw = stream
                .chunks(size)
                .find_map(|piece| scanner.feed(piece).flaw);
            assert_eq!(flaw, Some((1, Flaw::Conflict)), "pieces of {size}");
        }
        // A head refused with bare LFs is refused with the reason, as with CRLFs.
        refused(b"GET /a<b HTTP/1.1\nHost: x\n\n", 400, "not a valid URI");
        refused(
            b"GET /a HTTP/1.1\nHost: x\r\n\rX",
            400,
            "CR that no LF follows",
        );
    }

    #[test]
    fn every_head_is_held_to_the_limit_however_it_arrives() {
        // hyper takes a head over its buffer when the head came whole in
        // one read behind another request; the scanner refuses it anyway.
        for size in [MAX_HEAD - 50, MAX_HEAD + 10, MAX_HEAD * 2] {
            let big = format!(
                "GET /b HTTP/1.1\r\nHost: x\r\nX-A: {}\r\n\r\n",
                "a".repeat(size)
            );
            let stream = [&b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"[..], big.as_bytes()].concat();
            for pieces in [stream.len(), 1000, 7] {
                let mut scanner = scanner();
                let flaw = stream
                    .chunks(pieces)
                    .find_map(|piece| scanner.feed(piece).flaw);
                if big.len() <= MAX_HEAD {
                    assert_eq!(flaw, None, "{size} in pieces of {pieces}");
                    assert_eq!(scanner.heads, 2);
                    continue;
                }
                let Some((1, Flaw::Refused(refusal))) = flaw else {
                    panic!("{size} in pieces of {pieces}: {flaw:?}");
                };
                assert_eq!(refusal.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
            }
        }
    }

    #[test]
    fn a_connections_requests_get_the_flaw_of_their_own_head() {
        let heads = Heads::default();
        heads.0.flawed.set((1, Flaw::Conflict)).unwrap();
        assert_eq!(heads.next_request(), None);
        assert_eq!(heads.next_request(), Some(Flaw::Conflict));
        // None should follow; one that did would be refused too.
        assert_eq!(heads.next_request(), Some(Flaw::Conflict));
    }

    #[test]
    fn chunked_bodies_are_followed_as_hyper_decodes_them() {
        let chunked = |body: &str| {
            format!("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{body}")
        };
        // Extensions, spaces after the size, trailers: the next head is found.
        for body in [
            "2 ;a=b\r\nok\r\n0\r\n\r\n",
            "2\t\r\nok\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n",
            "A\r\n0123456789\r\n0;x\r\n\r\n",
        ] {
            let stream = [chunked(body).as_bytes(), SMUGGLE_CL_FIRST].concat();
            for size in [1, 4, stream.len()] {
                let mut scanner = scanner();
                let flaw = stream
                    .chunks(size)
                    .find_map(|piece| scanner.feed(piece).flaw);
                assert_eq!(
                    flaw,
                    Some((1, Flaw::Conflict)),
                    "{body:?} in pieces of {size}"
                );
            }
        }
        // hyper reads a bare LF after the last chunk as the start of a
        // trailer, so what follows up to CRLF CRLF is no head.
        let stream = chunked("0\r\n\nGET /hidden HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut scanner = scanner();
        scanner.feed(stream.as_bytes());
        assert_eq!(scanner.heads, 1);
        assert_eq!(scanner.state, State::Head);
        // Framing hyper refuses stops the scanner.
        for body in [
            "zz\r\n",
            "1\nx\r\n",
            "2\r\nok\n",
            "ffffffffffffffffff\r\n",
            "1;a\nb\r\n",
        ] {
            let mut scanner = self::scanner();
            scanner.feed(chunked(body).as_bytes());
            assert_eq!(scanner.state, State::Off, "{body:?}");
        }
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
        /// The scanner finds each head where httparse, hyper's parser,
        /// ends it, whatever the line ends (CRLF or bare LF, mixed), the
        /// bodies between heads, and the reads they come in.
        #[test]
        fn heads_end_where_httparse_ends_them(
            heads in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        ("[A-Za-z][A-Za-z0-9-]{0,8}", "[ -~]{0,12}", prop_oneof![Just("\r\n"), Just("\n")]),
                        0..6,
                    ),
                    prop_oneof![Just("\r\n"), Just("\n")],
                    prop_oneof![Just("\r\n"), Just("\n")],
                    proptest::option::of("[a-z\r\n]{0,12}"),
                ),
                1..5,
            ),
            cut in 1usize..40,
        ) {
            let mut stream = Vec::new();
            let mut ends = Vec::new();
            for (fields, request_end, last, body) in &heads {
                stream.extend_from_slice(b"POST /x HTTP/1.1");
                stream.extend_from_slice(request_end.as_bytes());
                for (name, value, end) in fields {
                    // Only the body's own length frames it.
                    let name = if name.eq_ignore_ascii_case("content-length")
                        || name.eq_ignore_ascii_case("transfer-encoding")
                    {
                        "X-Name"
                    } else {
                        name.as_str()
                    };
                    stream.extend_from_slice(format!("{name}: {value}{end}").as_bytes());
                }
                if let Some(body) = body {
                    stream.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
                }
                stream.extend_from_slice(last.as_bytes());
                ends.push(stream.len());
                if let Some(body) = body {
                    stream.extend_from_slice(body.as_bytes());
                }
            }
            // httparse's own verdict, head after head.
            let mut at = 0;
            let mut expected = Vec::new();
            for (index, (_, _, _, body)) in heads.iter().enumerate() {
                let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let parsed = httparse::Request::new(&mut fields).parse(&stream[at..]);
                let end = match parsed {
                    Ok(httparse::Status::Complete(len)) => at + len,
                    other => panic!("{other:?}"),
                };
                prop_assert_eq!(end, ends[index]);
                expected.push(end);
                at = end + body.as_ref().map_or(0, String::len);
            }
            // A byte at a time: each head ends at the byte httparse ends it.
            let mut scanner = scanner();
            let mut found = Vec::new();
            for (i, byte) in stream.iter().enumerate() {
                let before = scanner.heads;
                scanner.feed(std::slice::from_ref(byte));
                if scanner.heads > before {
                    found.push(i + 1);
                }
            }
            prop_assert_eq!(&found, &expected);
            prop_assert_eq!(scanner.state, State::Head);
            // In pieces, a conflict after them is the head after them.
            let mut with_conflict = stream.clone();
            with_conflict.extend_from_slice(SMUGGLE_TE_FIRST);
            let mut scanner = self::scanner();
            let flaw = with_conflict.chunks(cut).find_map(|piece| scanner.feed(piece).flaw);
            prop_assert_eq!(flaw, Some((heads.len() as u64, Flaw::Conflict)));
        }

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
