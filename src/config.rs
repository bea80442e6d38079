//! The embed configuration: `data-*` attributes of the script tag, read by `embed.js` and passed
//! in as JSON, then adjusted by `setContext`.

use kb_core::analysis::Locale;
use kb_core::flow::Context;
use kb_core::Audience;
use serde::Deserialize;

/// Everything a page owner can configure.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Config {
    /// URL of the compiled knowledge pack (`kb.idx`, or gzipped `kb.idx.gz`); `{locale}` in it
    /// stands for the current locale code (`kb.{locale}.idx.gz`).
    pub pack: String,
    /// Full URL of an OpenAI-compatible `/v1/chat/completions` endpoint; none → handoff only.
    pub endpoint: Option<String>,
    /// Model name sent to the endpoint.
    pub model: Option<String>,
    /// A public token for a gateway (never a secret: it is visible in the page).
    pub token: Option<String>,
    /// UI and knowledge locale (default: the page's `lang`).
    pub locale: Option<String>,
    /// Who is chatting.
    pub audience: Option<String>,
    /// First message of a new conversation.
    pub greeting: Option<String>,
    /// Where "talk to a person" leads.
    pub handoff_url: Option<String>,
    /// Overrides the index's answer threshold.
    pub answer_threshold: Option<f32>,
    /// Overrides the index's clarify threshold.
    pub clarify_threshold: Option<f32>,
    /// Overrides the LLM system prompt.
    pub system_prompt: Option<String>,
    /// Maximum LLM calls per session.
    pub max_fallbacks: Option<u32>,
    /// Extra redaction patterns (glob syntax of `kb_core::pattern`).
    pub redact: Vec<String>,
    /// Text direction of the host page (`rtl` honoured).
    pub dir: Option<String>,
    /// Host page context passed as data attributes (`data-order-id`, …).
    pub context: Context,
    /// Milliseconds before the LLM must send its first byte.
    pub first_byte_timeout: Option<u64>,
    /// Milliseconds for the whole LLM reply.
    pub total_timeout: Option<u64>,
}

impl Config {
    /// The knowledge locale: context, then configuration, falling back to English.
    pub fn locale(&self, context: &Context) -> Locale {
        context
            .get("locale")
            .and_then(|l| Locale::from_tag(l))
            .or_else(|| self.locale.as_deref().and_then(Locale::from_tag))
            .unwrap_or(Locale::En)
    }

    /// The audience: context, then configuration, else everyone.
    pub fn audience(&self, context: &Context) -> Audience {
        context
            .get("audience")
            .or(self.audience.as_ref())
            .and_then(|a| a.parse().ok())
            .unwrap_or(Audience::All)
    }
}
