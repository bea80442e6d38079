//! The chat widget: a Leptos (client-side rendered) UI that `embed.js` mounts into a Shadow DOM
//! root on the host page. It owns what buyers and sellers see and do — the launcher, the chat
//! panel, answers from the bundled index, "did you mean" choices, guided flows and the streamed
//! LLM fallback — and reads, never writes, the compiled knowledge pack.

mod chat;
mod config;
mod conversation;
mod encoder;
mod i18n;
mod llm_client;
mod pack;
mod ui;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::chat::{Chat, Trigger};
use crate::config::Config;

/// The handle `embed.js` drives the widget through (its public JS API calls land here).
#[wasm_bindgen]
pub struct Widget {
    chat: Chat,
}

#[wasm_bindgen]
impl Widget {
    pub fn open(&self) {
        self.chat.set_open(true);
    }

    pub fn close(&self) {
        self.chat.set_open(false);
    }

    pub fn toggle(&self) {
        self.chat.set_open(!self.chat.open.get_untracked());
    }

    /// Opens the panel and asks `text` as if typed.
    pub fn ask(&self, text: &str) {
        self.chat.begin(Trigger::Ask);
        self.chat.set_open(true);
        self.chat.ask(text);
    }

    /// Starts a guided flow by id: a promise that resolves once it started, or rejects with an
    /// `Error` naming a flow the pack does not have (also warned in the console).
    #[wasm_bindgen(js_name = startFlow)]
    pub fn start_flow(&self, id: &str) -> js_sys::Promise {
        self.chat.begin(Trigger::Flow);
        self.chat.set_open(true);
        let (chat, id) = (self.chat, id.to_string());
        js_sys::Promise::new(&mut |resolve, reject| {
            chat.start_flow(&id, move |started| {
                let _ = match started {
                    Ok(()) => resolve.call0(&JsValue::NULL),
                    Err(why) => reject.call1(&JsValue::NULL, &js_sys::Error::new(&why)),
                };
            });
        })
    }

    /// Merges page context (an object of texts: audience, locale, orderId, order_status, …; a
    /// `null` removes a key).
    #[wasm_bindgen(js_name = setContext)]
    pub fn set_context(&self, context: JsValue) -> Result<(), JsValue> {
        if !context.is_object() {
            return Err(JsValue::from_str("market-assist: setContext takes an object"));
        }
        self.chat.context.update(|ctx| config::merge_context(ctx, config::context_pairs(&context)));
        Ok(())
    }

    /// Which knowledge answers: the release's version, or the pack's checksum without one;
    /// `undefined` while none has loaded.
    #[wasm_bindgen(js_name = knowledgeVersion)]
    pub fn knowledge_version(&self) -> Option<String> {
        self.chat.knowledge_version()
    }

    /// The page is going away (`pagehide`): unanswered prompts are settled and the
    /// conversation stored, before `collect.js` sends what is queued.
    #[wasm_bindgen(js_name = pageHidden)]
    pub fn page_hidden(&self) {
        self.chat.page_hidden();
    }
}

/// Mounts the widget into `root` (a shadow root made by `embed.js`). `config` is the object
/// `embed.js` makes of the script tag's data attributes; `emit(name, detail)` delivers events to
/// the host page; `track(type, fields)`, given only with `data-collect`, takes analytics events.
#[wasm_bindgen]
pub fn mount(
    root: web_sys::ShadowRoot,
    config: JsValue,
    emit: js_sys::Function,
    track: Option<js_sys::Function>,
) -> Result<Widget, JsValue> {
    // A bug should say what it is in the console, not just "unreachable". Once: setting the
    // hook again after a panic would itself panic.
    static PANIC_HOOK: std::sync::Once = std::sync::Once::new();
    PANIC_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&format!("market-assist: {info}").into())))
    });
    // Effects created below (persistence, deferred answers) need the executor before mount_to.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let config = Config::from_js(&config);
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container = document.create_element("div")?;
    root.append_child(&container)?;
    let chat = Chat::new(config, emit, track);
    chat.persist();
    pack::load_pack(chat);
    leptos::mount::mount_to(container.unchecked_into(), move || view! { <ui::App chat/> }).forget();
    Ok(Widget { chat })
}

fn main() {}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
