//! Exact token counting for chunking: one tokenization pass over the text
//! (a block of the input, indexed just before it is split, so that the index
//! is still in cache when the splitter asks about it), then the count of any
//! slice of it from prefix sums plus a re-count of the slice's edges.
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
//!
//! Pre-tokenization is `pretok.rs`'s (the same pieces as `bpe-openai`'s
//! regex, without running it on ASCII text); short pieces repeat a lot
//! (" the", ".\n\n"), so their counts are remembered across blocks.

use std::cell::Cell;
use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::pretok::Encoding;
use crate::trim::TrimMode;

/// Pieces up to this long have their token count remembered while indexing
/// (keyed by their bytes packed into a `u128`, see [`short_key`]).
const MEMO_PIECE_BYTES: usize = 15;

/// `KEY_MASKS[n]` keeps the low `n` bytes of a `u128`.
static KEY_MASKS: [u128; MEMO_PIECE_BYTES + 1] = {
    let mut masks = [0u128; MEMO_PIECE_BYTES + 1];
    let mut n = 1;
    while n <= MEMO_PIECE_BYTES {
        masks[n] = (1u128 << (n * 8)) - 1;
        n += 1;
    }
    masks
};

/// The piece of `len` bytes at `start` of `text` as a number, if it is at
/// most [`MEMO_PIECE_BYTES`] long: its bytes, then its length in the last
/// byte. Comparing keys then never reads the text again, and the bytes are
/// read with one unaligned load where the text has 16 bytes from `start`.
fn short_key(text: &[u8], start: usize, len: usize) -> Option<u128> {
    if len > MEMO_PIECE_BYTES {
        return None;
    }
    let bytes: [u8; 16] = match text.get(start..start + 16) {
        Some(window) => window.try_into().ok()?,
        None => {
            let mut bytes = [0u8; 16];
            bytes.get_mut(..len)?.copy_from_slice(text.get(start..start + len)?);
            bytes
        }
    };
    let mask = KEY_MASKS.get(len)?;
    Some((u128::from_le_bytes(bytes) & mask) | ((len as u128) << 120))
}

/// Counts tokens of a text and of its slices.
pub(crate) struct SliceCounter<'t> {
    encoding: Encoding,
    /// The indexed text.
    text: &'t str,
    /// Start of every piece of `text`, ascending, then `text.len()` (empty
    /// when `text` is too long for 32-bit offsets).
    starts: Vec<u32>,
    /// `tokens[i]`: tokens of the pieces before piece `i` (same length as `starts`).
    tokens: Vec<u32>,
    /// Token counts of the short pieces seen while indexing (kept from one
    /// indexed text to the next).
    seen: HashMap<u128, u32, RandomState>,
    /// The piece index [`Self::locate`] found last.
    hint: Cell<usize>,
}

impl<'t> SliceCounter<'t> {
    /// A counter with nothing indexed yet: see [`Self::index`].
    pub(crate) fn empty(encoding: Encoding) -> Self {
        Self {
            encoding,
            text: "",
            starts: Vec::new(),
            tokens: Vec::new(),
            // Short pieces repeat a lot (" the", ".\n\n"): count each once.
            seen: HashMap::with_capacity_and_hasher(1 << 12, RandomState::default()),
            hint: Cell::new(0),
        }
    }

    /// A counter of `text` and its slices.
    #[cfg(test)]
    pub(crate) fn new(encoding: Encoding, text: &'t str) -> Self {
        let mut counter = Self::empty(encoding);
        counter.index(text);
        counter
    }

    /// Tokenizes `text` once, replacing the previously indexed text. Texts too
    /// large for 32-bit offsets get no index (every slice is then counted from
    /// scratch).
    pub(crate) fn index(&mut self, text: &'t str) {
        let Self { encoding, starts, tokens, seen, .. } = self;
        self.text = text;
        self.hint.set(0);
        starts.clear();
        tokens.clear();
        if u32::try_from(text.len()).is_err() {
            return;
        }
        starts.reserve(text.len() / 4 + 1);
        tokens.reserve(text.len() / 4 + 1);
        let (mut at, mut total) = (0usize, 0usize);
        while let Some(end) = encoding.piece_end(text, at).filter(|&end| end > at) {
            starts.push(at as u32);
            tokens.push(total as u32);
            let bytes = text.as_bytes().get(at..end).unwrap_or_default();
            total += match short_key(text.as_bytes(), at, bytes.len()) {
                Some(key) => {
                    *seen.entry(key).or_insert_with(|| encoding.tokenizer.bpe.count(bytes) as u32)
                        as usize
                }
                None => encoding.tokenizer.bpe.count(bytes),
            };
            at = end;
        }
        starts.push(at as u32);
        tokens.push(total as u32);
        if at != text.len() {
            // Pre-tokenization stopped short (it never does): no index.
            starts.clear();
            tokens.clear();
        }
    }

    /// Tokens of `slice`, which should lie inside the indexed text (any other
    /// string is counted from scratch).
    pub(crate) fn count(&self, slice: &str) -> usize {
        let Some(start) = self.offset_of(slice) else {
            return self.encoding.count(slice);
        };
        let end = start + slice.len();
        // (a) Count the slice's own pieces until one ends where a piece of the
        // whole text ends: from there on both are cut alike.
        let mut count = 0;
        let mut synced = start;
        if self.piece_index(start).is_none() {
            let mut at = start;
            let mut found = None;
            for piece in self.encoding.pieces(slice) {
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
        let last = self.locate(body_end);
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
        self.encoding.pieces(text).map(|piece| self.piece_tokens(piece)).sum()
    }

    /// Tokens of one pre-tokenized piece.
    fn piece_tokens(&self, piece: &str) -> usize {
        let key =
            self.offset_of(piece).and_then(|at| short_key(self.text.as_bytes(), at, piece.len()));
        match key.and_then(|key| self.seen.get(&key)) {
            Some(&n) => n as usize,
            None => self.encoding.tokenizer.bpe.count(piece.as_bytes()),
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
        let index = self.locate(offset);
        (self.starts.get(index).map(|&s| s as usize) == Some(offset)).then_some(index)
    }

    /// Index of the last piece starting at or before `offset` (0 if none).
    ///
    /// The splitter asks about slices near the previous one, so the search
    /// gallops out from the last answer before bisecting: a few steps in
    /// cache instead of a cold binary search over the whole text's pieces.
    fn locate(&self, offset: usize) -> usize {
        let starts = self.starts.as_slice();
        let Ok(target) = u32::try_from(offset) else {
            return starts.len().saturating_sub(1);
        };
        let at_or_before = |i: usize| starts.get(i).is_some_and(|&s| s <= target);
        let hint = self.hint.get().min(starts.len().saturating_sub(1));
        // Find `lo < hi` with `starts[lo] <= target < starts[hi]` (or `hi` past the end).
        let (lo, hi) = if at_or_before(hint) {
            let (mut lo, mut step) = (hint, 1);
            loop {
                let next = lo.saturating_add(step);
                if next >= starts.len() || !at_or_before(next) {
                    break (lo, next.min(starts.len()));
                }
                lo = next;
                step *= 2;
            }
        } else {
            let (mut hi, mut step) = (hint, 1);
            loop {
                let Some(next) = hi.checked_sub(step) else { break (0, hi) };
                if at_or_before(next) {
                    break (next, hi);
                }
                hi = next;
                step *= 2;
            }
        };
        let within = starts.get(lo..hi).map_or(0, |s| s.partition_point(|&s| s <= target));
        let index = (lo + within).saturating_sub(1);
        self.hint.set(index);
        index
    }
}

impl text_splitter::ChunkSizer for SliceCounter<'_> {
    fn size(&self, chunk: &str) -> usize {
        self.count(chunk)
    }
}

/// Sizes chunks as text-splitter would after trimming them with `trim`.
pub(crate) struct TrimmedSizer<'c, 't> {
    /// Counts the trimmed chunks.
    pub(crate) counter: &'c SliceCounter<'t>,
    /// How chunks are trimmed.
    pub(crate) trim: TrimMode,
}

impl text_splitter::ChunkSizer for TrimmedSizer<'_, '_> {
    fn size(&self, chunk: &str) -> usize {
        self.counter.count(self.trim.apply(0, chunk).1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use tiktoken_rs::CoreBPE;

    use super::*;
    use crate::pretok::Pattern;

    fn encoders(o200k: bool) -> (Encoding, &'static CoreBPE) {
        if o200k {
            (
                Encoding { tokenizer: bpe_openai::o200k_base(), pattern: Pattern::O200k },
                tiktoken_rs::o200k_base_singleton(),
            )
        } else {
            (
                Encoding { tokenizer: bpe_openai::cl100k_base(), pattern: Pattern::Cl100k },
                tiktoken_rs::cl100k_base_singleton(),
            )
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
            let expected = tiktoken.encode_ordinary(&text).len();
            prop_assert_eq!(bpe.tokenizer.count(text.as_str()), expected);
            prop_assert_eq!(bpe.count(&text), expected);
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
