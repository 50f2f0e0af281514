//! Server-sent events: splits a byte stream into `data:` payloads.

use std::collections::VecDeque;

use futures_util::{Stream, StreamExt};

use crate::error::{Error, Result};

/// Yields the `data` of each event of an SSE body, in order.
pub(crate) fn data_events(
    provider: String,
    response: reqwest::Response,
) -> impl Stream<Item = Result<String>> + Send + 'static {
    let state = State {
        body: Box::pin(response.bytes_stream()),
        buffer: Vec::new(),
        ready: VecDeque::new(),
        ended: false,
    };
    futures_util::stream::unfold(state, move |mut st| {
        let provider = provider.clone();
        async move {
            loop {
                if let Some(data) = st.ready.pop_front() {
                    return Some((Ok(data), st));
                }
                if st.ended {
                    return None;
                }
                match st.body.next().await {
                    Some(Ok(bytes)) => {
                        st.buffer.extend_from_slice(bytes.as_ref());
                        st.split_events();
                    }
                    Some(Err(e)) => {
                        st.ended = true;
                        return Some((Err(Error::Stream { provider, message: e.to_string() }), st));
                    }
                    None => {
                        st.ended = true;
                        st.buffer.extend_from_slice(b"\n\n");
                        st.split_events();
                    }
                }
            }
        }
    })
}

struct State<S> {
    body: std::pin::Pin<Box<S>>,
    buffer: Vec<u8>,
    ready: VecDeque<String>,
    ended: bool,
}

impl<S> State<S> {
    /// Moves every complete event (ended by a blank line) from the buffer to `ready`.
    fn split_events(&mut self) {
        while let Some((end, sep)) = find_blank_line(&self.buffer) {
            let event: Vec<u8> = self.buffer.drain(..end + sep).collect();
            let text = String::from_utf8_lossy(&event[..end]);
            let mut data = Vec::new();
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("data:") {
                    data.push(rest.strip_prefix(' ').unwrap_or(rest));
                }
            }
            if !data.is_empty() {
                self.ready.push_back(data.join("\n"));
            }
        }
    }
}

/// Position and length of the first blank-line separator (`\n\n` or `\r\n\r\n`).
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}
