//! Which tiktoken encoding counts tokens for a model; encoders are loaded once.

use tiktoken_rs::tokenizer::Tokenizer;

use crate::pretok::{Encoding, Pattern};

/// The encoding for `model`: o200k for GPT-4o and later (`gpt-4o`, `gpt-4.1`,
/// `o1`, `o3`, …), cl100k for the GPT-3.5/4 family and embedding models and
/// for unknown models. `cl100k_base` and `o200k_base` name encodings directly.
/// Returns the encoder and the encoding's name.
///
/// The model-to-encoding table is tiktoken-rs's; the encoder is `bpe-openai`'s,
/// which counts exactly the tokens tiktoken does (tested against tiktoken-rs in
/// `counter.rs` and `tests/it/split.rs`) several times faster, and exposes its
/// pre-tokenized pieces, which chunking needs (see `counter.rs`); ASCII text
/// is pre-tokenized without the regex (see `pretok.rs`).
pub(crate) fn encoder_for(model: &str) -> (Encoding, &'static str) {
    let bare = model.rsplit('/').next().unwrap_or(model);
    let o200k = match bare {
        "o200k_base" => true,
        "cl100k_base" => false,
        _ => matches!(
            tiktoken_rs::tokenizer::get_tokenizer(bare),
            Some(Tokenizer::O200kBase | Tokenizer::O200kHarmony)
        ),
    };
    if o200k {
        (Encoding { tokenizer: bpe_openai::o200k_base(), pattern: Pattern::O200k }, "o200k_base")
    } else {
        (Encoding { tokenizer: bpe_openai::cl100k_base(), pattern: Pattern::Cl100k }, "cl100k_base")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_encoding_by_model_family() {
        assert_eq!(encoder_for("gpt-3.5-turbo").1, "cl100k_base");
        assert_eq!(encoder_for("gpt-4").1, "cl100k_base");
        assert_eq!(encoder_for("openai/gpt-4o").1, "o200k_base");
        assert_eq!(encoder_for("gpt-4o-mini").1, "o200k_base");
        assert_eq!(encoder_for("text-embedding-3-small").1, "cl100k_base");
        assert_eq!(encoder_for("o200k_base").1, "o200k_base");
        assert_eq!(encoder_for("something-else").1, "cl100k_base");
    }
}
