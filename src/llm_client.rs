//! The transport of the LLM fallback: `fetch` with a streamed body, abort, timeouts and the
//! retry policy. Everything protocol-level (request body, SSE decoding, redaction, retries'
//! rules) lives in `llm-fallback`; this file only moves bytes and time.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use llm_fallback::policy::{Failure, GiveUpReason, RetryDecision, RetryPolicy, RetryState, TimeoutKind, Timeouts};
use llm_fallback::sse::check_content_type;
use llm_fallback::{DecodeError, StreamDecoder, StreamEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response};

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

/// What the host page's `handoff` event says as its `reason`, and the console.
impl std::fmt::Display for FallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FallbackError::Aborted => f.write_str("stopped"),
            FallbackError::GaveUp(reason) => reason.fmt(f),
            FallbackError::Stream(why) => f.write_str(why),
        }
    }
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

/// Waits `ms`, or less if `stop` is aborted meanwhile (the user pressed Stop during a retry's
/// wait: the answer must end now, not after the server's `Retry-After`).
async fn sleep_unless_stopped(ms: u64, stop: &AbortSignal) {
    if stop.aborted() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.min(i32::MAX as u64) as i32);
        }
        // `resolve` is a plain JS function: nothing on the Rust side can be dropped under it,
        // and resolving twice is harmless.
        let _ = stop.add_event_listener_with_callback("abort", &resolve);
    });
    let _ = JsFuture::from(promise).await;
}

/// Forwards an abort of the user's `stop` signal to one attempt's controller for as long as it
/// lives; the listener is removed on drop, before its closure is freed (a listener left behind
/// would call a dropped closure when Stop is pressed between attempts).
struct ForwardAbort {
    signal: AbortSignal,
    closure: Closure<dyn FnMut()>,
}

impl ForwardAbort {
    fn new(stop: &AbortController, controller: &AbortController) -> ForwardAbort {
        let ctl = controller.clone();
        let closure = Closure::<dyn FnMut()>::new(move || ctl.abort());
        let signal = stop.signal();
        let _ = signal.add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        ForwardAbort { signal, closure }
    }
}

impl Drop for ForwardAbort {
    fn drop(&mut self) {
        let _ = self.signal.remove_event_listener_with_callback("abort", self.closure.as_ref().unchecked_ref());
    }
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
                w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    closure.as_ref().unchecked_ref(),
                    ms.min(i32::MAX as u64) as i32,
                )
                .ok()
            })
            .unwrap_or(0);
        Deadline { fired, handle, _closure: closure }
    }
}

impl Drop for Deadline {
    /// Cancels the timer (dropping the deadline is how it is disarmed).
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
    pub async fn stream(
        &self,
        body: &str,
        stop: &AbortController,
        on_text: &dyn Fn(&str),
    ) -> Result<(), FallbackError> {
        let mut state = RetryState::default();
        loop {
            if stop.signal().aborted() {
                return Err(FallbackError::Aborted);
            }
            let failure = match self.attempt(body, stop, on_text).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Aborted) => return Err(FallbackError::Aborted),
                Err(Attempt::Stream(m)) => return Err(FallbackError::Stream(m)),
                Err(Attempt::Failed(f)) => f,
            };
            match self.policy.decide(&mut state, &failure, now_ms() as u64) {
                RetryDecision::Retry { delay_ms } => sleep_unless_stopped(delay_ms, &stop.signal()).await,
                RetryDecision::GiveUp(reason) => return Err(FallbackError::GaveUp(reason)),
            }
        }
    }

    async fn attempt(&self, body: &str, stop: &AbortController, on_text: &dyn Fn(&str)) -> Result<(), Attempt> {
        // One controller per attempt, aborted by the user's stop or by a deadline.
        let controller =
            AbortController::new().map_err(|_| Attempt::Failed(Failure::Network { after_first_byte: false }))?;
        let _forward = ForwardAbort::new(stop, &controller);
        let started = now_ms();
        // Disarmed (dropped) when the first byte arrives: after that only the total deadline
        // applies, however long the reply keeps streaming.
        let mut first_byte_deadline = Some(Deadline::new(&controller, self.timeouts.first_byte_ms));
        let first_byte_fired = first_byte_deadline.as_ref().map(|d| d.fired.clone()).unwrap_or_default();
        let total_deadline = Deadline::new(&controller, self.timeouts.total_ms);
        let timed_out = |got_first_byte: bool| {
            if stop.signal().aborted() {
                Attempt::Aborted
            } else if total_deadline.fired.get() {
                Attempt::Failed(Failure::Timeout(TimeoutKind::Total))
            } else if first_byte_fired.get() && !got_first_byte {
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
        let response: Response =
            JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| timed_out(false))?.unchecked_into();
        if !response.ok() {
            return Err(Attempt::Failed(Failure::Status {
                status: response.status(),
                retry_after: response.headers().get("retry-after").ok().flatten(),
            }));
        }
        if let Err(e) = check_content_type(response.headers().get("content-type").ok().flatten().as_deref()) {
            return Err(Attempt::Stream(e.to_string()));
        }
        let reader: ReadableStreamDefaultReader =
            response.body().ok_or_else(|| timed_out(false))?.get_reader().unchecked_into();
        let mut decoder = StreamDecoder::new();
        let mut got_first_byte = false;
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(|_| timed_out(got_first_byte))?;
            let done = Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            let events = if done {
                decoder.finish()
            } else {
                let bytes =
                    Uint8Array::new(&Reflect::get(&chunk, &"value".into()).unwrap_or(JsValue::UNDEFINED)).to_vec();
                if !got_first_byte && !bytes.is_empty() {
                    got_first_byte = true;
                    drop(first_byte_deadline.take());
                    web_sys::console::debug_1(&format!("first byte after {} ms", (now_ms() - started) as u64).into());
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
