//! Trimming chunk edges the way text-splitter does, but inside the sizer.
//!
//! text-splitter trims every candidate chunk before sizing it, even when the
//! size is already cached, and its Markdown trim looks for a line break in
//! the whole candidate one character at a time: that was a tenth of all
//! chunking time. So the splitters run untrimmed, the sizer trims each
//! candidate it is asked about (which gives the splitter the very sizes it
//! would compute itself), and the chunks are trimmed afterwards by
//! [`trimmed`], which also drops what text-splitter drops after trimming
//! (empty chunks and chunks that end no later than the previous one). The
//! result equals text-splitter's own trimming (tested in `service.rs`).

use memchr::memchr2;

/// How chunk edges are trimmed (text-splitter's `Trim`, which is private).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrimMode {
    /// Keep all whitespace.
    None,
    /// Remove leading and trailing whitespace (plain text).
    All,
    /// Remove leading line breaks and trailing whitespace, keeping the first
    /// line's indentation when the trimmed chunk spans several lines
    /// (Markdown); otherwise as [`TrimMode::All`].
    PreserveIndentation,
}

impl TrimMode {
    /// `chunk`, found at `offset`, trimmed, with its new offset.
    pub(crate) fn apply(self, offset: usize, chunk: &str) -> (usize, &str) {
        let trimmed = match self {
            Self::None => return (offset, chunk),
            Self::All => chunk.trim_start(),
            Self::PreserveIndentation => {
                if memchr2(b'\n', b'\r', chunk.trim().as_bytes()).is_some() {
                    chunk.trim_start_matches(['\n', '\r'])
                } else {
                    chunk.trim_start()
                }
            }
        };
        (offset + chunk.len() - trimmed.len(), trimmed.trim_end())
    }
}

/// `chunks` of one splitter call (offsets and untrimmed text) trimmed with
/// `mode`, without the empty ones and those ending no later than the
/// previous chunk.
pub(crate) fn trimmed<'t>(
    chunks: impl Iterator<Item = (usize, &'t str)>,
    mode: TrimMode,
) -> impl Iterator<Item = (usize, &'t str)> {
    let mut previous_end = 0;
    chunks.filter_map(move |(offset, chunk)| {
        let (offset, chunk) = mode.apply(offset, chunk);
        let end = offset + chunk.len();
        if chunk.is_empty() || end <= previous_end {
            return None;
        }
        previous_end = end;
        Some((offset, chunk))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_like_text_splitter() {
        assert_eq!(TrimMode::All.apply(0, "  hello world  "), (2, "hello world"));
        assert_eq!(TrimMode::PreserveIndentation.apply(0, "  hello world  "), (2, "hello world"));
        assert_eq!(
            TrimMode::PreserveIndentation.apply(3, "\n  hello\n  world  "),
            (4, "  hello\n  world")
        );
        assert_eq!(TrimMode::PreserveIndentation.apply(0, "\r\n\n x\n"), (4, "x"));
        assert_eq!(TrimMode::None.apply(1, " a "), (1, " a "));
        assert_eq!(TrimMode::All.apply(5, " \u{3000} "), (10, ""));
    }

    #[test]
    fn drops_empty_and_repeated_chunks() {
        let chunks = [(0, "a b "), (2, "b "), (4, "  "), (3, " c")];
        let out: Vec<_> = trimmed(chunks.into_iter(), TrimMode::All).collect();
        assert_eq!(out, vec![(0, "a b"), (4, "c")]);
    }
}
