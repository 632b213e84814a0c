//! An application's settings as an HTML definition list.

use warrant_model::{Application, GrantType, Origin, RedirectUri, Secret};

use crate::html::escape;

/// The application's settings, with its new secret when it was just registered.
pub(super) fn details(application: &Application, secret: Option<&Secret<String>>) -> String {
    let mut html = String::new();
    if let Some(secret) = secret {
        html.push_str(&format!(
            r#"<div role="alert"><p><strong>Copy the client secret now.</strong> It is stored only as a hash and will not be shown again.</p><p><code>{}</code></p></div>"#,
            escape(secret.expose())
        ));
    }
    let list = |items: Vec<&str>| {
        if items.is_empty() {
            "—".to_owned()
        } else {
            items
                .iter()
                .map(|item| format!("<code>{}</code>", escape(item)))
                .collect::<Vec<_>>()
                .join("<br>")
        }
    };
    let rows = [
        ("Name", escape(&application.name)),
        (
            "Client id",
            format!("<code>{}</code>", escape(application.client_id.as_str())),
        ),
        ("Client type", application.client_type.as_str().to_owned()),
        (
            "Grant types",
            list(
                application
                    .grant_types
                    .iter()
                    .map(GrantType::as_str)
                    .collect(),
            ),
        ),
        (
            "Redirect URIs",
            list(
                application
                    .redirect_uris
                    .iter()
                    .map(RedirectUri::as_str)
                    .collect(),
            ),
        ),
        (
            "Post-logout redirect URIs",
            list(
                application
                    .post_logout_redirect_uris
                    .iter()
                    .map(RedirectUri::as_str)
                    .collect(),
            ),
        ),
        (
            "Allowed origins",
            list(
                application
                    .allowed_origins
                    .iter()
                    .map(Origin::as_str)
                    .collect(),
            ),
        ),
        (
            "PKCE required",
            if application.pkce_required {
                "yes"
            } else {
                "no"
            }
            .to_owned(),
        ),
        (
            "ID-token algorithm",
            warrant_grants::id_token_algorithm(application)
                .as_str()
                .to_owned(),
        ),
        (
            "Client authentication",
            application
                .security
                .auth_method
                .map_or("default", |method| method.as_str())
                .to_owned(),
        ),
        (
            "Security profile",
            application
                .security
                .profile
                .map_or("the server's default", |profile| profile.as_str())
                .to_owned(),
        ),
    ];
    html.push_str("<dl>");
    for (term, value) in rows {
        html.push_str(&format!("<dt>{term}</dt><dd>{value}</dd>"));
    }
    let id = application.id.0;
    html.push_str(&format!(
        r#"</dl><p><a href="/o/applications/{id}/update/">Edit</a> · <a href="/o/applications/{id}/delete/">Delete</a> · <a href="/o/applications/">All applications</a></p>"#
    ));
    html
}
