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

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A head longer than this is hyper's to refuse (431); the scanner stops.
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;

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
}

impl<S> Framing<S> {
    pub fn new(inner: S) -> (Framing<S>, Conflict) {
        let conflict = Conflict::default();
        let framing = Framing {
            inner,
            scanner: Scanner::default(),
            conflict: conflict.clone(),
        };
        (framing, conflict)
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
            if !matches!(this.scanner.state, State::Off)
                && this.scanner.feed(&buf.filled()[before..])
            {
                this.conflict.0.store(true, Ordering::Relaxed);
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
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
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

#[derive(Debug, Default)]
struct Scanner {
    state: State,
    /// A head that arrived in pieces.
    head: Vec<u8>,
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
    /// Follows `bytes`; true when a head with both framing headers passed.
    fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            match self.state {
                State::Off => return false,
                State::Head => match self.head_step(bytes) {
                    HeadStep::Need => return false,
                    HeadStep::Conflict => {
                        self.state = State::Off;
                        return true;
                    }
                    HeadStep::Done(used) => bytes = &bytes[used..],
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
        false
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
            return match self.parse(&bytes[..end]) {
                Some(true) => HeadStep::Conflict,
                _ => HeadStep::Done(end),
            };
        }
        let start = self.head.len().saturating_sub(3);
        let take = bytes
            .len()
            .min(MAX_HEAD + 1 - self.head.len().min(MAX_HEAD));
        self.head.extend_from_slice(&bytes[..take]);
        let Some(end) = find_end(&self.head[start..]).map(|e| e + start) else {
            if self.head.len() > MAX_HEAD {
                self.state = State::Off;
            }
            return HeadStep::Need;
        };
        let head = std::mem::take(&mut self.head);
        let used = end - (head.len() - take);
        match self.parse(&head[..end]) {
            Some(true) => HeadStep::Conflict,
            _ => HeadStep::Done(used),
        }
    }

    /// Parses one whole head and sets what follows it. `Some(true)` for a
    /// framing conflict; `None` when the scanner stops.
    fn parse(&mut self, head: &[u8]) -> Option<bool> {
        if head.starts_with(b"PRI * HTTP/2.0") {
            self.state = State::Off;
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        if !matches!(request.parse(head), Ok(httparse::Status::Complete(_))) {
            self.state = State::Off;
            return None;
        }
        let mut length: Option<u64> = None;
        let mut chunked = None;
        let mut upgrade = request.method == Some("CONNECT");
        for header in request.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                let value = std::str::from_utf8(header.value).ok()?.trim().parse().ok();
                match (length, value) {
                    (_, None) => {
                        self.state = State::Off;
                        return None;
                    }
                    (Some(previous), Some(value)) if previous != value => {
                        self.state = State::Off;
                        return None;
                    }
                    (_, value) => length = value,
                }
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                let last = header.value.rsplit(|b| *b == b',').next().unwrap_or(b"");
                chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if header.name.eq_ignore_ascii_case("upgrade") {
                upgrade = true;
            }
        }
        if length.is_some() && chunked.is_some() {
            return Some(true);
        }
        self.state = match (upgrade, chunked, length) {
            (true, _, _) | (_, Some(false), _) => State::Off,
            (_, Some(true), _) => State::ChunkSize {
                size: 0,
                digits: false,
                ext: false,
            },
            (_, None, Some(0) | None) => State::Head,
            (_, None, Some(n)) => State::Body(n),
        };
        Some(false)
    }
}

enum HeadStep {
    Need,
    Conflict,
    /// The head ended this many bytes into the input.
    Done(usize),
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

    fn conflicts(stream: &[u8]) -> bool {
        Scanner::default().feed(stream)
    }

    /// The same stream, fed in pieces of `size` bytes.
    fn conflicts_in_pieces(stream: &[u8], size: usize) -> bool {
        let mut scanner = Scanner::default();
        stream.chunks(size.max(1)).any(|piece| scanner.feed(piece))
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
        let mut scanner = Scanner::default();
        assert!(!scanner.feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        assert_eq!(scanner.state, State::Off);
        let mut scanner = Scanner::default();
        assert!(!scanner.feed(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"));
        assert_eq!(scanner.state, State::Off);
        let mut scanner = Scanner::default();
        assert!(!scanner.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        assert_eq!(scanner.state, State::Off);
        let mut scanner = Scanner::default();
        scanner.feed(&vec![b'a'; MAX_HEAD + 10]);
        assert_eq!(scanner.state, State::Off);
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
