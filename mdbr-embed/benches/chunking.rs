//! Chunking throughput on a generated 10 MB English/Markdown corpus, side by
//! side with LangChain's `RecursiveCharacterTextSplitter.from_tiktoken_encoder`.
//!
//! `cargo bench -p mdbr-embed --bench chunking`. Set `MDBR_BENCH_PYTHON` to a
//! Python with `langchain-text-splitters` and `tiktoken` installed to run the
//! LangChain side in the same run; tiktoken fetches its BPE files from the
//! internet unless `TIKTOKEN_CACHE_DIR` holds them: copy tiktoken-rs's
//! `assets/cl100k_base.tiktoken` there under the SHA-1 of its download URL
//! (the contents are byte-identical, so tiktoken's hash check passes).
//! `MDBR_BENCH_MB` sets the corpus size (default 10); `MDBR_BENCH_PROBE=1`
//! also times one whole-corpus encode and text-splitter with a character sizer;
//! `MDBR_BENCH_BUDGETS` lists the token budgets (default `1000,200`), e.g. to
//! profile one of them. mdbr-embed splits the corpus repeatedly for at least
//! `MDBR_BENCH_MIN_SECS` (default 1) and reports the mean (and the first
//! run), as one split is short enough for a busy machine to distort it;
//! LangChain's single split takes seconds. Both sides report wall and CPU
//! time (CPU time on Linux; it moves less with the machine's load than wall
//! time); the ratio is given for both. Both sides run on one thread.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)] // a report binary

use std::io::Write;
use std::time::Instant;

use mdbr_embed::EmbeddingService;

const WORDS: &[&str] = &[
    "the",
    "runtime",
    "stores",
    "documents",
    "per",
    "app",
    "and",
    "every",
    "query",
    "is",
    "scoped",
    "to",
    "its",
    "owner",
    "while",
    "indexes",
    "are",
    "declared",
    "in",
    "a",
    "manifest",
    "that",
    "describes",
    "collections",
    "embedding",
    "models",
    "chunk",
    "text",
    "under",
    "token",
    "budget",
    "retries",
    "honour",
    "rate",
    "limits",
    "vector",
    "search",
    "returns",
    "nearest",
    "neighbours",
    "quickly",
    "with",
    "filters",
    "on",
    "metadata",
    "developers",
    "write",
    "less",
    "plumbing",
    "because",
    "configuration",
    "drives",
    "behaviour",
];

/// A deterministic corpus of `bytes` bytes: prose paragraphs, headings, lists,
/// tables and code blocks.
fn corpus(bytes: usize) -> String {
    let mut seed: u64 = 42;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let mut out = String::with_capacity(bytes + 4096);
    let mut section = 0;
    while out.len() < bytes {
        match next(10) {
            0 => {
                section += 1;
                out.push_str(&format!(
                    "## Section {section}: {} {}\n\n",
                    WORDS[next(WORDS.len())],
                    WORDS[next(WORDS.len())]
                ));
            }
            1 => {
                for _ in 0..(2 + next(5)) {
                    out.push_str(&format!(
                        "- {} {} {}\n",
                        WORDS[next(WORDS.len())],
                        WORDS[next(WORDS.len())],
                        WORDS[next(WORDS.len())]
                    ));
                }
                out.push('\n');
            }
            2 => {
                out.push_str("| field | type | note |\n|---|---|---|\n");
                for r in 0..(2 + next(8)) {
                    out.push_str(&format!(
                        "| f{r} | string | {} {} |\n",
                        WORDS[next(WORDS.len())],
                        WORDS[next(WORDS.len())]
                    ));
                }
                out.push('\n');
            }
            3 => {
                out.push_str("```rust\n");
                for l in 0..(3 + next(10)) {
                    out.push_str(&format!(
                        "let x{l} = scope.find(doc! {{ \"k\": {} }}).await?;\n",
                        next(1000)
                    ));
                }
                out.push_str("```\n\n");
            }
            _ => {
                for s in 0..(3 + next(6)) {
                    let len = 6 + next(18);
                    let mut sentence: Vec<&str> =
                        (0..len).map(|_| WORDS[next(WORDS.len())]).collect();
                    let first = sentence[0];
                    let capital = format!("{}{}", first[..1].to_uppercase(), &first[1..]);
                    sentence[0] = &capital;
                    out.push_str(&sentence.join(" "));
                    out.push_str(if s % 4 == 3 { "? " } else { ". " });
                }
                out.push_str("\n\n");
            }
        }
    }
    out
}

const LANGCHAIN: &str = r#"
import sys, time
from langchain_text_splitters import RecursiveCharacterTextSplitter
path, budget = sys.argv[1], int(sys.argv[2])
text = open(path, encoding="utf-8").read()
splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(encoding_name="cl100k_base", chunk_size=budget, chunk_overlap=0)
start, cpu = time.perf_counter(), time.process_time()
chunks = splitter.split_text(text)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
print(f"{elapsed} {len(chunks)} {cpu}")
"#;

/// CPU time of the calling thread (Linux), which load on the machine barely
/// changes, unlike wall time.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn main() {
    let size =
        std::env::var("MDBR_BENCH_MB").ok().and_then(|m| m.parse::<usize>().ok()).unwrap_or(10)
            * 1_000_000;
    let text = corpus(size);
    let mb = text.len() as f64 / 1e6;
    println!("corpus: {mb:.1} MB of mixed English/Markdown");
    let path = std::env::temp_dir().join("mdbr-chunking-corpus.md");
    std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
    if std::env::var("MDBR_BENCH_PROBE").is_ok() {
        let bpe = tiktoken_rs::cl100k_base_singleton();
        let start = Instant::now();
        let n = bpe.encode_ordinary(&text).len();
        println!(
            "probe: one encode of the corpus: {:.2} s ({n} tokens)",
            start.elapsed().as_secs_f64()
        );
        let start = Instant::now();
        let n = bpe_openai::cl100k_base().count(text.as_str());
        println!(
            "probe: one bpe-openai count of the corpus: {:.2} s ({n} tokens)",
            start.elapsed().as_secs_f64()
        );
        let start = Instant::now();
        let cfg = text_splitter::ChunkConfig::new(4000);
        let k = text_splitter::MarkdownSplitter::new(cfg).chunk_indices(&text).count();
        println!(
            "probe: markdown splitter by characters: {:.2} s ({k} chunks)",
            start.elapsed().as_secs_f64()
        );
    }
    let min_secs = std::env::var("MDBR_BENCH_MIN_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    let budgets: Vec<usize> = std::env::var("MDBR_BENCH_BUDGETS")
        .ok()
        .map(|b| b.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 200]);
    for budget in budgets {
        let service = EmbeddingService::new(budget, "gpt-3.5-turbo").unwrap();
        service.count_tokens("warm up the encoder");
        let (start, cpu_start) = (Instant::now(), thread_cpu_secs());
        let chunks = service.split(&text);
        let first = start.elapsed().as_secs_f64();
        // One split takes a tenth of a second, LangChain's several seconds:
        // split again until `min_secs` have passed and report the mean, so
        // that one descheduling on a busy machine does not decide the figure
        // more than it can for LangChain.
        let mut runs = 1u32;
        while start.elapsed().as_secs_f64() < min_secs {
            std::hint::black_box(service.split(&text));
            runs += 1;
        }
        let secs = start.elapsed().as_secs_f64() / f64::from(runs);
        let cpu =
            thread_cpu_secs().zip(cpu_start).map(|(end, start)| (end - start) / f64::from(runs));
        let over = chunks.iter().filter(|c| c.token_count > budget).count();
        println!(
            "mdbr-embed   budget {budget:>4}: {:>7.2} MB/s  ({secs:.3} s, cpu {:.3} s: mean of {runs} runs, first {first:.3} s; {} chunks, {over} over budget)",
            mb / secs,
            cpu.unwrap_or(f64::NAN),
            chunks.len()
        );
        if let Ok(python) = std::env::var("MDBR_BENCH_PYTHON") {
            let out = std::process::Command::new(python)
                .args(["-c", LANGCHAIN, path.to_str().unwrap(), &budget.to_string()])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let mut parts = stdout.split_whitespace();
            let lc = parts.next().and_then(|s| s.parse::<f64>().ok());
            let n = parts.next();
            let lc_cpu = parts.next().and_then(|s| s.parse::<f64>().ok());
            match (lc, n) {
                (Some(lc), Some(n)) => println!(
                    "langchain    budget {budget:>4}: {:>7.2} MB/s  ({lc:.2} s, cpu {:.2} s, {n} chunks)  -> mdbr-embed is {:.1}x (cpu time {:.1}x)",
                    mb / lc,
                    lc_cpu.unwrap_or(f64::NAN),
                    lc / secs,
                    lc_cpu.zip(cpu).map_or(f64::NAN, |(l, o)| l / o)
                ),
                _ => println!(
                    "langchain    budget {budget:>4}: failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
            }
        }
    }
}
