//! The application form: what the user typed, parsed into [`ApplicationChanges`] with a
//! message per invalid field, and shown again with those messages.

use warrant_grants::ApplicationChanges;
use warrant_model::{
    Application, ClientType, GrantType, GrantTypes, Origin, RedirectUri, RedirectUriPolicy,
    SigningAlgorithm,
};

use crate::form::FormParams;
use crate::html::{escape, hidden};

/// The grants a user may pick, with their labels.
const GRANTS: [(GrantType, &str); 6] = [
    (GrantType::AuthorizationCode, "Authorization code"),
    (GrantType::RefreshToken, "Refresh token"),
    (GrantType::ClientCredentials, "Client credentials"),
    (GrantType::Password, "Resource owner password"),
    (GrantType::Implicit, "Implicit (legacy)"),
    (
        GrantType::DeviceCode,
        "Device code (TVs, command-line tools)",
    ),
];

/// The ID-token algorithms a user may pick; the first is the default.
const ALGORITHMS: [(SigningAlgorithm, &str); 3] = [
    (
        SigningAlgorithm::RS256,
        "RS256 (default; every OpenID Connect library has it)",
    ),
    (SigningAlgorithm::ES256, "ES256"),
    (SigningAlgorithm::EdDSA, "EdDSA (Ed25519)"),
];

/// The application form as submitted, kept to show it again with its errors.
#[derive(Default)]
pub(super) struct ApplicationForm {
    name: String,
    pub(super) client_type: Option<ClientType>,
    grants: Vec<GrantType>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    allowed_origins: String,
    pkce_required: bool,
    algorithm: Option<SigningAlgorithm>,
}

impl ApplicationForm {
    /// An empty registration form, with the usual grants of a web application ticked.
    pub(super) fn for_registration() -> Self {
        Self {
            grants: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            ..Self::default()
        }
    }

    pub(super) fn read(form: &FormParams) -> Self {
        let text = |name| form.get(name).unwrap_or_default().to_owned();
        Self {
            name: text("name"),
            client_type: form
                .get("client_type")
                .and_then(|t| ClientType::parse(t).ok()),
            grants: GRANTS
                .iter()
                .map(|(grant, _)| *grant)
                .filter(|grant| form.get(&format!("grant_{}", grant.as_str())).is_some())
                .collect(),
            redirect_uris: text("redirect_uris"),
            post_logout_redirect_uris: text("post_logout_redirect_uris"),
            allowed_origins: text("allowed_origins"),
            pkce_required: form.get("pkce_required").is_some(),
            // RS256 is the default, so choosing it stores no choice.
            algorithm: form
                .get("algorithm")
                .and_then(|name| SigningAlgorithm::parse(name).ok())
                .filter(|algorithm| *algorithm != SigningAlgorithm::RS256),
        }
    }

    pub(super) fn of(application: &Application) -> Self {
        let lines = |uris: &[RedirectUri]| {
            uris.iter()
                .map(RedirectUri::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        };
        Self {
            name: application.name.clone(),
            client_type: Some(application.client_type),
            grants: application.grant_types.iter().collect(),
            redirect_uris: lines(&application.redirect_uris),
            post_logout_redirect_uris: lines(&application.post_logout_redirect_uris),
            allowed_origins: application
                .allowed_origins
                .iter()
                .map(Origin::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            pkce_required: application.pkce_required,
            algorithm: application.algorithm,
        }
    }

    /// The changes this form asks for, or a message per invalid field.
    pub(super) fn changes(
        &self,
        policy: RedirectUriPolicy,
    ) -> Result<ApplicationChanges, Vec<String>> {
        let mut errors = Vec::new();
        let redirect_uris = per_line(&self.redirect_uris, "Redirect URIs", &mut errors, |uri| {
            RedirectUri::parse(uri, policy).map_err(|error| error.to_string())
        });
        let post_logout_redirect_uris = per_line(
            &self.post_logout_redirect_uris,
            "Post-logout redirect URIs",
            &mut errors,
            |uri| RedirectUri::parse(uri, policy).map_err(|error| error.to_string()),
        );
        let allowed_origins = per_line(
            &self.allowed_origins,
            "Allowed origins",
            &mut errors,
            |origin| {
                Origin::parse(origin)
                    .map_err(|_| format!("{origin} is not an origin like https://app.example"))
            },
        );
        let grant_types = GrantTypes::new(self.grants.iter().copied())
            .map_err(|_| errors.push("Choose at least one grant type.".to_owned()))
            .ok();
        match grant_types {
            Some(grant_types) if errors.is_empty() => Ok(ApplicationChanges {
                name: self.name.trim().to_owned(),
                grant_types,
                redirect_uris,
                post_logout_redirect_uris,
                allowed_origins,
                allowed_resources: None,
                pkce_required: self.pkce_required,
                algorithm: self.algorithm,
                security: None,
            }),
            _ => Err(errors),
        }
    }

    /// The form's HTML; the client type is chosen at registration only.
    pub(super) fn html(
        &self,
        action: &str,
        csrf: &str,
        errors: &[String],
        registering: bool,
    ) -> String {
        let mut html = String::new();
        if !errors.is_empty() {
            html.push_str(r#"<div class="error" role="alert"><p>Please correct these:</p><ul>"#);
            for error in errors {
                html.push_str(&format!("<li>{}</li>", escape(error)));
            }
            html.push_str("</ul></div>");
        }
        html.push_str(&format!(
            r#"<form method="post" action="{action}">{csrf}
<label for="name">Name</label><input type="text" id="name" name="name" value="{name}" required maxlength="255">"#,
            csrf = hidden("csrf_token", csrf),
            name = escape(&self.name),
        ));
        if registering {
            html.push_str("<fieldset><legend>Client type</legend>");
            for (client_type, label) in [
                (
                    ClientType::Confidential,
                    "Confidential: a server that can keep a secret",
                ),
                (
                    ClientType::Public,
                    "Public: a browser or native app (PKCE, no secret)",
                ),
            ] {
                let value = client_type.as_str();
                let checked = if self.client_type.unwrap_or(ClientType::Confidential) == client_type
                {
                    " checked"
                } else {
                    ""
                };
                html.push_str(&format!(
                    r#"<label><input type="radio" name="client_type" value="{value}"{checked}> {label}</label>"#
                ));
            }
            html.push_str("</fieldset>");
        }
        html.push_str("<fieldset><legend>Grant types</legend>");
        for (grant, label) in GRANTS {
            let name = format!("grant_{}", grant.as_str());
            let checked = if self.grants.contains(&grant) {
                " checked"
            } else {
                ""
            };
            html.push_str(&format!(
                r#"<label><input type="checkbox" name="{name}" value="on"{checked}> {label}</label>"#
            ));
        }
        html.push_str("</fieldset>");
        for (field, label, value) in [
            (
                "redirect_uris",
                "Redirect URIs (one per line)",
                &self.redirect_uris,
            ),
            (
                "post_logout_redirect_uris",
                "Post-logout redirect URIs (one per line)",
                &self.post_logout_redirect_uris,
            ),
            (
                "allowed_origins",
                "Allowed origins for browser calls (CORS, one per line)",
                &self.allowed_origins,
            ),
        ] {
            html.push_str(&format!(
                r#"<label for="{field}">{label}</label><textarea id="{field}" name="{field}" rows="3">{}</textarea>"#,
                escape(value)
            ));
        }
        html.push_str(r#"<label for="algorithm">ID-token signing algorithm (OpenID Connect)</label><select id="algorithm" name="algorithm">"#);
        for (algorithm, label) in ALGORITHMS {
            let selected = if self.algorithm.unwrap_or(SigningAlgorithm::RS256) == algorithm {
                " selected"
            } else {
                ""
            };
            html.push_str(&format!(
                r#"<option value="{}"{selected}>{label}</option>"#,
                algorithm.as_str()
            ));
        }
        html.push_str("</select>");
        let pkce = if self.pkce_required { " checked" } else { "" };
        html.push_str(&format!(
            r#"<label><input type="checkbox" name="pkce_required" value="on"{pkce}> Require PKCE (always on for public clients)</label>
<button type="submit">Save</button> <a href="/o/applications/">Cancel</a></form>"#
        ));
        html
    }
}

/// The values of a one-per-line field, each parsed by `parse`. A line may also hold several
/// values separated by spaces, as Django OAuth Toolkit's space-separated fields do; a line
/// with a bad value gets one message, naming the line and why.
fn per_line<T>(
    text: &str,
    field: &str,
    errors: &mut Vec<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<T> {
    let mut values = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let parsed: Result<Vec<T>, String> = line.split_whitespace().map(&parse).collect();
        match parsed {
            Ok(parsed) => values.extend(parsed),
            Err(reason) => errors.push(format!("{field}, line {}: {reason}", number + 1)),
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_line_gets_one_message() {
        let mut errors = Vec::new();
        let origins = per_line(
            "https://a.example\r\nnot an origin\n\nhttps://b.example https://c.example",
            "Allowed origins",
            &mut errors,
            |origin| Origin::parse(origin).map_err(|_| format!("{origin} is bad")),
        );
        assert_eq!(origins.len(), 3);
        assert_eq!(errors, ["Allowed origins, line 2: not is bad"]);
    }
}
