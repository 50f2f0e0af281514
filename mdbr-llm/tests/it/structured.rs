//! Structured output per provider style: native schema mode, local
//! validation, and repair by asking again with the validation errors.

use mdbr_llm::{ChatMessage, ChatOptions, Error};
use mdbr_test_support::{MockProvider, MockReply};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::support::service;

#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
struct Invoice {
    customer: String,
    total: f64,
    paid: bool,
}

const BAD: &str = r#"{"customer":"Acme","total":"a lot","paid":false}"#;
const GOOD: &str = r#"{"customer":"Acme","total":12.5,"paid":false}"#;

fn expected() -> Invoice {
    Invoice { customer: "Acme".into(), total: 12.5, paid: false }
}

fn ask() -> Vec<ChatMessage> {
    vec![ChatMessage::user("Extract the invoice: Acme owes 12.50")]
}

#[tokio::test]
async fn openai_strict_json_schema_and_repair() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::openai_chat(BAD)).push(MockReply::openai_chat(GOOD));
    let llm = service(&mock, "openai");
    let invoice: Invoice =
        llm.chat_structured(&ask(), &ChatOptions::new().with_model("gpt-4o")).await.unwrap();
    assert_eq!(invoice, expected());
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    let format = &reqs[0].body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(format["json_schema"]["schema"]["additionalProperties"], false);
    assert_eq!(format["json_schema"]["schema"]["required"], json!(["customer", "total", "paid"]));
    let repair = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(repair[repair.len() - 2]["content"], BAD);
    let feedback = repair.last().unwrap()["content"].as_str().unwrap();
    assert!(feedback.contains("/total"), "{feedback}");
}

#[tokio::test]
async fn azure_uses_the_same_native_mode() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::openai_chat(GOOD));
    let llm = service(&mock, "azure");
    let invoice: Invoice =
        llm.chat_structured(&ask(), &ChatOptions::new().with_model("azure/dep")).await.unwrap();
    assert_eq!(invoice, expected());
    assert_eq!(mock.requests()[0].body["response_format"]["type"], "json_schema");
}

#[tokio::test]
async fn anthropic_tool_use_and_repair() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::anthropic_tool("respond", serde_json::from_str(BAD).unwrap()))
        .push(MockReply::anthropic_tool("respond", serde_json::from_str(GOOD).unwrap()));
    let llm = service(&mock, "anthropic");
    let invoice: Invoice = llm
        .chat_structured(&ask(), &ChatOptions::new().with_model("anthropic/claude-sonnet-4-0"))
        .await
        .unwrap();
    assert_eq!(invoice, expected());
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body["tool_choice"], json!({ "type": "tool", "name": "respond" }));
    assert_eq!(reqs[0].body["tools"][0]["input_schema"]["properties"]["total"]["type"], "number");
    let last = reqs[1].body["messages"].as_array().unwrap().last().unwrap().clone();
    assert!(last["content"].as_str().unwrap().contains("/total"));
}

#[tokio::test]
async fn gemini_response_schema_and_repair() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::gemini_text("{\"customer\":\"Acme\"}")).push(MockReply::gemini_text(GOOD));
    let llm = service(&mock, "gemini");
    let invoice: Invoice = llm
        .chat_structured(&ask(), &ChatOptions::new().with_model("gemini/gemini-2.0-flash"))
        .await
        .unwrap();
    assert_eq!(invoice, expected());
    let reqs = mock.requests();
    let config = &reqs[0].body["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(config["responseJsonSchema"]["type"], "object");
    let feedback =
        reqs[1].body["contents"].as_array().unwrap().last().unwrap()["parts"][0]["text"].clone();
    assert!(feedback.as_str().unwrap().contains("total"), "{feedback}");
}

#[tokio::test]
async fn compatible_servers_use_json_mode_with_the_schema_in_the_prompt() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::openai_chat(&format!("```json\n{GOOD}\n```")));
    let llm = service(&mock, "ollama");
    let invoice: Invoice = llm
        .chat_structured(&ask(), &ChatOptions::new().with_model("ollama/llama3.2"))
        .await
        .unwrap();
    assert_eq!(invoice, expected());
    let req = &mock.requests()[0];
    assert_eq!(req.body["response_format"], json!({ "type": "json_object" }));
    assert!(req.body["messages"][0]["content"].as_str().unwrap().contains("JSON Schema"));
}

#[tokio::test]
async fn gives_up_after_the_bounded_attempts_and_says_what_did_not_match() {
    let mock = MockProvider::start().unwrap();
    for _ in 0..5 {
        mock.push(MockReply::openai_chat(BAD));
    }
    let llm = service(&mock, "openai").with_structured_attempts(3);
    let err = llm.chat_structured::<Invoice>(&ask(), &ChatOptions::new()).await.unwrap_err();
    match &err {
        Error::Structured { attempts, problems } => {
            assert_eq!(*attempts, 3);
            assert!(problems.contains("/total"), "{problems}");
        }
        other => panic!("unexpected error {other}"),
    }
    assert_eq!(mock.request_count(), 3);
}
