//! Exact token counting for chunking: one tokenization pass over the input,
//! then the count of any slice of it from prefix sums plus a re-count of the
//! slice's edges.
//!
//! The counts are those of tiktoken (`encode_ordinary(slice).len()`),
//! computed with GitHub's `bpe-openai`, which splits text with the same
//! pre-tokenization pattern as tiktoken and encodes each piece with the same
//! byte-pair merges (the crate tests itself against tiktoken-rs, and so does
//! this crate's test suite).
//!
//! Why edges only: tiktoken first cuts text into pieces with a regex that has
//! no look-behind, then encodes each piece on its own. Cutting a slice out of
//! a longer text can change the pieces only (a) at its start, until the
//! slice's own pieces fall back into step with the whole text's, and (b) in
//! the whitespace run at its end (where `\s+(?!\S)` sees the end of the text
//! instead of the next word). Everything between is counted once, up front.

use std::collections::HashMap;

use bpe_openai::Tokenizer;
use foldhash::fast::RandomState;

/// Pieces up to this long have their token count remembered while indexing.
const MEMO_PIECE_BYTES: usize = 32;

/// Counts tokens of a text and of its slices.
pub(crate) struct SliceCounter<'t> {
    tokenizer: &'static Tokenizer,
    text: &'t str,
    /// Start of every piece of `text`, ascending, then `text.len()`.
    starts: Vec<u32>,
    /// `tokens[i]`: tokens of the pieces before piece `i` (same length as `starts`).
    tokens: Vec<u32>,
    /// Token counts of the short pieces seen while indexing.
    seen: HashMap<&'t str, usize, RandomState>,
}

impl<'t> SliceCounter<'t> {
    /// Tokenizes `text` once. Texts too large for 32-bit offsets get no index
    /// (every slice is then counted from scratch).
    pub(crate) fn new(tokenizer: &'static Tokenizer, text: &'t str) -> Self {
        let mut starts = Vec::new();
        let mut tokens = Vec::new();
        // Short pieces repeat a lot (" the", ".\n\n"): count each once.
        let mut seen: HashMap<&str, usize, RandomState> =
            HashMap::with_capacity_and_hasher(1 << 12, RandomState::default());
        if u32::try_from(text.len()).is_ok() {
            starts.reserve(text.len() / 4 + 1);
            tokens.reserve(text.len() / 4 + 1);
            let (mut at, mut total) = (0usize, 0usize);
            for piece in tokenizer.split(text) {
                starts.push(at as u32);
                tokens.push(total as u32);
                at += piece.len();
                total += if piece.len() <= MEMO_PIECE_BYTES {
                    *seen.entry(piece).or_insert_with(|| tokenizer.bpe.count(piece.as_bytes()))
                } else {
                    tokenizer.bpe.count(piece.as_bytes())
                };
            }
            starts.push(at as u32);
            tokens.push(total as u32);
        }
        Self { tokenizer, text, starts, tokens, seen }
    }

    /// Tokens of `slice`, which should lie inside the indexed text (any other
    /// string is counted from scratch).
    pub(crate) fn count(&self, slice: &str) -> usize {
        let Some(start) = self.offset_of(slice) else {
            return self.tokenizer.count(slice);
        };
        let end = start + slice.len();
        // (a) Count the slice's own pieces until one ends where a piece of the
        // whole text ends: from there on both are cut alike.
        let mut count = 0;
        let mut synced = start;
        if self.piece_index(start).is_none() {
            let mut at = start;
            let mut found = None;
            for piece in self.tokenizer.split(slice) {
                count += self.piece_tokens(piece);
                at += piece.len();
                if at < end && self.piece_index(at).is_some() {
                    found = Some(at);
                    break;
                }
            }
            match found {
                Some(at) => synced = at,
                None => return count,
            }
        }
        // (b) Whole pieces of the text up to the last piece start at or before
        // the slice's trailing whitespace; the rest is counted on its own.
        let body_end = start + slice.trim_end().len();
        let last = self.starts.partition_point(|&s| s as usize <= body_end).saturating_sub(1);
        let from = self.piece_index(synced);
        match from {
            Some(first) if last > first => {
                let middle = (self.tokens[last] - self.tokens[first]) as usize;
                let tail_start = self.starts[last] as usize;
                count + middle + self.tokens_of(&self.text[tail_start..end])
            }
            _ => count + self.tokens_of(&self.text[synced..end]),
        }
    }

    /// Tokens of `text` on its own.
    fn tokens_of(&self, text: &str) -> usize {
        self.tokenizer.split(text).map(|piece| self.piece_tokens(piece)).sum()
    }

    /// Tokens of one pre-tokenized piece.
    fn piece_tokens(&self, piece: &str) -> usize {
        match self.seen.get(piece) {
            Some(&n) => n,
            None => self.tokenizer.bpe.count(piece.as_bytes()),
        }
    }

    /// Where `slice` starts in the indexed text, if it lies inside it.
    fn offset_of(&self, slice: &str) -> Option<usize> {
        if self.starts.is_empty() {
            return None;
        }
        let offset = (slice.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize)?;
        (offset.checked_add(slice.len())? <= self.text.len()).then_some(offset)
    }

    /// Index of the piece starting at `offset`, if one does.
    fn piece_index(&self, offset: usize) -> Option<usize> {
        let offset = u32::try_from(offset).ok()?;
        self.starts.binary_search(&offset).ok()
    }
}

impl text_splitter::ChunkSizer for SliceCounter<'_> {
    fn size(&self, chunk: &str) -> usize {
        self.count(chunk)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use tiktoken_rs::CoreBPE;

    use super::*;

    fn encoders(o200k: bool) -> (&'static Tokenizer, &'static CoreBPE) {
        if o200k {
            (bpe_openai::o200k_base(), tiktoken_rs::o200k_base_singleton())
        } else {
            (bpe_openai::cl100k_base(), tiktoken_rs::cl100k_base_singleton())
        }
    }

    /// Text that stresses pre-tokenization: whitespace runs of every kind,
    /// digits, contractions, punctuation, CJK, emoji, long words, Markdown
    /// tables and code.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z]{1,12}",
            "[0-9]{1,12}",
            "[ \t\n\r]{1,6}",
            prop_oneof![
                Just("\u{a0}"),
                Just("\u{3000}"),
                Just("\u{2003}"),
                Just("\r\n"),
                Just(" \n \n  ")
            ]
            .prop_map(str::to_owned),
            prop_oneof![Just("'s"), Just("'LL"), Just("'re"), Just("'d"), Just("n't")]
                .prop_map(str::to_owned),
            "[.,;:!?()\\[\\]{}<>/\\\\|*#=+-_`\"']{1,4}",
            prop::collection::vec(prop::char::range('\u{4e00}', '\u{9fa5}'), 1..30)
                .prop_map(|c| c.into_iter().collect()),
            "[éàüßÆøЖжλ😀👍🏽]{1,8}",
            "[a-zA-Z0-9]{100,400}",
            (1usize..4).prop_map(|rows| {
                let mut t = String::from("| name | value |\n|---|---|\n");
                for r in 0..rows {
                    t.push_str(&format!("| row{r} | {} |\n", r * 7));
                }
                t
            }),
            Just("```rust\nfn f(x: u32) -> u32 {\n    x * 2 + 1\n}\n```\n".to_owned()),
            Just("## Heading\n\n- item one\n- item two\n\n".to_owned()),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 1..60).prop_map(|p| p.concat())
    }

    fn boundary(text: &str, at: usize) -> usize {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn counts_equal_tiktoken_rs(text in text(), o200k in any::<bool>()) {
            let (bpe, tiktoken) = encoders(o200k);
            prop_assert_eq!(bpe.count(text.as_str()), tiktoken.encode_ordinary(&text).len());
        }

        #[test]
        fn slice_counts_equal_tiktoken_rs(
            text in text(),
            cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..12),
            o200k in any::<bool>(),
        ) {
            let (bpe, tiktoken) = encoders(o200k);
            let counter = SliceCounter::new(bpe, &text);
            for (a, b) in cuts {
                let (a, b) = (boundary(&text, a.index(text.len() + 1)), boundary(&text, b.index(text.len() + 1)));
                let slice = &text[a.min(b)..a.max(b)];
                prop_assert_eq!(
                    counter.count(slice),
                    tiktoken.encode_ordinary(slice).len(),
                    "slice {:?} of {:?}", slice, text
                );
                // Trimmed slices are what the splitter sizes most.
                prop_assert_eq!(counter.count(slice.trim()), tiktoken.encode_ordinary(slice.trim()).len());
            }
        }
    }

    #[test]
    fn whitespace_before_the_cut_is_recounted() {
        let text = "alpha  beta\n\n  \n   gamma 12345678 don't \u{3000}\u{a0} 中文字符 ok.\r\n  ";
        for o200k in [false, true] {
            let (bpe, tiktoken) = encoders(o200k);
            let counter = SliceCounter::new(bpe, text);
            for (a, _) in text.char_indices() {
                for (b, _) in text[a..].char_indices().chain([(text.len() - a, ' ')]) {
                    let slice = &text[a..a + b];
                    assert_eq!(
                        counter.count(slice),
                        tiktoken.encode_ordinary(slice).len(),
                        "{slice:?}"
                    );
                }
            }
            let other = "not from the text";
            assert_eq!(counter.count(other), tiktoken.encode_ordinary(other).len());
        }
    }
}
