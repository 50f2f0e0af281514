//! Starting (once per process) the database server the tests talk to.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which server the tests run against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The in-repo `mdbr-lite` engine, in-process.
    Lite,
    /// The SecantusDB reference server, as a child process.
    Secantus,
    /// An external MongoDB at this URI (`MDBR_TEST_MONGODB_URI`).
    Uri(String),
}

impl Backend {
    /// The backend chosen by the environment.
    pub fn from_env() -> Result<Self, BackendError> {
        if let Ok(uri) = std::env::var("MDBR_TEST_MONGODB_URI")
            && !uri.is_empty()
        {
            return Ok(Self::Uri(uri));
        }
        match std::env::var("MDBR_TEST_BACKEND").as_deref() {
            Ok("secantus") => Ok(Self::Secantus),
            Ok("lite") => Ok(Self::Lite),
            Ok("") | Err(_) => Ok(Self::default_backend()),
            Ok(other) => Err(BackendError::Unknown(other.to_owned())),
        }
    }

    fn default_backend() -> Self {
        if cfg!(feature = "lite") { Self::Lite } else { Self::Secantus }
    }

    /// A short name for messages: `lite`, `secantus` or `uri`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Lite => "lite",
            Self::Secantus => "secantus",
            Self::Uri(_) => "uri",
        }
    }
}

/// Why no test server could be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// `MDBR_TEST_BACKEND` names no known backend.
    #[error(
        "MDBR_TEST_BACKEND=`{0}` is not a backend; use `lite` or `secantus`, or set MDBR_TEST_MONGODB_URI"
    )]
    Unknown(String),
    /// The server could not be started.
    #[error("could not start the {backend} test server: {reason}")]
    Start {
        /// Which backend.
        backend: &'static str,
        /// What went wrong.
        reason: String,
    },
}

static SERVER: OnceLock<Result<String, BackendError>> = OnceLock::new();

/// The URI of this process's test server, starting it on first use.
/// Safe to call from inside an async test: the start-up runs on its own
/// thread, away from the caller's runtime.
pub fn server_uri() -> Result<String, BackendError> {
    SERVER
        .get_or_init(|| {
            std::thread::spawn(start).join().unwrap_or_else(|_| {
                Err(BackendError::Start {
                    backend: "any",
                    reason: "the start-up thread panicked".into(),
                })
            })
        })
        .clone()
}

fn start() -> Result<String, BackendError> {
    match Backend::from_env()? {
        Backend::Uri(uri) => Ok(uri),
        Backend::Secantus => start_secantus(),
        Backend::Lite => start_lite(),
    }
}

fn free_port() -> Result<u16, BackendError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| BackendError::Start {
        backend: "secantus",
        reason: format!("no free port: {e}"),
    })?;
    listener.local_addr().map(|a| a.port()).map_err(|e| BackendError::Start {
        backend: "secantus",
        reason: format!("no free port: {e}"),
    })
}

/// Starts SecantusDB under a small shell watchdog that stops it as soon as
/// this test process is gone, so no server outlives its test binary.
fn start_secantus() -> Result<String, BackendError> {
    let err = |reason: String| BackendError::Start { backend: "secantus", reason };
    let port = free_port()?;
    let python = std::env::var("MDBR_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = format!(
        "{python} -m secantus --host 127.0.0.1 --port {port} --storage-path :memory: --log-level WARNING & \
         child=$!; trap 'kill $child 2>/dev/null' EXIT; \
         while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done",
        parent = std::process::id()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| err(format!("could not run sh: {e}")))?;
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    wait_until_answering(&uri, Duration::from_secs(60)).map_err(err)?;
    Ok(uri)
}

#[cfg(feature = "lite")]
fn start_lite() -> Result<String, BackendError> {
    let err = |reason: String| BackendError::Start { backend: "lite", reason };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("mdbr-lite-test-server".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(format!("no runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                match mdbr_lite::LiteServer::builder().bind("127.0.0.1:0").memory().start().await {
                    Ok(server) => {
                        let _ = tx.send(Ok(server.uri()));
                        // Serve until the process ends.
                        std::future::pending::<()>().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        })
        .map_err(|e| err(format!("no thread: {e}")))?;
    rx.recv_timeout(Duration::from_secs(30)).map_err(|e| err(e.to_string()))?.map_err(err)
}

#[cfg(not(feature = "lite"))]
fn start_lite() -> Result<String, BackendError> {
    Err(BackendError::Start {
        backend: "lite",
        reason: "mdbr-test-support was built without its `lite` feature".into(),
    })
}

/// Polls `ping` on a throwaway runtime until the server answers.
fn wait_until_answering(uri: &str, deadline: Duration) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < deadline {
            let addr = uri
                .trim_start_matches("mongodb://")
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            if tokio::net::TcpStream::connect(&addr).await.is_ok() {
                match ping(uri).await {
                    Ok(()) => return Ok(()),
                    Err(e) => last = e,
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!("not answering at {uri} after {deadline:?}: {last}"))
    })
}

async fn ping(uri: &str) -> Result<(), String> {
    let mut options =
        mongodb::options::ClientOptions::parse(uri).await.map_err(|e| e.to_string())?;
    options.server_selection_timeout = Some(Duration::from_secs(2));
    let client = mongodb::Client::with_options(options).map_err(|e| e.to_string())?;
    client
        .database("admin")
        .run_command(bson::doc! { "ping": 1 })
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
