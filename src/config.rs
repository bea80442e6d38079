//! The embed configuration: `data-*` attributes of the script tag, read by `embed.js` and passed
//! in as a plain object, then adjusted by `setContext`.

use js_sys::{Array, Object, Reflect};
use kb_core::flow::Context;
use kb_core::Audience;
use kb_core::Locale;
use wasm_bindgen::{JsCast, JsValue};

/// Everything a page owner can configure.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// URL of the compiled knowledge pack (`kb.idx`, or gzipped `kb.idx.gz`); `{locale}` in it
    /// stands for the current locale code (`kb.{locale}.idx.gz`).
    pub pack: String,
    /// The knowledge release `embed.js` chose from the channel manifest (`data-manifest`),
    /// whose packs replace `pack`.
    pub release: Option<Release>,
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
    /// How to reach a person when there is no handoff link (an e-mail address, a phone
    /// number: shown as text).
    pub contact: Option<String>,
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
    /// Analytics events carry the question's text, redacted as for the LLM
    /// (`data-collect-text="redacted"`).
    pub collect_text: bool,
    /// Milliseconds an answer stays the last message before "did this solve your issue?" is
    /// asked (`data-resolution-delay`).
    pub resolution_delay: Option<u64>,
    /// Which semantic tiers the widget uses (`data-semantic`).
    pub semantic: Semantic,
    /// Starts the encoder tier: `startEncoder(file, sha256?)` resolves to a session of
    /// `public/encoder-client.js` (`embed.js` sets it; none → no encoder tier).
    pub start_encoder: Option<js_sys::Function>,
}

/// The semantic tiers a page allows (`data-semantic`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Semantic {
    /// The pack alone (`off`).
    Off,
    /// The static tier, loaded after the pack (`static`).
    Static,
    /// The static tier, and the encoder tier for questions the rest would not answer (the
    /// default, `encoder`).
    #[default]
    Encoder,
}

impl Semantic {
    /// The setting an attribute value asks for (anything unknown: the default).
    pub fn parse(value: Option<&str>) -> Semantic {
        match value {
            Some("off") => Semantic::Off,
            Some("static") => Semantic::Static,
            _ => Semantic::Encoder,
        }
    }
}

/// A knowledge release as `embed.js` passes it: its version, its packs by locale code and `all`,
/// and its semantic tiers' files (docs/releases.md).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Release {
    /// The release's version.
    pub version: String,
    /// Its packs: (locale code or `all`, the pack).
    pub packs: Vec<(String, ReleaseFile)>,
    /// Its semantic files: (locale code, the file).
    pub semantic: Vec<(String, ReleaseFile)>,
    /// Its encoder tier's file.
    pub encoder: Option<ReleaseFile>,
}

/// One file of a release (a pack, a semantic tier's file): where it is and what its bytes must
/// be.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReleaseFile {
    /// Its absolute URL.
    pub url: String,
    /// The SHA-256 of its bytes as served, in lowercase hex.
    pub sha256: String,
    /// Its size once inflated.
    pub inflated_bytes: usize,
}

impl Release {
    /// Reads `{version, packs: {key: FILE}, semantic: {locale: FILE}, encoder: FILE}` where a
    /// FILE is `{url, sha256, inflatedBytes}`; `None` when there is no release or it is not of
    /// that shape (a file lacking a member is left out).
    fn from_js(object: &JsValue) -> Option<Release> {
        let get = |o: &JsValue, key: &str| Reflect::get(o, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined());
        let file = |f: &JsValue| {
            let url = get(f, "url")?.as_string()?;
            let sha256 = get(f, "sha256")?.as_string()?;
            let inflated_bytes = get(f, "inflatedBytes")?.as_f64().filter(|n| *n >= 0.0)? as usize;
            Some(ReleaseFile { url, sha256, inflated_bytes })
        };
        let files = |listed: Option<JsValue>| -> Vec<(String, ReleaseFile)> {
            let Some(listed) = listed.filter(JsValue::is_object) else { return Vec::new() };
            Object::entries(listed.unchecked_ref())
                .iter()
                .filter_map(|pair| {
                    let pair = Array::from(&pair);
                    Some((pair.get(0).as_string()?, file(&pair.get(1))?))
                })
                .collect()
        };
        let version = get(object, "version")?.as_string()?;
        let packs = get(object, "packs").filter(JsValue::is_object)?;
        Some(Release {
            version,
            packs: files(Some(packs)),
            semantic: files(get(object, "semantic")),
            encoder: get(object, "encoder").filter(JsValue::is_object).and_then(|f| file(&f)),
        })
    }

    /// The semantic file for `locale`.
    pub fn semantic(&self, locale: &str) -> Option<&ReleaseFile> {
        self.semantic.iter().find(|(k, _)| k == locale).map(|(_, f)| f)
    }

    /// The pack for `locale`: its own, else the all-locales one.
    pub fn pack(&self, locale: &str) -> Option<&ReleaseFile> {
        let find = |key: &str| self.packs.iter().find(|(k, _)| k == key).map(|(_, p)| p);
        find(locale).or_else(|| find("all"))
    }
}

impl Config {
    /// Reads the object `embed.js` builds (camelCase members). A member that is missing or of
    /// another type counts as not set, so a damaged attribute cannot stop the widget.
    pub fn from_js(object: &JsValue) -> Config {
        let get = |key: &str| Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        let text = |key: &str| get(key).as_string();
        let number = |key: &str| get(key).as_f64().filter(|n| n.is_finite() && *n >= 0.0);
        let redact = get("redact");
        let mut context = Context::new();
        merge_context(&mut context, context_pairs(&get("context")));
        Config {
            pack: text("pack").unwrap_or_default(),
            semantic: Semantic::parse(text("semantic").as_deref()),
            start_encoder: get("startEncoder").dyn_into().ok(),
            release: Release::from_js(&get("release")),
            endpoint: text("endpoint"),
            model: text("model"),
            token: text("token"),
            locale: text("locale"),
            audience: text("audience"),
            greeting: text("greeting"),
            handoff_url: text("handoffUrl"),
            contact: text("contact"),
            answer_threshold: number("answerThreshold").map(|n| n as f32),
            clarify_threshold: number("clarifyThreshold").map(|n| n as f32),
            system_prompt: text("systemPrompt"),
            max_fallbacks: number("maxFallbacks").map(|n| n as u32),
            redact: if Array::is_array(&redact) {
                Array::from(&redact).iter().filter_map(|p| p.as_string()).collect()
            } else {
                Vec::new()
            },
            dir: text("dir"),
            context,
            first_byte_timeout: number("firstByteTimeout").map(|n| n as u64),
            total_timeout: number("totalTimeout").map(|n| n as u64),
            collect_text: text("collectText").as_deref() == Some("redacted"),
            resolution_delay: number("resolutionDelay").map(|n| n as u64),
        }
    }

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
        context.get("audience").or(self.audience.as_ref()).and_then(|a| a.parse().ok()).unwrap_or(Audience::All)
    }
}

/// Merges page-context pairs into `ctx`: a text sets its key, `None` removes it. Hosts write
/// camelCase (`orderId`); flows read snake_case (`order_id`). Pairs are inserted one by one:
/// collecting them into a map would link in a sort.
pub fn merge_context(ctx: &mut Context, pairs: Vec<(String, Option<String>)>) {
    for (name, value) in pairs {
        let mut key = String::with_capacity(name.len() + 2);
        for c in name.chars() {
            if c.is_ascii_uppercase() {
                key.push('_');
            }
            key.push(c.to_ascii_lowercase());
        }
        match value {
            None => ctx.remove(&key),
            Some(value) => ctx.insert(key, value),
        };
    }
}

/// The members of a page-context object: a text value, or `None` for `null` (remove the key).
/// Other values are skipped (`embed.js` turns numbers and booleans into text).
pub fn context_pairs(object: &JsValue) -> Vec<(String, Option<String>)> {
    let entries = if object.is_object() { Object::entries(object.unchecked_ref()) } else { Array::new() };
    entries
        .iter()
        .filter_map(|pair| {
            let pair = Array::from(&pair);
            let key = pair.get(0).as_string()?;
            let value = pair.get(1);
            if value.is_null() || value.is_undefined() {
                Some((key, None))
            } else {
                value.as_string().map(|v| (key, Some(v)))
            }
        })
        .collect()
}
