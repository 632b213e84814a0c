//! Plain, accessible HTML pages that work without JavaScript, and their headers.

use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSP `form-action` source that lets a form's answer redirect to `uri` (a client's
/// redirect URI, which may use a custom scheme).
pub(crate) fn form_action_source(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) if url.origin().is_tuple() => url.origin().ascii_serialization(),
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => String::new(),
    }
}

/// A table of `rows` (each a `<tr>…</tr>`) under the column headings `columns`, or `empty`
/// as a paragraph when there are no rows.
pub(crate) fn table(columns: &[&str], rows: Vec<String>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p>{}</p>", escape(empty));
    }
    let headings: String = columns
        .iter()
        .map(|column| format!(r#"<th scope="col">{}</th>"#, escape(column)))
        .collect();
    format!(
        "<table><thead><tr>{headings}</tr></thead><tbody>{}</tbody></table>",
        rows.concat()
    )
}

/// A hidden form field.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        r#"<input type="hidden" name="{}" value="{}">"#,
        escape(name),
        escape(value)
    )
}

/// A form of hidden `fields` and one button labelled `label` (plain text), posted to
/// `action` (a path Warrant built).
pub(crate) fn button_form(action: &str, fields: &[(&str, &str)], label: &str) -> String {
    let fields: String = fields
        .iter()
        .map(|(name, value)| hidden(name, value))
        .collect();
    format!(
        r#"<form method="post" action="{}">{fields}<button type="submit">{}</button></form>"#,
        escape(action),
        escape(label)
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}\
label{display:block;margin-top:1rem}input[type=text],input[type=password]{width:100%;padding:.4rem;font-size:1rem}\
button{margin-top:1rem;margin-right:.5rem;padding:.5rem 1rem;font-size:1rem}.error{color:#a00}\
textarea{width:100%;padding:.4rem;font:inherit}fieldset{margin-top:1rem}fieldset label{margin-top:.25rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}td button{margin:0}\
dt{font-weight:bold;margin-top:.5rem}dd{margin-left:0}code{word-break:break-all}";

/// An HTML page, sent with a restrictive Content-Security-Policy, `no-store` (it may hold
/// a CSRF token) and, through Rocket's shield, `X-Frame-Options: DENY`.
pub struct Page {
    status: Status,
    title: String,
    body: String,
    form_action: Option<String>,
    retry_after: Option<u64>,
}

impl Page {
    /// A page; `body` is trusted HTML (escape what goes into it).
    pub(crate) fn new(status: Status, title: &str, body: String) -> Self {
        Self {
            status,
            title: title.to_owned(),
            body,
            form_action: None,
            retry_after: None,
        }
    }

    /// This page answered with `status`.
    pub(crate) fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// Sends `Retry-After: seconds` with this page (a 429's wait).
    pub(crate) fn retry_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after = seconds;
        self
    }

    /// Allows this page's forms to end up at `source` too (the consent form's answer
    /// redirects to the client).
    pub(crate) fn allow_form_action(mut self, source: String) -> Self {
        self.form_action = Some(source);
        self
    }

    /// An error page; it never redirects.
    pub(crate) fn error(status: Status, message: &str) -> Self {
        Self::new(
            status,
            "Error",
            format!(r#"<p class="error" role="alert">{}</p>"#, escape(message)),
        )
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{title} · Warrant</title><style>{STYLE}</style></head><body><main><h1>{title}</h1>{body}</main></body></html>",
            title = escape(&self.title),
            body = self.body,
        );
        let mut csp = String::from(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        );
        if let Some(source) = &self.form_action {
            csp.push_str(&format!("; form-action 'self' {source}"));
        }
        let mut response = Response::build();
        response
            .status(self.status)
            .header(ContentType::HTML)
            .header(Header::new("Content-Security-Policy", csp))
            .header(Header::new("Cache-Control", "no-store"))
            .header(Header::new("Referrer-Policy", "no-referrer"));
        if let Some(seconds) = self.retry_after {
            response.header(Header::new("Retry-After", seconds.to_string()));
        } else if self.status == Status::ServiceUnavailable {
            response.header(warrant_guards::retry_after());
        }
        response
            .sized_body(html.len(), std::io::Cursor::new(html))
            .ok()
    }
}

/// A `303 See Other` to any absolute or relative URI (including a native app's private-use
/// scheme), set verbatim: the URI was built by Warrant from a registered redirect URI.
pub struct SeeOther(pub String);

impl<'r> Responder<'r, 'static> for SeeOther {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::SeeOther)
            .header(Header::new("Location", self.0))
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&"#),
            "&lt;a href=&quot;x&quot; onclick=&#x27;y&#x27;&gt;&amp;"
        );
        assert_eq!(
            hidden("state", "\"><script>"),
            r#"<input type="hidden" name="state" value="&quot;&gt;&lt;script&gt;">"#
        );
    }
}
