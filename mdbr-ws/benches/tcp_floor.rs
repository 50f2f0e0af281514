//! The floor under `fanout`: the same broadcast with no websocket, no hub and
//! no async server at all. A child process holds N plain TCP connections and,
//! on each "fire", stamps the wall clock once and writes those 8 bytes to
//! every socket in one tight blocking loop; the clients (this process, a
//! tokio runtime, one task per socket) record `receipt - stamp`.
//!
//! Whatever this reports on a machine is the least any fan-out can reach
//! there with the clients on the same cores: `fanout`'s figures should be
//! read against it. `cargo bench -p mdbr-ws --bench tcp_floor`;
//! `MDBR_WS_BENCH_SIZES` (default `1000,10000`) and `MDBR_WS_BENCH_ROUNDS`
//! (default 30) size the run.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{now_ns, percentile_ms, rounds, sizes};
use tokio::io::AsyncReadExt;

const ROLE: &str = "MDBR_WS_FLOOR_ROLE";

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("server") {
        server();
    } else {
        clients();
    }
}

/// Accepts connections until told to fire; each "fire" line writes one stamp
/// to every connection, then answers "done".
fn server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("LISTENING {}", listener.local_addr().unwrap().port());
    let n: usize = std::env::var("MDBR_WS_FLOOR_N").unwrap().parse().unwrap();
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        streams.push(s);
    }
    println!("READY");
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        if line != "fire" {
            break;
        }
        let stamp = now_ns().to_le_bytes();
        for s in &mut streams {
            s.write_all(&stamp).unwrap();
        }
        println!("done");
    }
}

fn clients() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = sizes(if full { "1000,10000" } else { "50" });
    let rounds = rounds(if full { 30 } else { 3 });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("{:>7} {:>8} {:>8} {:>8}", "clients", "p50 ms", "p99 ms", "max ms");
    for n in sizes {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .env(ROLE, "server")
            .env("MDBR_WS_FLOOR_N", n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let port: u16 = line.trim().strip_prefix("LISTENING ").unwrap().parse().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        runtime.block_on(async {
            for _ in 0..n {
                let std_stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                std_stream.set_nonblocking(true).unwrap();
                let mut s = tokio::net::TcpStream::from_std(std_stream).unwrap();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 8];
                    while s.read_exact(&mut buf).await.is_ok() {
                        let _ = tx.send(now_ns().saturating_sub(u64::from_le_bytes(buf)));
                    }
                });
            }
        });
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "READY");
        let mut all = Vec::with_capacity(n * rounds);
        for round in 0..rounds + 1 {
            writeln!(stdin, "fire").unwrap();
            for _ in 0..n {
                let l = rx.recv_timeout(Duration::from_secs(30)).unwrap();
                // Round 0 warms up.
                if round > 0 {
                    all.push(l);
                }
            }
            line.clear();
            out.read_line(&mut line).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(stdin);
        let _ = child.wait();
        all.sort_unstable();
        println!(
            "{n:>7} {:>8.2} {:>8.2} {:>8.2}",
            percentile_ms(&all, 0.5),
            percentile_ms(&all, 0.99),
            percentile_ms(&all, 1.0)
        );
    }
}
