//! A request and its answer.

use url::Url;
use warrant_model::Secret;

/// The methods Warrant calls with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// A request body: its media type and bytes (which may hold secrets: never printed).
pub struct Body {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Body {
    /// A form (`application/x-www-form-urlencoded`).
    pub fn form<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        Self {
            content_type: "application/x-www-form-urlencoded",
            bytes: form.finish().into_bytes(),
        }
    }

    /// A JSON document.
    pub fn json(bytes: Vec<u8>) -> Self {
        Self {
            content_type: "application/json",
            bytes,
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.content_type, self.bytes.len())
    }
}

/// A request to send.
#[derive(Debug)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: Method,
    /// Where.
    pub url: Url,
    /// The whole `Authorization` value (`Bearer …`, `Basic …`, `Server …`), never printed.
    pub authorization: Option<Secret<String>>,
    /// The body, if any.
    pub body: Option<Body>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::Get,
            url,
            authorization: None,
            body: None,
        }
    }

    /// A `POST` of `body` to `url`.
    pub fn post(url: Url, body: Body) -> Self {
        Self {
            method: Method::Post,
            url,
            authorization: None,
            body: Some(body),
        }
    }

    /// With `Authorization: value`.
    pub fn authorized(mut self, value: Secret<String>) -> Self {
        self.authorization = Some(value);
        self
    }
}

/// An answer.
#[derive(Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// How long the answer may be reused (`Cache-Control`: `max-age`, 0 for `no-store`
    /// or `no-cache`); `None` when it does not say.
    pub max_age: Option<u64>,
}

impl Response {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The body's length only: token endpoints answer with tokens.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_answers_print_without_their_content() {
        let answer = Response {
            status: 200,
            body: br#"{"access_token":"a-token"}"#.to_vec(),
            max_age: None,
        };
        let printed = format!("{answer:?}");
        assert!(!printed.contains("a-token"), "{printed}");
        assert!(printed.contains("26 bytes"), "{printed}");
        let form = Body::form([("client_secret", "hunter2")]);
        assert!(!format!("{form:?}").contains("hunter2"));
        assert_eq!(form.bytes, b"client_secret=hunter2");
    }
}
