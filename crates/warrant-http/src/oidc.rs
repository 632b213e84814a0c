//! OpenID Connect's and RFC 8414's public documents and the userinfo endpoint:
//! `/.well-known/openid-configuration` (also under `/o/`, where Django OAuth Toolkit serves
//! it), `/.well-known/oauth-authorization-server`, `/o/.well-known/jwks.json`, and
//! `GET`/`POST /o/userinfo/`. An issuer with a path (`https://example.com/auth`, Warrant
//! behind a proxy that strips `/auth`) also has its metadata where RFC 8414 §3.1 puts it,
//! the well-known name followed by that path, which the proxy passes on unstripped.
//!
//! The metadata lists exactly what this server implements; a unit test keeps every
//! endpoint it names mounted.

use rocket::serde::json::{Value, json};
use rocket::{Route, State, get, options, post, routes};
use time::OffsetDateTime;
use warrant_generators::JwsAlgorithm;
use warrant_grants::{GrantSettings, OAuthError, RegistrationAccess, userinfo};
use warrant_model::{AuthMethod, GrantType, SecurityProfile, SigningAlgorithm};

use crate::AppState;
use crate::cors::{RequestOrigin, client_allows};
use warrant_guards::BearerToken;
use warrant_guards::{OAuthJson, PublicDocument};

pub(crate) fn routes() -> Vec<Route> {
    routes![
        openid_configuration,
        openid_configuration_dot,
        authorization_server_metadata,
        authorization_server_metadata_at_path,
        openid_configuration_at_path,
        jwks,
        userinfo_get,
        userinfo_post,
        userinfo_preflight
    ]
}

/// The endpoints the metadata names, relative to the issuer.
const ENDPOINTS: [(&str, &str); 9] = [
    ("authorization_endpoint", "/o/authorize/"),
    ("token_endpoint", "/o/token/"),
    ("userinfo_endpoint", "/o/userinfo/"),
    ("jwks_uri", "/o/.well-known/jwks.json"),
    ("revocation_endpoint", "/o/revoke_token/"),
    ("introspection_endpoint", "/o/introspect/"),
    ("end_session_endpoint", "/o/logout/"),
    ("device_authorization_endpoint", "/o/device_authorization/"),
    ("pushed_authorization_request_endpoint", "/o/par/"),
];

/// The algorithms of client assertions (`private_key_jwt`, `client_secret_jwt`).
fn assertion_algorithms() -> Vec<&'static str> {
    JwsAlgorithm::ASYMMETRIC
        .iter()
        .chain([&JwsAlgorithm::HS256])
        .map(|alg| alg.as_str())
        .collect()
}

/// Claims an ID token or the userinfo endpoint may carry.
const CLAIMS: [&str; 15] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "c_hash",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "email",
    "email_verified",
];

/// The authorization server's metadata (RFC 8414 §2, OpenID Connect Discovery §3);
/// `documents`: client ID metadata documents are on.
fn metadata(settings: &GrantSettings, documents: bool) -> Value {
    let issuer = settings.issuer.as_str();
    let mut document = json!({
        "issuer": issuer,
        "scopes_supported": settings.scopes.names().map(|s| s.as_str()).collect::<Vec<_>>(),
        "response_types_supported": ["code", "token", "id_token", "id_token token", "code id_token"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlgorithm::ALL.map(SigningAlgorithm::as_str),
        "token_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "token_endpoint_auth_signing_alg_values_supported": assertion_algorithms(),
        "revocation_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algorithms(),
        // A public client's id proves nothing to the introspection endpoint.
        "introspection_endpoint_auth_methods_supported": AuthMethod::ALL
            .into_iter()
            .filter(|method| *method != AuthMethod::None)
            .map(AuthMethod::as_str)
            .collect::<Vec<_>>(),
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algorithms(),
        // RFC 9449 §5.1.
        "dpop_signing_alg_values_supported": JwsAlgorithm::ASYMMETRIC.map(JwsAlgorithm::as_str),
        "code_challenge_methods_supported": if settings.allow_plain_pkce {
            vec!["S256", "plain"]
        } else {
            vec!["S256"]
        },
        "claims_supported": CLAIMS,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        // RFC 9207: every authorization response, answer or error, carries `iss`.
        "authorization_response_iss_parameter_supported": true,
        // RFC 9126 §5.
        "require_pushed_authorization_requests": settings.pushed_requests.required
            || settings.default_profile == SecurityProfile::Fapi2,
    });
    for (name, path) in ENDPOINTS {
        document[name] = Value::from(format!("{issuer}{path}"));
    }
    if documents {
        document["client_id_metadata_document_supported"] = Value::Bool(true);
    }
    if settings.registration.access != RegistrationAccess::Off {
        document[REGISTRATION.0] = Value::from(format!("{issuer}{}", REGISTRATION.1));
    }
    document
}

/// Dynamic client registration (RFC 7591), named only when it is on.
const REGISTRATION: (&str, &str) = ("registration_endpoint", "/o/register/");

#[get("/.well-known/openid-configuration")]
fn openid_configuration(state: &State<AppState>) -> PublicDocument {
    PublicDocument(metadata(
        &state.grants.settings,
        state.grants.documents.enabled(),
    ))
}

#[get("/o/.well-known/openid-configuration")]
fn openid_configuration_dot(state: &State<AppState>) -> PublicDocument {
    PublicDocument(metadata(
        &state.grants.settings,
        state.grants.documents.enabled(),
    ))
}

#[get("/.well-known/oauth-authorization-server")]
fn authorization_server_metadata(state: &State<AppState>) -> PublicDocument {
    PublicDocument(metadata(
        &state.grants.settings,
        state.grants.documents.enabled(),
    ))
}

/// The metadata at `/.well-known/<name>/<path>`, for an issuer whose path is `path`.
fn metadata_at_path(state: &AppState, path: std::path::PathBuf) -> Option<PublicDocument> {
    let issuer = url::Url::parse(&state.grants.settings.issuer).ok()?;
    let issuer_path = issuer.path().trim_matches('/');
    let asked = path.to_string_lossy();
    (!issuer_path.is_empty() && asked.trim_matches('/') == issuer_path).then(|| {
        PublicDocument(metadata(
            &state.grants.settings,
            state.grants.documents.enabled(),
        ))
    })
}

#[get("/.well-known/oauth-authorization-server/<path..>")]
fn authorization_server_metadata_at_path(
    state: &State<AppState>,
    path: std::path::PathBuf,
) -> Option<PublicDocument> {
    metadata_at_path(state, path)
}

#[get("/.well-known/openid-configuration/<path..>")]
fn openid_configuration_at_path(
    state: &State<AppState>,
    path: std::path::PathBuf,
) -> Option<PublicDocument> {
    metadata_at_path(state, path)
}

#[get("/o/.well-known/jwks.json")]
async fn jwks(state: &State<AppState>) -> Result<PublicDocument, OAuthJson> {
    let keys = state
        .grants
        .keys
        .current(&*state.store, OffsetDateTime::now_utc())
        .await
        .map_err(|error| OAuthJson::from(OAuthError::from(error)))?;
    Ok(PublicDocument(keys.jwks().clone()))
}

/// The claims of the bearer token's user; readable by the origins its client allows.
async fn answer_userinfo(
    state: &AppState,
    bearer: BearerToken,
    origin: RequestOrigin,
) -> OAuthJson {
    let answer = match userinfo(bearer.user.as_ref(), &bearer.scopes) {
        Ok(claims) => OAuthJson::ok(Value::Object(claims)),
        Err(error) => error.into(),
    };
    match origin.0 {
        Some(origin) if client_allows(state, &bearer.client_id, &origin).await => {
            answer.allow_origin(origin)
        }
        _ => answer,
    }
}

#[get("/o/userinfo")]
async fn userinfo_get(
    state: &State<AppState>,
    bearer: BearerToken,
    origin: RequestOrigin,
) -> OAuthJson {
    answer_userinfo(state, bearer, origin).await
}

#[post("/o/userinfo")]
async fn userinfo_post(
    state: &State<AppState>,
    bearer: BearerToken,
    origin: RequestOrigin,
) -> OAuthJson {
    answer_userinfo(state, bearer, origin).await
}

#[options("/o/userinfo")]
async fn userinfo_preflight(
    state: &State<AppState>,
    origin: RequestOrigin,
) -> crate::cors::Preflight {
    crate::cors::preflight(state, origin, "GET, POST").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_the_metadata_names_is_mounted() {
        let mounted: Vec<String> = crate::oauth::routes()
            .into_iter()
            .chain(routes())
            .chain(crate::authorize::routes())
            .chain(crate::logout::routes())
            .chain(crate::registration::routes())
            .map(|route| route.uri.path().to_string())
            .collect();
        let mut settings = GrantSettings::default();
        let documents = "client_id_metadata_document_supported";
        assert!(metadata(&settings, false).get(documents).is_none());
        assert_eq!(metadata(&settings, true)[documents], true);
        assert!(
            metadata(&settings, false).get(REGISTRATION.0).is_none(),
            "off by default"
        );
        settings.registration.access = RegistrationAccess::Open;
        let document = metadata(&settings, false);
        for (name, path) in ENDPOINTS.into_iter().chain([REGISTRATION]) {
            let url = document[name].as_str().unwrap();
            assert_eq!(url, format!("{}{path}", settings.issuer));
            assert!(
                mounted
                    .iter()
                    .any(|route| route == path.trim_end_matches('/')),
                "{name}: {path} is not mounted"
            );
        }
    }

    #[test]
    fn the_metadata_names_the_grants_served_and_no_request_objects() {
        let document = metadata(&GrantSettings::default(), false);
        assert_eq!(
            document["grant_types_supported"],
            json!([
                "authorization_code",
                "implicit",
                "password",
                "client_credentials",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])
        );
        assert_eq!(
            document["code_challenge_methods_supported"],
            json!(["S256"])
        );
        assert_eq!(document["request_uri_parameter_supported"], false);
    }
}
