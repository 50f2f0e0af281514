//! Broadcast fan-out latency to 1,000 and 10,000 websocket clients on
//! loopback, and server memory per idle connection.
//!
//! The server runs in a child process (this binary, re-executed with
//! `MDBR_WS_BENCH_ROLE=server`) so that server and clients each stay under
//! the per-process file descriptor limit, and so that the server's RSS can be
//! read from `/proc/<pid>/status` without the clients in it.
//!
//! A control connection sends `{"type": "fire"}`; the server's handler stamps
//! the wall-clock time in nanoseconds and broadcasts one message to every
//! connection of the app; each client computes `receipt - stamp`. Rounds are
//! paced: the next one starts once every client has its message.
//!
//! Run with `cargo bench -p mdbr-ws --bench fanout`. `MDBR_WS_BENCH_SIZES`
//! (default `1000,10000`) and `MDBR_WS_BENCH_ROUNDS` (default 30) change the
//! workload.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use axum::serve::ListenerExt;
use common::{now_ns, percentile_ms, rounds, sizes};
use futures_util::{SinkExt, StreamExt};
use mdbr_auth::{Authenticator, BoxFuture, CredentialSources, Decision, Identity, Outcome};
use mdbr_core::{AppSlug, WebSocketAuth, WebSocketEndpoint};
use mdbr_ws::{WsConfig, WsHub, WsMessage};
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const ROLE: &str = "MDBR_WS_BENCH_ROLE";

/// A multi-thread runtime with the worker count from `var` (tokio's default,
/// one per core, when unset).
fn runtime(var: &str) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Ok(threads) = std::env::var(var) {
        builder.worker_threads(threads.parse().unwrap());
    }
    builder.enable_all().build().unwrap()
}

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("server") {
        server();
    } else {
        clients();
    }
}

// ---------------------------------------------------------------- server --

/// Admits everyone anonymously: the benchmark measures the hub, not auth.
#[derive(Debug)]
struct Anyone(AppSlug);

impl Authenticator for Anyone {
    fn app(&self) -> &AppSlug {
        &self.0
    }

    fn identify<'a>(
        &'a self,
        _head: &'a Parts,
        _sources: CredentialSources,
    ) -> BoxFuture<'a, Result<Option<Identity>, mdbr_auth::Error>> {
        Box::pin(async { Ok(None) })
    }

    fn decide(&self, _identity: Option<&Identity>, _endpoint: Option<&WebSocketAuth>) -> Decision {
        Decision { outcome: Outcome::Allow, reason: "benchmark".into() }
    }
}

fn server() {
    let runtime = runtime("MDBR_WS_BENCH_SERVER_THREADS");
    runtime.block_on(async {
        let app = AppSlug::parse("bench").unwrap();
        let hub = WsHub::new(WsConfig::default());
        hub.on(&app, "fire", |ctx, data| async move {
            let tick = WsMessage::new("tick", json!({ "round": data, "sent_ns": now_ns() }));
            ctx.hub().broadcast_to_app(ctx.app(), &tick);
            Ok(())
        })
        .unwrap();
        hub.on(&app, "count", |ctx, _data| async move {
            let n = ctx.hub().connections(ctx.app());
            ctx.reply(&WsMessage::new("count", json!(n)))?;
            Ok(())
        })
        .unwrap();
        let mut endpoint = WebSocketEndpoint::new("/ws");
        endpoint.auth = Some(WebSocketAuth { required: false, allow_anonymous: true });
        let router = hub.app_router(&app, &[endpoint], Arc::new(Anyone(app.clone()))).unwrap();
        let router = axum::Router::new().nest("/apps/bench", router);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("LISTENING {}", listener.local_addr().unwrap().port());
        // Without TCP_NODELAY, Nagle's algorithm holds small frames back
        // while an earlier segment is unacknowledged.
        let nodelay = std::env::var("MDBR_WS_BENCH_NODELAY").as_deref() != Ok("0");
        let listener = listener.tap_io(move |tcp| {
            if nodelay {
                tcp.set_nodelay(true).unwrap();
            }
        });
        // Exit when the parent closes our stdin (or dies).
        tokio::spawn(async {
            let mut sink = Vec::new();
            let _ = tokio::io::stdin().read_to_end(&mut sink).await;
            std::process::exit(0);
        });
        axum::serve(listener, router).await.unwrap();
    });
}

// --------------------------------------------------------------- clients --

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The fields of a broadcast the clients read.
#[derive(serde::Deserialize)]
struct Tick {
    data: TickData,
}

#[derive(serde::Deserialize)]
struct TickData {
    round: i64,
    sent_ns: u64,
}

struct ServerProcess {
    child: Child,
    port: u16,
}

impl ServerProcess {
    fn spawn() -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(ROLE, "server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("LISTENING ").unwrap().parse().unwrap();
        Self { child, port }
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    fn cpu_us(&self) -> u64 {
        cpu_us(&format!("/proc/{}/stat", self.child.id()))
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/apps/bench/ws", self.port)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// User + system CPU time from a `/proc/<pid>/stat` file, in microseconds.
fn cpu_us(stat_path: &str) -> u64 {
    let stat = std::fs::read_to_string(stat_path).unwrap();
    // After the parenthesised command name, utime and stime are the 12th
    // and 13th fields, in clock ticks of 10 ms.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks * 10_000
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(text) => return text.to_string(),
            _ => continue,
        }
    }
}

async fn server_count(control: &mut Ws) -> usize {
    control.send(Message::text(r#"{"type":"count"}"#)).await.unwrap();
    loop {
        let envelope: serde_json::Value = serde_json::from_str(&next_text(control).await).unwrap();
        if envelope["type"] == "count" {
            return envelope["data"].as_u64().unwrap() as usize;
        }
    }
}

struct Figures {
    clients: usize,
    rounds: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    idle_kib_per_conn: f64,
    busy_kib_per_conn: f64,
    server_us_per_msg: f64,
    client_us_per_msg: f64,
}

async fn run(clients: usize, rounds: usize) -> Figures {
    let server = ServerProcess::spawn();
    let (mut control, _) = tokio_tungstenite::connect_async(server.url()).await.unwrap();
    assert_eq!(server_count(&mut control).await, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = server.rss_kib();

    // Connect the clients, at most 200 handshakes at a time.
    let received = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(200));
    let started = Instant::now();
    let mut connects = Vec::with_capacity(clients);
    for _ in 0..clients {
        let gate = Arc::clone(&gate);
        let url = server.url();
        connects.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            // tungstenite zero-fills its spare read buffer on every read: the
            // default 128 KiB would make the clients the bottleneck.
            let config = WebSocketConfig::default().read_buffer_size(512);
            tokio_tungstenite::connect_async_with_config(url, Some(config), true).await.unwrap().0
        }));
    }
    let mut sockets = Vec::with_capacity(clients);
    for connect in connects {
        sockets.push(connect.await.unwrap());
    }
    let connect_time = started.elapsed();
    let mut readers = Vec::with_capacity(clients);
    for mut ws in sockets {
        let received = Arc::clone(&received);
        readers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while let Some(Ok(frame)) = ws.next().await {
                if let Message::Text(text) = frame {
                    let now = now_ns();
                    let tick: Tick = serde_json::from_str(&text).unwrap();
                    if tick.data.round >= 0 {
                        latencies.push(now.saturating_sub(tick.data.sent_ns));
                    }
                    received.fetch_add(1, Ordering::Release);
                }
            }
            latencies
        }));
    }
    // A connection is registered just after its 101 is sent: wait for all.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server_count(&mut control).await < clients + 1 {
        assert!(Instant::now() < deadline, "the server did not register every client");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = server.rss_kib();
    let idle_kib_per_conn = rss_idle.saturating_sub(rss_before) as f64 / clients as f64;
    eprintln!(
        "  {clients} clients connected in {connect_time:.2?}; server RSS {rss_before} -> {rss_idle} KiB"
    );

    // Warm-up rounds (negative round numbers are not recorded), then the
    // measured ones, each started once the previous one has fully arrived.
    let warmup = 3;
    let mut expected = 0;
    let (mut server_cpu, mut client_cpu) = (0, 0);
    for round in -warmup..rounds as i64 {
        if round == 0 {
            server_cpu = server.cpu_us();
            client_cpu = cpu_us("/proc/self/stat");
        }
        let fire = json!({ "type": "fire", "data": round }).to_string();
        control.send(Message::text(fire)).await.unwrap();
        expected += clients;
        let deadline = Instant::now() + Duration::from_secs(30);
        while received.load(Ordering::Acquire) < expected {
            assert!(Instant::now() < deadline, "round {round} incomplete");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The control connection gets every broadcast too.
        let _ = next_text(&mut control).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let messages = (clients * rounds) as f64;
    let server_us_per_msg = (server.cpu_us() - server_cpu) as f64 / messages;
    let client_us_per_msg = (cpu_us("/proc/self/stat") - client_cpu) as f64 / messages;
    let rss_busy = server.rss_kib();
    let busy_kib_per_conn = rss_busy.saturating_sub(rss_before) as f64 / clients as f64;

    drop(server); // closes the sockets; the readers end
    let mut all = Vec::with_capacity(clients * rounds);
    for reader in readers {
        all.extend(reader.await.unwrap());
    }
    assert_eq!(all.len(), clients * rounds, "every client got every message");
    all.sort_unstable();
    Figures {
        clients,
        rounds,
        p50_ms: percentile_ms(&all, 0.50),
        p99_ms: percentile_ms(&all, 0.99),
        max_ms: percentile_ms(&all, 1.0),
        idle_kib_per_conn,
        busy_kib_per_conn,
        server_us_per_msg,
        client_us_per_msg,
    }
}

/// The machine's floor: one 100-byte write to each of `n` loopback TCP
/// sockets from one thread, then one read from each, with no websocket and
/// no runtime. Returns microseconds per write and per read.
fn kernel_floor(n: usize) -> (f64, f64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nodelay(true).unwrap();
        pairs.push((server, client));
    }
    let message = [b'x'; 100];
    let mut buf = [0; 512];
    let (mut write, mut read) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..5 {
        let t = Instant::now();
        for (server, _) in &mut pairs {
            server.write_all(&message).unwrap();
        }
        write += t.elapsed();
        let t = Instant::now();
        for (_, client) in &mut pairs {
            let _ = client.read(&mut buf).unwrap();
        }
        read += t.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (5 * n) as f64;
    (per(write), per(read))
}

fn clients() {
    let sizes = sizes("1000,10000");
    let rounds = rounds(30);
    let (floor_write, floor_read) = kernel_floor(4000);
    let runtime = runtime("MDBR_WS_BENCH_CLIENT_THREADS");
    let mut results = Vec::new();
    for clients in sizes {
        eprintln!("running {clients} clients x {rounds} rounds ...");
        results.push(runtime.block_on(run(clients, rounds)));
    }
    println!(
        "mdbr-ws fan-out over loopback: WsConfig::default(), server in a child process, clients \
         in this one, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "kernel floor (plain TCP, one thread): {floor_write:.2} us per 100-byte write, \
         {floor_read:.2} us per read"
    );
    println!(
        "{:>8} {:>7} {:>9} {:>9} {:>9} {:>14} {:>14} {:>14} {:>14}",
        "clients",
        "rounds",
        "p50 ms",
        "p99 ms",
        "max ms",
        "idle KiB/conn",
        "busy KiB/conn",
        "server us/msg",
        "client us/msg"
    );
    for f in &results {
        println!(
            "{:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>14.2} {:>14.2} {:>14.2} {:>14.2}",
            f.clients,
            f.rounds,
            f.p50_ms,
            f.p99_ms,
            f.max_ms,
            f.idle_kib_per_conn,
            f.busy_kib_per_conn,
            f.server_us_per_msg,
            f.client_us_per_msg
        );
    }
}
