//! The syntax the splitter respects: plain text or Markdown.

/// How text is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextFormat {
    /// Paragraphs, sentences, words.
    Plain,
    /// Markdown structure first (headings, code blocks, tables, lists), then as plain text.
    Markdown,
}

impl TextFormat {
    /// Guesses the format: Markdown when the text has headings, code fences or tables.
    pub fn detect(text: &str) -> Self {
        let markdown = text.lines().take(2000).any(|line| {
            let t = line.trim_start();
            t.starts_with("# ")
                || t.starts_with("## ")
                || t.starts_with("### ")
                || t.starts_with("```")
                || (t.starts_with('|') && t.contains("---"))
        });
        if markdown { TextFormat::Markdown } else { TextFormat::Plain }
    }
}
