//! The mock provider server: a loopback HTTP server on its own thread.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::mock_llm::defaults::default_reply;
use crate::mock_llm::reply::{MockBody, MockReply};
use crate::mock_llm::request::RecordedRequest;

/// A scriptable provider server on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct MockProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
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
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { queue: Mutex::default(), requests: Mutex::default(), dims });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let state = Arc::clone(&shared);
        std::thread::Builder::new().name(format!("mock-llm-{}", addr.port())).spawn(move || {
            runtime.block_on(serve(listener, state, stopped));
        })?;
        Ok(Self { addr, shared, stop: Some(stop) })
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

impl Drop for MockProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Accepts connections until `stopped` fires; each connection is served on its own task.
async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopped => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| handle(Arc::clone(&shared), request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
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
