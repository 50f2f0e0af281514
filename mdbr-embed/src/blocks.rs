//! Splitting a long text block by block.
//!
//! text-splitter's work per chunk grows with the length of the text still to
//! split (it scans and sorts the semantic ranges of all the remaining text to
//! find the levels present), so one call over a long document is quadratic:
//! 10 MB at 200 tokens per chunk took 11 s, against 1.3 s for 3 MB. Splitting
//! short blocks one after the other keeps it linear, and the shorter the
//! blocks, the less each chunk costs.
//!
//! Blocks start and end only at *cut points*: the start of a paragraph (a line
//! after a blank line, starting with no indentation), never inside a fenced
//! code block; in Markdown a block ends at a heading when one comes soon
//! enough. A block's end only shows in its last chunk (the only one that sees
//! the end of the block rather than more text), so that chunk is dropped and
//! the next block starts where it started, provided that is a cut point or
//! the whitespace just before one (else at an earlier chunk of the second
//! half of the block that starts at one, or, failing that, at the block's
//! end). Chunks are thus those of one splitter
//! call over the whole text, save where a chunk could not restart at a cut
//! point: there the block's end ends a chunk, and with overlap, chunks do not
//! overlap across it.

use crate::format::TextFormat;

/// A place where a block may start or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Byte offset of the start of the line.
    pub(crate) at: usize,
    /// Whether the line is a Markdown heading.
    pub(crate) heading: bool,
}

/// The cut points of `text`, ascending, all inside it (none at 0).
pub(crate) fn cut_points(text: &str, format: TextFormat) -> Vec<Cut> {
    let markdown = format == TextFormat::Markdown;
    let mut out = Vec::new();
    let mut in_fence = false;
    let mut previous_blank = false;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let line_start = at;
        at += line.len();
        let content = line.trim_end();
        let blank = content.is_empty();
        let indented = content.trim_start().len() != content.len();
        if !in_fence && previous_blank && !blank && !indented && line_start > 0 {
            out.push(Cut { at: line_start, heading: markdown && content.starts_with('#') });
        }
        let body = content.trim_start();
        if body.starts_with("```") || body.starts_with("~~~") {
            in_fence = !in_fence;
        }
        previous_blank = blank;
    }
    out
}

/// End of the block starting at `from` in a text of `len` bytes: the first
/// cut point at least `target` bytes on, or a heading after it but before
/// `2 * target`; the text's end when less than `2 * target` bytes remain or
/// no cut point follows.
pub(crate) fn block_end(cuts: &[Cut], from: usize, len: usize, target: usize) -> usize {
    let far = from.saturating_add(target.saturating_mul(2));
    if far >= len {
        return len;
    }
    let first = cuts.partition_point(|c| c.at < from.saturating_add(target));
    let Some(fallback) = cuts.get(first) else {
        return len;
    };
    cuts.get(first..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.at < far)
        .find(|c| c.heading)
        .unwrap_or(fallback)
        .at
}

/// Whether a block may start at `at`: at a cut point, or at the start of
/// the whitespace before one (where untrimmed chunks start), so that the
/// whole run of line breaks lies in the block.
fn can_start_block(text: &str, cuts: &[Cut], at: usize) -> bool {
    let is_cut = |at| cuts.binary_search_by_key(&at, |c: &Cut| c.at).is_ok();
    let Some(rest) = text.get(at..) else { return false };
    let spaces = rest.len() - rest.trim_start().len();
    is_cut(at)
        || (spaces > 0
            && is_cut(at + spaces)
            && !text.get(..at).is_some_and(|before| before.ends_with(char::is_whitespace)))
}

/// Chunks `text` block by block with `split`, which chunks one block and
/// returns each chunk with its offset in the block (and anything else the
/// caller needs). Returns each chunk with its offset in `text`, in order.
pub(crate) fn split_by_blocks<'t, T>(
    text: &'t str,
    format: TextFormat,
    target: usize,
    mut split: impl FnMut(&'t str) -> Vec<(usize, &'t str, T)>,
) -> Vec<(usize, &'t str, T)> {
    let cuts = cut_points(text, format);
    let mut out: Vec<(usize, &'t str, T)> = Vec::new();
    let mut from = 0;
    while from < text.len() {
        let end = block_end(&cuts, from, text.len(), target);
        let Some(block) = text.get(from..end) else { break };
        let first = out.len();
        out.extend(split(block).into_iter().map(|(offset, chunk, t)| (from + offset, chunk, t)));
        if end >= text.len() {
            break;
        }
        // Restart at the last chunk, or at a later-half one that can.
        let half = first + (out.len() - first) / 2;
        let restart = (half.max(first + 1)..out.len()).rev().find_map(|k| {
            out.get(k).filter(|c| can_start_block(text, &cuts, c.0)).map(|c| (k, c.0))
        });
        match restart {
            Some((k, start)) => {
                from = start;
                out.truncate(k);
            }
            None => from = end,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocks `split_by_blocks` would use if no chunk restarted one.
    fn blocks(text: &str, format: TextFormat, target: usize) -> Vec<std::ops::Range<usize>> {
        let cuts = cut_points(text, format);
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            let end = block_end(&cuts, from, text.len(), target);
            out.push(from..end);
            if end >= text.len() {
                return out;
            }
            from = end;
        }
    }

    fn check(text: &str, blocks: &[std::ops::Range<usize>]) {
        assert_eq!(blocks.first().map(|b| b.start), Some(0));
        assert_eq!(blocks.last().map(|b| b.end), Some(text.len()));
        for pair in blocks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert!(pair[0].start < pair[0].end);
        }
    }

    #[test]
    fn short_texts_are_one_block() {
        assert_eq!(blocks("a\n\nb", TextFormat::Plain, 10), vec![0..4]);
        assert_eq!(blocks("", TextFormat::Markdown, 10), vec![0..0]);
    }

    #[test]
    fn cuts_at_paragraphs_and_never_in_code() {
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&format!("Paragraph {i} has some words.\n\n"));
            if i % 7 == 0 {
                text.push_str("```\nlet a = 1;\n\nlet b = 2;\n```\n\n");
            }
        }
        for format in [TextFormat::Plain, TextFormat::Markdown] {
            let cut = blocks(&text, format, 100);
            check(&text, &cut);
            assert!(cut.len() > 5);
            for b in &cut[1..] {
                assert!(text[b.clone()].starts_with("Paragraph"), "{:?}", &text[b.clone()]);
            }
        }
    }

    #[test]
    fn markdown_prefers_headings() {
        let mut text = String::new();
        for s in 0..20 {
            text.push_str(&format!("# Section {s}\n\n"));
            for p in 0..5 {
                text.push_str(&format!("Paragraph {p} of section {s}.\n\n"));
            }
        }
        let cut = blocks(&text, TextFormat::Markdown, 200);
        check(&text, &cut);
        assert!(cut.len() > 3);
        for b in &cut[1..] {
            assert!(text[b.clone()].starts_with("# Section"));
        }
    }

    #[test]
    fn one_long_paragraph_stays_whole() {
        let text = "word ".repeat(1000);
        assert_eq!(blocks(&text, TextFormat::Plain, 100), vec![0..text.len()]);
    }

    #[test]
    fn blocks_restart_at_their_last_chunk() {
        let text: String = (0..40).map(|i| format!("Paragraph {i} has some words.\n\n")).collect();
        // One chunk per paragraph, each ending before the blank line.
        let mut calls = Vec::new();
        let chunks = split_by_blocks(&text, TextFormat::Plain, 120, |block| {
            calls.push(block.len());
            let mut offset = 0;
            block
                .split_inclusive("\n\n")
                .map(|p| {
                    let chunk = (offset, p.trim_end(), ());
                    offset += p.len();
                    chunk
                })
                .collect()
        });
        let expected: Vec<(usize, &str, ())> = text
            .split_inclusive("\n\n")
            .scan(0, |at, p| {
                let chunk = (*at, p.trim_end(), ());
                *at += p.len();
                Some(chunk)
            })
            .collect();
        assert_eq!(chunks, expected);
        assert!(calls.len() > 3, "{calls:?}");
    }
}
