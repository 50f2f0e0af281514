//! Whole chat replies per provider, and the requests they send.

use std::collections::BTreeMap;

use mdbr_core::{LlmConfig, LlmProvider};
use mdbr_llm::{ChatMessage, ChatOptions, Error, FinishReason, LlmService};
use mdbr_test_support::MockProvider;

use crate::support::{fast_retries, service};

fn conversation() -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("Be brief."),
        ChatMessage::user("Hi"),
        ChatMessage::assistant("Hello"),
        ChatMessage::user("Again"),
    ]
}

#[tokio::test]
async fn openai_chat_sends_the_wire_format_and_reads_the_reply() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "openai");
    let opts = ChatOptions::new()
        .with_model("openai/gpt-4o-mini")
        .with_temperature(0.2)
        .with_max_tokens(50);
    let reply = llm.chat(&conversation(), &opts).await.unwrap();
    assert_eq!(reply.content, "Hello");
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!((reply.usage.prompt_tokens, reply.usage.completion_tokens), (12, 5));
    assert_eq!(reply.model, "openai/gpt-4o-mini");
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(req.body["model"], "gpt-4o-mini");
    assert_eq!(req.body["temperature"], 0.2);
    assert_eq!(req.body["max_completion_tokens"], 50);
    assert_eq!(req.body["messages"][0]["role"], "system");
    assert_eq!(req.body["messages"][2]["role"], "assistant");
    assert_eq!(req.body["messages"][3]["content"], "Again");
}

#[tokio::test]
async fn bare_model_names_go_to_openai_with_the_default_model() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "openai");
    let reply = llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new()).await.unwrap();
    assert_eq!(reply.model, "openai/gpt-4o");
    assert_eq!(mock.requests()[0].body["model"], "gpt-4o");
}

#[tokio::test]
async fn azure_uses_deployment_path_api_key_header_and_api_version() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "azure");
    llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model("azure/my-deploy"))
        .await
        .unwrap();
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/openai/deployments/my-deploy/chat/completions?api-version=2024-10-21");
    assert_eq!(req.header("api-key"), Some("sk-test"));
    assert_eq!(req.header("authorization"), None);
}

#[tokio::test]
async fn anthropic_messages_api() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "anthropic");
    let reply = llm
        .chat(&conversation(), &ChatOptions::new().with_model("anthropic/claude-sonnet-4-0"))
        .await
        .unwrap();
    assert_eq!(reply.content, "Hello");
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!((reply.usage.prompt_tokens, reply.usage.completion_tokens), (20, 7));
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some("sk-test"));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.body["system"], "Be brief.");
    assert_eq!(req.body["max_tokens"], 4096);
    assert_eq!(req.body["messages"].as_array().unwrap().len(), 3);
    assert_eq!(req.body["messages"][0]["role"], "user");
}

#[tokio::test]
async fn gemini_generate_content() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "gemini");
    let reply = llm
        .chat(&conversation(), &ChatOptions::new().with_model("gemini/gemini-2.0-flash"))
        .await
        .unwrap();
    assert_eq!(reply.content, "Hello");
    assert_eq!((reply.usage.prompt_tokens, reply.usage.completion_tokens), (9, 4));
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(req.header("x-goog-api-key"), Some("sk-test"));
    assert_eq!(req.body["systemInstruction"]["parts"][0]["text"], "Be brief.");
    assert_eq!(req.body["contents"][1]["role"], "model");
}

#[tokio::test]
async fn openai_compatible_servers_come_from_llm_config() {
    let mock = MockProvider::start().unwrap();
    let mut providers = BTreeMap::new();
    for name in ["ollama", "vllm", "myserver"] {
        providers.insert(
            name.to_owned(),
            LlmProvider { base_url: Some(format!("{}/v1", mock.url())), ..LlmProvider::default() },
        );
    }
    let config = LlmConfig {
        default_chat_model: "ollama/llama3.2".into(),
        providers,
        ..LlmConfig::default()
    };
    let llm = LlmService::new("test", config).unwrap().with_retry_policy(fast_retries());
    llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new()).await.unwrap();
    llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model("vllm/meta/llama-3"))
        .await
        .unwrap();
    llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model("myserver/m"))
        .await
        .unwrap();
    let reqs = mock.requests();
    assert_eq!(reqs[0].body["model"], "llama3.2");
    assert_eq!(reqs[1].body["model"], "meta/llama-3");
    assert_eq!(reqs[2].body["model"], "m");
    assert!(
        reqs.iter()
            .all(|r| r.path == "/v1/chat/completions" && r.header("authorization").is_none())
    );
}

#[tokio::test]
async fn keys_come_from_the_named_environment_variable_or_fail_clearly() {
    let mock = MockProvider::start().unwrap();
    let mut providers = BTreeMap::new();
    providers.insert(
        "anthropic".to_owned(),
        LlmProvider {
            base_url: Some(mock.url()),
            api_key_env: Some("MDBR_TEST_SURELY_UNSET_KEY".into()),
            ..LlmProvider::default()
        },
    );
    providers.insert(
        "openai".to_owned(),
        LlmProvider {
            base_url: Some(format!("{}/v1", mock.url())),
            api_key_env: Some("PATH".into()),
            ..LlmProvider::default()
        },
    );
    let llm = LlmService::new("test", LlmConfig { providers, ..LlmConfig::default() }).unwrap();
    let err = llm
        .chat(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model("anthropic/claude"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingApiKey { env, .. } if env == "MDBR_TEST_SURELY_UNSET_KEY"),
        "{err}"
    );
    assert_eq!(mock.request_count(), 0);
    llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new()).await.unwrap();
    let expected = format!("Bearer {}", std::env::var("PATH").unwrap());
    assert_eq!(mock.requests()[0].header("authorization"), Some(expected.as_str()));
}

#[tokio::test]
async fn unknown_providers_and_chat_on_embedding_providers_are_errors() {
    let llm = LlmService::new("test", LlmConfig::default()).unwrap().with_api_key("voyage", "k");
    let err = llm
        .chat(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model("nowhere/x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownProvider(p) if p == "nowhere"));
    let err = llm
        .chat(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model("voyage/voyage-3"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { operation: "chat", .. }));
}
