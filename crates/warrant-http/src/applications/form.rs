//! The application form: what the user typed, parsed into [`ApplicationChanges`] with a
//! message per invalid field, and shown again with those messages.

use warrant_grants::ApplicationChanges;
use warrant_model::{
    Application, AuthMethod, ClientJwks, ClientKeys, ClientSecurity, ClientType, GrantType,
    GrantTypes, Origin, RedirectUri, RedirectUriPolicy, SecurityProfile, SigningAlgorithm,
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

/// The client authentication methods a user may pick; `None` is the default.
const AUTH_METHODS: [(Option<AuthMethod>, &str); 5] = [
    (
        None,
        "Default: the client secret (Basic or in the body), none for public clients",
    ),
    (
        Some(AuthMethod::ClientSecretBasic),
        "Client secret in HTTP Basic only",
    ),
    (
        Some(AuthMethod::ClientSecretJwt),
        "client_secret_jwt: an assertion keyed with the secret",
    ),
    (
        Some(AuthMethod::PrivateKeyJwt),
        "private_key_jwt: an assertion signed with your private key (give its public keys below)",
    ),
    (Some(AuthMethod::None), "None (public clients)"),
];

/// The security profiles a user may pick; `None` is the server's default.
const PROFILES: [(Option<SecurityProfile>, &str); 3] = [
    (None, "The server's default"),
    (Some(SecurityProfile::Standard), "Standard OAuth 2.0"),
    (
        Some(SecurityProfile::Fapi2),
        "FAPI 2.0: pushed requests, private_key_jwt, DPoP",
    ),
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
    auth_method: Option<AuthMethod>,
    jwks: String,
    jwks_uri: String,
    require_par: bool,
    require_dpop: bool,
    profile: Option<SecurityProfile>,
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
            auth_method: form
                .get("auth_method")
                .and_then(|name| AuthMethod::parse(name).ok()),
            jwks: text("jwks"),
            jwks_uri: text("jwks_uri"),
            require_par: form.get("require_par").is_some(),
            require_dpop: form.get("require_dpop").is_some(),
            profile: form
                .get("profile")
                .and_then(|name| SecurityProfile::parse(name).ok()),
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
            auth_method: application.security.auth_method,
            jwks: match &application.security.keys {
                Some(ClientKeys::Jwks(jwks)) => jwks.to_stored(),
                _ => String::new(),
            },
            jwks_uri: match &application.security.keys {
                Some(ClientKeys::Uri(uri)) => uri.to_string(),
                _ => String::new(),
            },
            require_par: application.security.require_pushed_requests,
            require_dpop: application.security.require_dpop,
            profile: application.security.profile,
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
        let keys = match (self.jwks.trim(), self.jwks_uri.trim()) {
            ("", "") => None,
            (jwks, "") => ClientJwks::parse(jwks)
                .map(ClientKeys::Jwks)
                .map_err(|error| errors.push(format!("Public keys: {error}")))
                .ok(),
            ("", uri) => ClientKeys::uri(uri)
                .map_err(|error| errors.push(format!("Public keys URL: {error}")))
                .ok(),
            _ => {
                errors.push("Give the public keys or their URL, not both.".to_owned());
                None
            }
        };
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
                security: Some(ClientSecurity {
                    require_pushed_requests: self.require_par,
                    auth_method: self.auth_method,
                    keys,
                    require_dpop: self.require_dpop,
                    profile: self.profile,
                }),
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
        let checked = |on: bool| if on { " checked" } else { "" };
        html.push_str(&format!(
            r#"<label><input type="checkbox" name="pkce_required" value="on"{}> Require PKCE (always on for public clients)</label>"#,
            checked(self.pkce_required)
        ));
        self.security_html(&mut html);
        html.push_str(
            r#"<button type="submit">Save</button> <a href="/o/applications/">Cancel</a></form>"#,
        );
        html
    }

    /// The high-assurance settings: how the client authenticates, its keys, what it must
    /// send (docs/high-assurance.md).
    fn security_html(&self, html: &mut String) {
        let options = |choices: &mut dyn Iterator<Item = (Option<&'static str>, &str)>,
                       current: Option<&str>| {
            choices
                .map(|(value, label)| {
                    let selected = if value == current { " selected" } else { "" };
                    format!(
                        r#"<option value="{}"{selected}>{label}</option>"#,
                        value.unwrap_or_default()
                    )
                })
                .collect::<String>()
        };
        html.push_str(&format!(
            r#"<fieldset><legend>High assurance</legend><label for="auth_method">Client authentication</label><select id="auth_method" name="auth_method">{}</select>"#,
            options(
                &mut AUTH_METHODS
                    .iter()
                    .map(|(method, label)| (method.map(AuthMethod::as_str), *label)),
                self.auth_method.map(AuthMethod::as_str)
            )
        ));
        html.push_str(&format!(
            r#"<label for="jwks">Public keys, a JWK Set (private_key_jwt)</label><textarea id="jwks" name="jwks" rows="3">{}</textarea>
<label for="jwks_uri">…or the https URL you publish them at</label><input type="url" id="jwks_uri" name="jwks_uri" value="{}">"#,
            escape(&self.jwks),
            escape(&self.jwks_uri)
        ));
        let checked = |on: bool| if on { " checked" } else { "" };
        html.push_str(&format!(
            r#"<label><input type="checkbox" name="require_par" value="on"{}> Require pushed authorization requests (PAR)</label>
<label><input type="checkbox" name="require_dpop" value="on"{}> Require DPoP-bound tokens</label>"#,
            checked(self.require_par),
            checked(self.require_dpop)
        ));
        html.push_str(&format!(
            r#"<label for="profile">Security profile</label><select id="profile" name="profile">{}</select></fieldset>"#,
            options(
                &mut PROFILES
                    .iter()
                    .map(|(profile, label)| (profile.map(SecurityProfile::as_str), *label)),
                self.profile.map(SecurityProfile::as_str)
            )
        ));
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
