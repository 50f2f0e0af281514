//! Cutting a long text into blocks that are split one at a time.
//!
//! text-splitter's work per chunk grows with the length of the text still to
//! split (it scans and sorts the semantic ranges of all the remaining text to
//! find the levels present), so one call over a long document is quadratic:
//! 10 MB at 200 tokens per chunk took 11 s, against 1.3 s for 3 MB. Splitting
//! blocks of a few hundred kilobytes one after the other keeps it linear.
//!
//! Blocks end only where a chunk would break anyway: at the start of a
//! paragraph (a line after a blank line, starting with no indentation), never
//! inside a fenced code block; in Markdown, at a heading when one comes soon
//! enough. The only visible effect is that no chunk spans a block cut, and
//! overlapping chunks do not overlap across it.

use std::ops::Range;

use crate::format::TextFormat;

/// Cuts `text` into consecutive blocks of about `target` bytes or more,
/// covering it exactly. Texts up to twice `target` are one block.
pub(crate) fn blocks(text: &str, format: TextFormat, target: usize) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(text.len() / target.max(1) + 1);
    if text.len() <= target.saturating_mul(2) {
        out.push(0..text.len());
        return out;
    }
    let markdown = format == TextFormat::Markdown;
    let mut block_start = 0;
    // A paragraph start seen since the block reached `target`, kept in case
    // no heading comes before `2 * target`.
    let mut fallback: Option<usize> = None;
    let mut in_fence = false;
    let mut previous_blank = false;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let line_start = at;
        at += line.len();
        let content = line.trim_end();
        let blank = content.is_empty();
        let unindented = content.trim_start().len() == content.len();
        let fence =
            content.trim_start().starts_with("```") || content.trim_start().starts_with("~~~");
        if !in_fence && previous_blank && !blank && unindented && line_start > block_start {
            let size = line_start - block_start;
            if size >= target {
                let heading = markdown && content.starts_with('#');
                if heading || !markdown || size >= target.saturating_mul(2) {
                    let cut = if heading { line_start } else { fallback.unwrap_or(line_start) };
                    out.push(block_start..cut);
                    block_start = cut;
                    fallback = None;
                } else if fallback.is_none() {
                    fallback = Some(line_start);
                }
            }
        }
        if fence {
            in_fence = !in_fence;
        }
        previous_blank = blank;
    }
    out.push(block_start..text.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, blocks: &[Range<usize>]) {
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
}
