//! The transport of the LLM fallback: `fetch` with a streamed body, abort, timeouts and the
//! retry policy. Everything protocol-level (request body, SSE decoding, redaction, retries'
//! rules) lives in `llm-fallback`; this file only moves bytes and time.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use llm_fallback::policy::{Failure, GiveUpReason, RetryDecision, RetryPolicy, RetryState, TimeoutKind, Timeouts};
use llm_fallback::{DecodeError, StreamDecoder, StreamEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response};

/// Why a fallback reply ended without completing.
#[derive(Clone, Debug, PartialEq)]
pub enum FallbackError {
    /// The user pressed stop.
    Aborted,
    /// The attempt failed and will not be retried.
    GaveUp(GiveUpReason),
    /// The server sent an error object or a malformed stream.
    Stream(String),
}

/// Talks to one OpenAI-compatible endpoint.
#[derive(Clone)]
pub struct FallbackClient {
    endpoint: String,
    token: Option<String>,
    timeouts: Timeouts,
    policy: RetryPolicy,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.min(i32::MAX as u64) as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Aborts `controller` after `ms` unless cancelled; the returned flag says whether it fired.
struct Deadline {
    fired: Rc<Cell<bool>>,
    handle: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Deadline {
    fn new(controller: &AbortController, ms: u64) -> Deadline {
        let fired = Rc::new(Cell::new(false));
        let (flag, ctl) = (fired.clone(), controller.clone());
        let closure = Closure::<dyn FnMut()>::new(move || {
            flag.set(true);
            ctl.abort();
        });
        let handle = web_sys::window()
            .and_then(|w| {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), ms.min(i32::MAX as u64) as i32).ok()
            })
            .unwrap_or(0);
        Deadline { fired, handle, _closure: closure }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.handle);
        }
    }
}

impl FallbackClient {
    /// A client for `endpoint` (the full `/v1/chat/completions` URL).
    pub fn new(endpoint: String, token: Option<String>, timeouts: Timeouts) -> FallbackClient {
        FallbackClient { endpoint, token, timeouts, policy: RetryPolicy::default() }
    }

    /// Sends `body` and calls `on_text` with each piece of the reply as it arrives. `stop` is the
    /// user's abort controller. Retries follow [`RetryPolicy`]; a partial reply is kept.
    pub async fn stream(&self, body: &str, stop: &AbortController, on_text: &dyn Fn(&str)) -> Result<(), FallbackError> {
        let mut state = RetryState::default();
        loop {
            let failure = match self.attempt(body, stop, on_text).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Aborted) => return Err(FallbackError::Aborted),
                Err(Attempt::Stream(m)) => return Err(FallbackError::Stream(m)),
                Err(Attempt::Failed(f)) => f,
            };
            match self.policy.decide(&mut state, &failure, now_ms() as u64) {
                RetryDecision::Retry { delay_ms } => sleep(delay_ms).await,
                RetryDecision::GiveUp(reason) => return Err(FallbackError::GaveUp(reason)),
            }
        }
    }

    async fn attempt(&self, body: &str, stop: &AbortController, on_text: &dyn Fn(&str)) -> Result<(), Attempt> {
        // One controller per attempt, aborted by the user's stop or by a deadline.
        let controller = AbortController::new().map_err(|_| Attempt::Failed(Failure::Network { after_first_byte: false }))?;
        let user_stop = {
            let ctl = controller.clone();
            Closure::<dyn FnMut()>::new(move || ctl.abort())
        };
        stop.signal().set_onabort(Some(user_stop.as_ref().unchecked_ref()));
        let started = now_ms();
        let first_byte_deadline = Deadline::new(&controller, self.timeouts.first_byte_ms);
        let total_deadline = Deadline::new(&controller, self.timeouts.total_ms);
        let timed_out = |got_first_byte: bool| {
            if stop.signal().aborted() {
                Attempt::Aborted
            } else if total_deadline.fired.get() {
                Attempt::Failed(Failure::Timeout(TimeoutKind::Total))
            } else if first_byte_deadline.fired.get() && !got_first_byte {
                Attempt::Failed(Failure::Timeout(TimeoutKind::FirstByte))
            } else {
                Attempt::Failed(Failure::Network { after_first_byte: got_first_byte })
            }
        };

        let headers = Headers::new().map_err(|_| timed_out(false))?;
        let _ = headers.set("content-type", "application/json");
        let _ = headers.set("accept", "text/event-stream");
        if let Some(token) = &self.token {
            let _ = headers.set("x-public-token", token);
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(body));
        init.set_signal(Some(&controller.signal()));
        let request = Request::new_with_str_and_init(&self.endpoint, &init).map_err(|_| timed_out(false))?;
        let window = web_sys::window().ok_or_else(|| timed_out(false))?;
        let response: Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(|_| timed_out(false))?
            .unchecked_into();
        if !response.ok() {
            return Err(Attempt::Failed(Failure::Status {
                status: response.status(),
                retry_after: response.headers().get("retry-after").ok().flatten(),
            }));
        }
        let reader: ReadableStreamDefaultReader = response
            .body()
            .ok_or_else(|| timed_out(false))?
            .get_reader()
            .unchecked_into();
        let mut decoder = StreamDecoder::new();
        let mut got_first_byte = false;
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(|_| timed_out(got_first_byte))?;
            let done = Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            let events = if done {
                decoder.finish()
            } else {
                let bytes = Uint8Array::new(&Reflect::get(&chunk, &"value".into()).unwrap_or(JsValue::UNDEFINED)).to_vec();
                if !got_first_byte && !bytes.is_empty() {
                    got_first_byte = true;
                    let _ = &first_byte_deadline;
                    web_sys::console::debug_1(&format!("first byte after {:.0} ms", now_ms() - started).into());
                }
                decoder.push(&bytes)
            };
            for event in events {
                match event {
                    Ok(StreamEvent::Delta(text)) => on_text(&text),
                    Ok(StreamEvent::Error(message)) => return Err(Attempt::Stream(message)),
                    Ok(StreamEvent::Done) => {
                        let _ = reader.cancel();
                        return Ok(());
                    }
                    Ok(_) => {}
                    Err(DecodeError::Truncated) => return Err(timed_out(got_first_byte)),
                    Err(e) => {
                        let _ = reader.cancel();
                        return Err(Attempt::Stream(e.to_string()));
                    }
                }
            }
            if done {
                return Ok(());
            }
        }
    }
}

enum Attempt {
    Aborted,
    Failed(Failure),
    Stream(String),
}
