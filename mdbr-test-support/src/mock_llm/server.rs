//! The mock provider server: a loopback HTTP server on its own thread.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;

use crate::mock_llm::defaults::default_reply;
use crate::mock_llm::reply::{MockBody, MockReply};
use crate::mock_llm::request::RecordedRequest;

/// A scriptable provider server on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct MockProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: crate::loopback::Stop,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<VecDeque<MockReply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    dims: usize,
}

impl MockProvider {
    /// Starts a server whose default embeddings have 8 dimensions.
    pub fn start() -> std::io::Result<Self> {
        Self::with_dims(8)
    }

    /// Starts a server whose default embeddings have `dims` dimensions.
    pub fn with_dims(dims: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared { queue: Mutex::default(), requests: Mutex::default(), dims });
        let (addr, stop) = crate::loopback::spawn("mock-llm", 2, Arc::clone(&shared), handle)?;
        Ok(Self { addr, shared, _stop: stop })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a reply; queued replies are served first, in order.
    pub fn push(&self, reply: MockReply) -> &Self {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.push_back(reply);
        }
        self
    }

    /// Requests received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Number of requests received so far.
    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().map(|r| r.len()).unwrap_or_default()
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let scripted = shared.queue.lock().ok().and_then(|mut q| q.pop_front());
    let reply = scripted.unwrap_or_else(|| default_reply(&path, &json, shared.dims));
    if let Ok(mut r) = shared.requests.lock() {
        r.push(RecordedRequest { method: parts.method.to_string(), path, headers, body: json });
    }
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    Ok(render(reply))
}

fn render(reply: MockReply) -> Response<Full<Bytes>> {
    let (content_type, body) = match reply.body {
        MockBody::Json(v) => ("application/json", v.to_string()),
        MockBody::Text(t) => ("text/plain", t),
        MockBody::Sse(events) => {
            let mut out = String::new();
            for (name, data) in events {
                if let Some(name) = name {
                    out.push_str(&format!("event: {name}\n"));
                }
                out.push_str(&format!("data: {data}\n\n"));
            }
            ("text/event-stream", out)
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    for (name, value) in reply.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(n, v);
        }
    }
    response
}
