//! Chunking properties on random texts: token budget, order, coverage.

use mdbr_embed::{Chunk, EmbeddingService, TextFormat};
use proptest::prelude::*;

/// One piece of a random document.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        // English-like sentences.
        prop::collection::vec("[a-z]{1,12}", 3..40).prop_map(|w| format!("{}.", w.join(" "))),
        // Long words without any break.
        "[a-zA-Z0-9]{200,1500}",
        // CJK text without spaces.
        prop::collection::vec(prop::char::range('\u{4e00}', '\u{9fa5}'), 20..400)
            .prop_map(|c| c.into_iter().collect()),
        // Markdown headings.
        "[A-Za-z ]{3,40}".prop_map(|t| format!("## {t}")),
        // Markdown tables.
        (2usize..30).prop_map(|rows| {
            let mut t = String::from("| name | value | note |\n|---|---|---|\n");
            for r in 0..rows {
                t.push_str(&format!("| row{r} | {} | some words here |\n", r * 7));
            }
            t
        }),
        // Code blocks.
        (1usize..60).prop_map(|lines| {
            let mut c = String::from("```rust\n");
            for l in 0..lines {
                c.push_str(&format!("fn f{l}(x: u32) -> u32 {{ x * {l} + 1 }}\n"));
            }
            c.push_str("```");
            c
        }),
        // Emoji and accents.
        "[éàü😀👍🏽 a-z]{1,200}",
    ]
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec((segment(), prop_oneof![Just("\n\n"), Just("\n"), Just(" ")]), 1..25)
        .prop_map(|parts| parts.into_iter().map(|(s, sep)| format!("{s}{sep}")).collect())
}

fn check_chunks(
    service: &EmbeddingService,
    text: &str,
    chunks: &[Chunk],
) -> Result<(), TestCaseError> {
    for (i, c) in chunks.iter().enumerate() {
        prop_assert_eq!(c.index, i);
        prop_assert!(
            c.token_count <= service.max_tokens_per_chunk(),
            "chunk {} has {} tokens",
            i,
            c.token_count
        );
        prop_assert_eq!(c.token_count, service.count_tokens(&c.text));
        prop_assert_eq!(&text[c.byte_range.clone()], c.text.as_str());
    }
    for pair in chunks.windows(2) {
        prop_assert!(pair[0].byte_range.start < pair[1].byte_range.start, "chunks out of order");
    }
    Ok(())
}

/// Every byte that is not whitespace lies in some chunk.
fn check_no_loss(text: &str, chunks: &[Chunk]) -> Result<(), TestCaseError> {
    let mut covered = vec![false; text.len()];
    for c in chunks {
        covered[c.byte_range.clone()].iter_mut().for_each(|b| *b = true);
    }
    for (i, ch) in text.char_indices() {
        prop_assert!(ch.is_whitespace() || covered[i], "byte {} ({:?}) is in no chunk", i, ch);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn trimmed_chunks_fit_the_budget_and_cover_the_text_in_order(text in document(), budget in 20usize..200, o200k in any::<bool>()) {
        let model = if o200k { "gpt-4o" } else { "gpt-3.5-turbo" };
        let service = EmbeddingService::new(budget, model).unwrap();
        for format in [TextFormat::detect(&text), TextFormat::Plain] {
            let chunks = service.split_as(&text, format);
            check_chunks(&service, &text, &chunks)?;
            check_no_loss(&text, &chunks)?;
            // Without overlap, chunks do not overlap and only whitespace lies between them.
            let mut joined = String::new();
            let mut end = 0;
            for c in &chunks {
                prop_assert!(c.byte_range.start >= end, "chunks overlap");
                prop_assert!(text[end..c.byte_range.start].trim().is_empty());
                joined.push_str(&text[end..c.byte_range.start]);
                joined.push_str(&c.text);
                end = c.byte_range.end;
            }
            prop_assert!(text[end..].trim().is_empty());
            joined.push_str(&text[end..]);
            prop_assert_eq!(joined, text.clone());
        }
    }

    #[test]
    fn untrimmed_chunks_tile_the_input_exactly(text in document(), budget in 20usize..200) {
        let service = EmbeddingService::new(budget, "gpt-4").unwrap().with_trim(false);
        let chunks = service.split(&text);
        check_chunks(&service, &text, &chunks)?;
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        prop_assert_eq!(joined, text);
    }

    #[test]
    fn overlapping_chunks_fit_the_budget_and_lose_nothing(text in document(), budget in 40usize..200, overlap_pct in 1usize..50) {
        let overlap = budget * overlap_pct / 100;
        let service = EmbeddingService::new(budget, "gpt-4o-mini").unwrap().with_overlap(overlap).unwrap();
        let chunks = service.split(&text);
        check_chunks(&service, &text, &chunks)?;
        check_no_loss(&text, &chunks)?;
    }
}

#[test]
fn markdown_is_split_on_its_structure() {
    let mut doc = String::new();
    for s in 0..6 {
        doc.push_str(&format!("# Section {s}\n\n"));
        for p in 0..4 {
            doc.push_str(&format!(
                "Paragraph {p} of section {s} says something about mdbr and chunking.\n\n"
            ));
        }
    }
    let service = EmbeddingService::new(100, "gpt-3.5-turbo").unwrap();
    let chunks = service.split(&doc);
    assert!(chunks.len() >= 3);
    assert!(chunks.iter().all(|c| c.text.starts_with("# Section")), "{chunks:#?}");
}

#[test]
fn token_counts_are_real_tokens_not_characters() {
    let service = EmbeddingService::new(1000, "gpt-3.5-turbo").unwrap();
    let text = "Hello world, this is a test of the tokenizer.";
    let chunks = service.split(text);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].token_count, 11);
    assert_eq!(service.encoding(), "cl100k_base");
    assert_eq!(EmbeddingService::new(1000, "gpt-4o").unwrap().encoding(), "o200k_base");
    assert!(service.split("").is_empty());
}

#[test]
fn overlap_must_be_smaller_than_the_chunk() {
    let err = EmbeddingService::new(100, "gpt-4").unwrap().with_overlap(100).unwrap_err();
    assert!(matches!(err, mdbr_embed::Error::Config(_)));
    assert!(EmbeddingService::new(0, "gpt-4").is_err());
}

/// A document long enough to be split in several blocks (see `blocks.rs`).
fn long_document() -> String {
    let mut doc = String::new();
    let mut n = 0u64;
    while doc.len() < 600_000 {
        n += 1;
        match n % 7 {
            0 => doc.push_str(&format!("## Section {n}\n\n")),
            1 => doc.push_str("```rust\nfn f(x: u32) -> u32 {\n\n    x * 2\n}\n```\n\n"),
            2 => doc.push_str("| a | b |\n|---|---|\n| 1 | 2 |\n\n"),
            3 => doc.push_str(&"長い日本語の文章が続きます。".repeat((n % 13) as usize + 1)),
            _ => {
                for s in 0..(n % 9 + 1) {
                    doc.push_str(&format!(
                        "Sentence {s} of paragraph {n} talks about chunking and tokens. "
                    ));
                }
                doc.push_str("\n\n");
            }
        }
    }
    doc
}

#[test]
fn long_documents_fit_the_budget_and_cover_the_text_in_order() {
    let text = long_document();
    for (budget, model) in [(60, "gpt-4"), (500, "gpt-4o")] {
        let service = EmbeddingService::new(budget, model).unwrap();
        for format in [TextFormat::Markdown, TextFormat::Plain] {
            let chunks = service.split_as(&text, format);
            check_chunks(&service, &text, &chunks).unwrap();
            check_no_loss(&text, &chunks).unwrap();
            let mut end = 0;
            for c in &chunks {
                assert!(c.byte_range.start >= end, "chunks overlap");
                assert!(text[end..c.byte_range.start].trim().is_empty());
                end = c.byte_range.end;
            }
            // Blocks cost almost nothing in chunk count: chunks stay well filled.
            let tokens: usize = chunks.iter().map(|c| c.token_count).sum();
            assert!(
                tokens as f64 / chunks.len() as f64 > budget as f64 * 0.6,
                "{budget}: {} chunks for {tokens} tokens",
                chunks.len()
            );
        }
        let overlapping = service.clone().with_overlap(budget / 5).unwrap().split(&text);
        check_chunks(&service, &text, &overlapping).unwrap();
        check_no_loss(&text, &overlapping).unwrap();
    }
}
