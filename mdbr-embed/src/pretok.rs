//! Pre-tokenization (tiktoken's regex split) without running the regex on
//! ASCII text.
//!
//! tiktoken cuts text into pieces with a regex before byte-pair encoding each
//! piece. `bpe-openai` runs that regex (rewritten for `regex-automata`) once
//! per piece, which costs about as much as everything else chunking does.
//! Most text is ASCII, where the regex's Unicode classes (`\p{L}`, `\p{N}`,
//! `\s`) reduce to byte tests, so [`Pieces`] decides each piece by hand as
//! long as every character it has to classify is ASCII; the moment it would
//! have to classify a non-ASCII character, that piece is cut by
//! `bpe-openai`'s regex instead. Pieces always start where the regex's would,
//! so the two interleave freely.
//!
//! The hand-written rules follow the alternatives of the patterns in order
//! (the regex engines pick the first alternative that matches, each
//! quantifier greedy), and are checked piece by piece against `bpe-openai`'s
//! split on random text in this module's tests (and, through the token
//! counts, against tiktoken-rs in `counter.rs` and the integration tests).
//!
//! cl100k: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//! ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//!
//! o200k: `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
//! [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
//! \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

use bpe_openai::Tokenizer;

/// The pre-tokenization pattern of an encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `cl100k_base`.
    Cl100k,
    /// `o200k_base`.
    O200k,
}

/// An encoding: its byte-pair encoder (with its regex) and its pattern.
#[derive(Clone, Copy)]
pub(crate) struct Encoding {
    /// `bpe-openai`'s tokenizer for the encoding.
    pub(crate) tokenizer: &'static Tokenizer,
    /// The pattern `tokenizer` splits with.
    pub(crate) pattern: Pattern,
}

impl Encoding {
    /// The pieces of `text`, as `tokenizer.split(text)` yields them.
    pub(crate) fn pieces<'a>(&self, text: &'a str) -> Pieces<'a> {
        Pieces { text, at: 0, encoding: *self }
    }

    /// Tokens of `text`: tiktoken's `encode_ordinary(text).len()`.
    pub(crate) fn count(&self, text: &str) -> usize {
        self.pieces(text).map(|piece| self.tokenizer.bpe.count(piece.as_bytes())).sum()
    }

    /// End of the piece of `text` that starts at `at` (a piece boundary);
    /// `None` at the end of the text.
    #[inline]
    pub(crate) fn piece_end(&self, text: &str, at: usize) -> Option<usize> {
        let bytes = text.as_bytes();
        if at >= bytes.len() {
            return None;
        }
        let end = match self.pattern {
            Pattern::Cl100k => cl100k(bytes, at),
            Pattern::O200k => o200k(bytes, at),
        };
        match end {
            Some(end) => Some(end),
            None => Some(at + self.tokenizer.split(text.get(at..)?).next()?.len()),
        }
    }
}

/// Iterator over the pre-tokenized pieces of a text.
pub(crate) struct Pieces<'a> {
    text: &'a str,
    at: usize,
    encoding: Encoding,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = self.encoding.piece_end(self.text, self.at)?;
        let piece = self.text.get(self.at..end)?;
        self.at = end;
        Some(piece)
    }
}

/// ASCII classes. `\s` is `White_Space`, which in ASCII is `\t\n\x0B\x0C\r `.
const UPPER: u8 = 1;
const LOWER: u8 = 2;
const DIGIT: u8 = 4;
/// Whitespace other than `\r` and `\n`.
const SPACE: u8 = 8;
/// `\r` and `\n`.
const NEWLINE: u8 = 16;
/// Neither whitespace, letter nor digit: `[^\s\p{L}\p{N}]`.
const OTHER: u8 = 32;
/// A byte of a non-ASCII character: the caller must fall back to the regex.
const NON_ASCII: u8 = 64;
/// The end of the text.
const END: u8 = 0;
const LETTER: u8 = UPPER | LOWER;

/// Class of every byte; bytes of non-ASCII characters are [`NON_ASCII`].
static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'A'..=b'Z' => UPPER,
            b'a'..=b'z' => LOWER,
            b'0'..=b'9' => DIGIT,
            b'\t' | 0x0B | 0x0C | b' ' => SPACE,
            b'\r' | b'\n' => NEWLINE,
            _ => OTHER,
        };
        b += 1;
    }
    table
}

/// Class of the byte at `at` ([`END`] past the end).
#[inline]
fn class(bytes: &[u8], at: usize) -> u8 {
    match bytes.get(at) {
        None => END,
        Some(&b) => CLASSES[usize::from(b)],
    }
}

/// End of the run of bytes of `classes` from `at`; `None` if the run meets a
/// non-ASCII character (which may or may not belong to it).
#[inline(always)]
fn run(bytes: &[u8], at: usize, classes: u8) -> Option<usize> {
    let rest = bytes.get(at..).unwrap_or_default();
    match rest.iter().position(|&b| CLASSES[usize::from(b)] & classes == 0) {
        None => Some(bytes.len()),
        Some(n) if rest.get(n).is_some_and(|&b| b >= 0x80) => None,
        Some(n) => Some(at + n),
    }
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `at` (which holds `'`): its end, if it
/// matches. `None` when a non-ASCII letter would have to be case-folded
/// (`ſ` folds to `s`).
fn contraction(bytes: &[u8], at: usize) -> Option<Option<usize>> {
    let folded = |i: usize| match class(bytes, i) {
        NON_ASCII => None,
        END => Some(0),
        _ => bytes.get(i).map(u8::to_ascii_lowercase),
    };
    Some(match folded(at + 1)? {
        b's' | b't' | b'm' | b'd' => Some(at + 2),
        first @ (b'r' | b'v' | b'l') => {
            let second = if first == b'l' { b'l' } else { b'e' };
            (folded(at + 2)? == second).then_some(at + 3)
        }
        _ => None,
    })
}

/// `\p{N}{1,3}` at `at` (which holds a digit).
fn digits(bytes: &[u8], at: usize) -> Option<usize> {
    let mut end = at + 1;
    while end < at + 3 {
        match class(bytes, end) {
            NON_ASCII => return None,
            DIGIT => end += 1,
            _ => break,
        }
    }
    Some(end)
}

/// The alternatives both patterns end with, at `at` (of class `first`):
/// ` ?[^\s\p{L}\p{N}]+` followed by a run of `trailing` bytes, then
/// `\s*[\r\n]+|\s+(?!\S)|\s+`.
fn punctuation_or_space(bytes: &[u8], at: usize, first: u8, trailing: &[u8]) -> Option<usize> {
    let punct = if bytes.get(at) == Some(&b' ') { at + 1 } else { at };
    match class(bytes, punct) {
        NON_ASCII => return None,
        OTHER => {
            let mut end = run(bytes, punct + 1, OTHER)?;
            while bytes.get(end).is_some_and(|b| trailing.contains(b)) {
                end += 1;
            }
            return Some(end);
        }
        _ => {}
    }
    if first & (SPACE | NEWLINE) == 0 {
        return None;
    }
    // A run of whitespace: up to its last newline if it has one; else all of
    // it at the end of the text or when it is one character long; else all
    // but its last character (which goes with the next piece).
    let mut end = at;
    let mut last_newline = None;
    loop {
        match class(bytes, end) {
            NON_ASCII => return None,
            NEWLINE => last_newline = Some(end),
            SPACE => {}
            _ => break,
        }
        end += 1;
    }
    Some(match last_newline {
        Some(newline) => newline + 1,
        None if end == bytes.len() || end - at == 1 => end,
        None => end - 1,
    })
}

/// The end of cl100k's piece starting at `at`, or `None` to ask the regex.
fn cl100k(bytes: &[u8], at: usize) -> Option<usize> {
    let first = class(bytes, at);
    if first == NON_ASCII || first == END {
        return None;
    }
    if bytes.get(at) == Some(&b'\'')
        && let Some(end) = contraction(bytes, at)?
    {
        return Some(end);
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if first & LETTER != 0 {
        return run(bytes, at + 1, LETTER);
    }
    if first & (NEWLINE | DIGIT) == 0 {
        match class(bytes, at + 1) {
            NON_ASCII => return None,
            c if c & LETTER != 0 => return run(bytes, at + 2, LETTER),
            _ => {}
        }
    }
    if first == DIGIT {
        return digits(bytes, at);
    }
    punctuation_or_space(bytes, at, first, b"\r\n")
}

/// The end of o200k's piece starting at `at`, or `None` to ask the regex.
fn o200k(bytes: &[u8], at: usize) -> Option<usize> {
    let first = class(bytes, at);
    if first == NON_ASCII || first == END {
        return None;
    }
    // [^\r\n\p{L}\p{N}]?, then upper case* lower case+ or upper case+ lower
    // case* (the classes are disjoint in ASCII), then an optional contraction.
    let letters = if first & LETTER != 0 {
        Some(at)
    } else if first & (NEWLINE | DIGIT) == 0 {
        Some(at + 1)
    } else {
        None
    };
    if let Some(start) = letters {
        let upper = run(bytes, start, UPPER)?;
        let end = run(bytes, upper, LOWER)?;
        if end > start {
            if bytes.get(end) == Some(&b'\'') {
                return Some(contraction(bytes, end)?.unwrap_or(end));
            }
            return Some(end);
        }
    }
    if first == DIGIT {
        return digits(bytes, at);
    }
    punctuation_or_space(bytes, at, first, b"\r\n/")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn encodings() -> [Encoding; 2] {
        [
            Encoding { tokenizer: bpe_openai::cl100k_base(), pattern: Pattern::Cl100k },
            Encoding { tokenizer: bpe_openai::o200k_base(), pattern: Pattern::O200k },
        ]
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        for encoding in encodings() {
            let ours: Vec<&str> = encoding.pieces(text).collect();
            let theirs: Vec<&str> = encoding.tokenizer.split(text).collect();
            prop_assert_eq!(ours, theirs, "{:?} ({:?})", text, encoding.pattern);
        }
        Ok(())
    }

    /// Characters that meet every branch of the rules: all of ASCII, and
    /// non-ASCII letters of each case class, marks, numbers, whitespace,
    /// punctuation, `ſ` (which case-folds to `s`), CJK and emoji.
    fn character() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range('\0', '\u{7f}'),
            4 => prop::sample::select(b"'sStTrReEvVmMlLdD \n\r\t./-".to_vec()).prop_map(char::from),
            1 => prop::sample::select(vec![
                'é', 'É', 'ſ', 'ǅ', 'ʰ', 'ª', '中', 'ー', '\u{301}', '\u{94d}', '²', '٣', 'Ⅻ', '½',
                '\u{a0}', '\u{85}', '\u{3000}', '\u{2028}', '\u{200b}', '—', '…', '€', '😀', '\u{feff}',
                'K', 'Å',
            ]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn pieces_equal_the_regex_split(chars in prop::collection::vec(character(), 0..40)) {
            check(&chars.into_iter().collect::<String>())?;
        }

        #[test]
        fn pieces_equal_the_regex_split_on_words(words in prop::collection::vec(
            prop_oneof![
                "[a-zA-Z]{1,8}",
                "[A-Z]{1,3}[a-z]{0,5}",
                "'(s|t|re|ve|m|ll|d|S|T|RE|Re|rE|VE|M|LL|lL|D|x)",
                "[0-9]{1,7}",
                "[ \t\n\r\x0b\x0c]{1,5}",
                "[.,;:!?()/#*`|<>=+_-]{1,3}",
                "[éÉſ中😀\u{a0}\u{3000}\u{301}²]",
            ],
            0..30,
        )) {
            check(&words.concat())?;
        }
    }

    #[test]
    fn every_short_ascii_text_splits_like_the_regex() {
        let alphabet = b"aA1 \n\r\t'sLl./\x0b\x01";
        let mut text = String::new();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for d in alphabet {
                        text.clear();
                        text.extend([a, b, c, d].map(|&x| char::from(x)));
                        check(&text).unwrap_or_else(|e| panic!("{e}"));
                    }
                }
            }
        }
    }
}
