//! A provider that answers from a table and records what it was sent.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::Value;
use warrant_outgoing::{Method, Request, Response};
use warrant_upstream::{HttpClient, UpstreamError};

/// One request as the provider saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub url: String,
    pub authorization: Option<String>,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
pub struct FakeProvider {
    answers: Mutex<HashMap<String, (u16, Value)>>,
    seen: Mutex<Vec<Seen>>,
}

impl FakeProvider {
    /// `url` (without its query) answers `status` with `body`.
    pub fn answer(&self, url: &str, status: u16, body: Value) {
        self.answers
            .lock()
            .unwrap()
            .insert(url.to_owned(), (status, body));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests made to `url`.
    pub fn seen_at(&self, url: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.url == url).collect()
    }
}

#[async_trait]
impl HttpClient for FakeProvider {
    async fn send(&self, request: Request) -> Result<Response, UpstreamError> {
        let url = request.url.to_string();
        self.seen.lock().unwrap().push(Seen {
            method: request.method,
            url: url.clone(),
            authorization: request.authorization.as_ref().map(|a| a.expose().clone()),
            form: request
                .body
                .map(|body| {
                    url::form_urlencoded::parse(&body.bytes)
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default(),
        });
        match self.answers.lock().unwrap().get(&url) {
            Some((status, body)) => Ok(Response {
                status: *status,
                body: body.to_string().into_bytes(),
                max_age: None,
            }),
            None => Err(UpstreamError::Unreachable {
                provider: url,
                reason: "connection refused".into(),
            }),
        }
    }
}
