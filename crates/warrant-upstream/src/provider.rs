//! A configured provider and the three steps of logging in with it: the authorization URL
//! (with state, PKCE and, for OpenID Connect, a nonce), the code exchange with the user's
//! identity, and refreshing an access token.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use tokio::sync::Mutex;
use url::Url;
use warrant_generators::{random_urlsafe, sha256_base64url};
use warrant_model::{ProviderKey, Secret};

use crate::UpstreamError;
use warrant_outgoing::{Body, Request, Response};

use crate::http_client::HttpClient;
use crate::oidc::Oidc;

/// A provider from `[upstream.<key>]`.
#[derive(Debug)]
pub struct Provider {
    pub(crate) key: ProviderKey,
    pub(crate) name: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret<String>,
    pub(crate) scope: String,
    pub(crate) kind: Kind,
}

/// How a provider is reached.
#[derive(Debug)]
pub(crate) enum Kind {
    /// OpenID Connect: endpoints from discovery, the user from the ID token.
    Oidc(Oidc),
    /// OAuth 2.0 with fixed endpoints and a user API.
    OAuth2 { endpoints: Endpoints, user: UserApi },
}

impl Kind {
    pub(crate) fn oidc(issuer: Url, trust_email: bool) -> Self {
        Self::Oidc(Oidc {
            issuer,
            trust_email,
            discovered: Mutex::new(None),
        })
    }
}

/// The authorization and token endpoints.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub authorize: Url,
    pub token: Url,
}

/// Where an OAuth 2.0 provider tells who the user is.
#[derive(Debug)]
pub(crate) enum UserApi {
    /// `GET /user`, then `GET /user/emails` for the verified primary address.
    GitHub { api: Url },
    /// `GET /user` (its `email` is the confirmed primary address).
    GitLab { api: Url },
    /// `GET /user`, then `GET /user/emails` for the confirmed primary address.
    Bitbucket { api: Url },
    /// A JSON record read through a field mapping.
    Mapped { url: Url, fields: FieldMap },
}

/// Dotted paths into a user record.
#[derive(Debug, Clone)]
pub(crate) struct FieldMap {
    pub id: String,
    pub username: String,
    pub email: String,
    /// A boolean field that must be `true` for the email to be used.
    pub email_verified: Option<String>,
}

/// Whether the provider may rely on a session it already has with the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// As the provider sees fit (a user logged in there is not asked again).
    AsUsual,
    /// The user must authenticate again (`prompt=login`, OpenID Connect providers only):
    /// this server was asked to re-authenticate them.
    LogInAgain,
}

/// What the login page keeps (in the session) between the redirect and the callback.
#[derive(Debug)]
pub struct Authorization {
    /// Where to send the browser.
    pub url: Url,
    /// The `state` parameter, compared with the callback's in constant time.
    pub state: Secret<String>,
    /// The PKCE code verifier (S256).
    pub verifier: Secret<String>,
    /// The OpenID Connect nonce, checked in the ID token.
    pub nonce: Option<Secret<String>>,
}

/// Tokens from a provider.
#[derive(Debug, Clone)]
pub struct UpstreamTokens {
    /// The access token.
    pub access_token: Secret<String>,
    /// The refresh token, if the provider gave one.
    pub refresh_token: Option<Secret<String>>,
    /// When the access token expires, if the provider said.
    pub expires_at: Option<OffsetDateTime>,
}

/// Who logged in at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUser {
    /// The provider's stable id for the user.
    pub id: String,
    /// A name to suggest for a new account.
    pub username: String,
    /// An email address the provider has verified; `None` when it has none.
    pub email: Option<String>,
    /// The provider's record, kept with the connection.
    pub record: Value,
}

impl Provider {
    /// The key in `[upstream.<key>]` and in `/oauth/<key>/…`.
    pub fn key(&self) -> &ProviderKey {
        &self.key
    }

    /// The button's label.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configured URLs Warrant itself calls (discovery, token endpoint, user API), to
    /// check against the outgoing client's rules at start.
    pub fn called_urls(&self) -> Vec<&Url> {
        match &self.kind {
            Kind::Oidc(oidc) => vec![&oidc.issuer],
            Kind::OAuth2 { endpoints, user } => {
                let api = match user {
                    UserApi::GitHub { api }
                    | UserApi::GitLab { api }
                    | UserApi::Bitbucket { api } => api,
                    UserApi::Mapped { url, .. } => url,
                };
                vec![&endpoints.token, api]
            }
        }
    }

    /// For an OpenID Connect provider, reads its discovery document and keys now (not from
    /// the cache) and checks that they name the configured issuer (`warrant check`);
    /// other presets have nothing to read before a login.
    pub async fn check_discovery(&self, http: &dyn HttpClient) -> Result<(), UpstreamError> {
        match &self.kind {
            Kind::Oidc(oidc) => oidc.discovered(http, true).await.map(drop),
            Kind::OAuth2 { .. } => Ok(()),
        }
    }

    /// Starts a login: the URL to redirect to, with fresh state, PKCE and nonce.
    pub async fn authorization(
        &self,
        http: &dyn HttpClient,
        redirect_uri: &Url,
        prompt: Prompt,
    ) -> Result<Authorization, UpstreamError> {
        let state = random_urlsafe(24)?;
        let verifier = random_urlsafe(32)?;
        let (mut url, nonce) = match &self.kind {
            Kind::Oidc(oidc) => {
                let discovered = oidc.discovered(http, false).await?;
                (
                    discovered.authorization_endpoint.clone(),
                    Some(random_urlsafe(24)?),
                )
            }
            Kind::OAuth2 { endpoints, .. } => (endpoints.authorize.clone(), None),
        };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", redirect_uri.as_str())
                .append_pair("state", state.expose())
                .append_pair(
                    "code_challenge",
                    &sha256_base64url(verifier.expose().as_bytes()),
                )
                .append_pair("code_challenge_method", "S256");
            if !self.scope.is_empty() {
                query.append_pair("scope", &self.scope);
            }
            if let Some(nonce) = &nonce {
                query.append_pair("nonce", nonce.expose());
                // OpenID Connect Core §3.1.2.1; plain OAuth 2.0 has no such parameter.
                if prompt == Prompt::LogInAgain {
                    query.append_pair("prompt", "login");
                }
            }
        }
        Ok(Authorization {
            url,
            state,
            verifier,
            nonce,
        })
    }

    /// Checks the `iss` of the provider's answer at the callback (RFC 9207), before anything
    /// else is done with it: when present it must be this provider's issuer, and a provider
    /// whose metadata promises it must send it. Only OpenID Connect providers have an
    /// issuer to compare with.
    pub async fn check_response_issuer(
        &self,
        http: &dyn HttpClient,
        iss: Option<&str>,
    ) -> Result<(), UpstreamError> {
        let Kind::Oidc(oidc) = &self.kind else {
            return Ok(());
        };
        let discovered = oidc.discovered(http, false).await?;
        match iss {
            Some(iss) if iss == discovered.issuer => Ok(()),
            Some(iss) => Err(UpstreamError::WrongIssuer(format!("{iss:?}"))),
            None if discovered.iss_parameter_supported => {
                Err(UpstreamError::WrongIssuer("(missing)".into()))
            }
            None => Ok(()),
        }
    }

    /// Finishes a login: exchanges `code` and reads who the user is.
    pub async fn finish(
        &self,
        http: &dyn HttpClient,
        code: &str,
        redirect_uri: &Url,
        verifier: &Secret<String>,
        nonce: Option<&Secret<String>>,
        now: OffsetDateTime,
    ) -> Result<(UpstreamTokens, UpstreamUser), UpstreamError> {
        let form = vec![
            ("grant_type", Secret::new("authorization_code".to_owned())),
            ("code", Secret::new(code.to_owned())),
            ("redirect_uri", Secret::new(redirect_uri.to_string())),
            ("code_verifier", verifier.clone()),
        ];
        match &self.kind {
            Kind::Oidc(oidc) => {
                let discovered = oidc.discovered(http, false).await?;
                let answer = self
                    .token_request(http, &discovered.token_endpoint, form)
                    .await?;
                let tokens = tokens(&answer, &discovered.token_endpoint, now)?;
                let id_token =
                    answer["id_token"]
                        .as_str()
                        .ok_or_else(|| UpstreamError::Protocol {
                            endpoint: discovered.token_endpoint.to_string(),
                            what: "no id_token in the token response".into(),
                        })?;
                let nonce = nonce.ok_or(UpstreamError::IdToken("no nonce was sent"))?;
                let claims = oidc
                    .verify_id_token(http, id_token, &self.client_id, nonce, now)
                    .await?;
                let user = oidc
                    .user(http, &discovered, &claims, &tokens.access_token)
                    .await?;
                Ok((tokens, user))
            }
            Kind::OAuth2 { endpoints, user } => {
                let answer = self.token_request(http, &endpoints.token, form).await?;
                let tokens = tokens(&answer, &endpoints.token, now)?;
                let user = user.fetch(http, &tokens.access_token).await?;
                Ok((tokens, user))
            }
        }
    }

    /// A new access token for `refresh_token`. Providers that do not rotate refresh tokens
    /// answer without one: the old one is kept.
    pub async fn refresh(
        &self,
        http: &dyn HttpClient,
        refresh_token: &Secret<String>,
        now: OffsetDateTime,
    ) -> Result<UpstreamTokens, UpstreamError> {
        let endpoint = match &self.kind {
            Kind::Oidc(oidc) => oidc.discovered(http, false).await?.token_endpoint.clone(),
            Kind::OAuth2 { endpoints, .. } => endpoints.token.clone(),
        };
        let form = vec![
            ("grant_type", Secret::new("refresh_token".to_owned())),
            ("refresh_token", refresh_token.clone()),
        ];
        let answer = self.token_request(http, &endpoint, form).await?;
        let mut refreshed = tokens(&answer, &endpoint, now)?;
        if refreshed.refresh_token.is_none() {
            refreshed.refresh_token = Some(refresh_token.clone());
        }
        Ok(refreshed)
    }

    /// POSTs to the token endpoint with the client's credentials in the body (GitHub and
    /// Bitbucket accept them there; so does every OpenID provider that allows
    /// `client_secret_post`).
    async fn token_request(
        &self,
        http: &dyn HttpClient,
        endpoint: &Url,
        form: Vec<(&str, Secret<String>)>,
    ) -> Result<Value, UpstreamError> {
        let credentials = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose().as_str()),
        ];
        let fields = form
            .iter()
            .map(|(name, value)| (*name, value.expose().as_str()))
            .chain(credentials);
        let response = http
            .send(Request::post(endpoint.clone(), Body::form(fields)))
            .await?;
        let answer = json(endpoint, &response)?;
        // GitHub answers a bad code with 200 and an `error` member.
        match oauth_error(&answer) {
            Some(said) => Err(UpstreamError::Protocol {
                endpoint: endpoint.to_string(),
                what: said,
            }),
            None => Ok(answer),
        }
    }
}

/// The JSON body of a successful answer; a refusal names the OAuth error the provider gave.
pub(crate) fn json(endpoint: &Url, response: &Response) -> Result<Value, UpstreamError> {
    if !response.is_success() {
        let said = serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|body| oauth_error(&body));
        return Err(UpstreamError::Refused {
            endpoint: endpoint.to_string(),
            status: response.status,
            said,
        });
    }
    serde_json::from_slice(&response.body).map_err(|_| UpstreamError::Protocol {
        endpoint: endpoint.to_string(),
        what: "the answer is not JSON".into(),
    })
}

/// The OAuth error of an answer (RFC 6749 §5.2): `error`, with `error_description` when
/// given, each cut to a length fit for a log line.
fn oauth_error(answer: &Value) -> Option<String> {
    let cut = |text: &str| text.chars().take(200).collect::<String>();
    let error = cut(answer["error"].as_str()?);
    Some(match answer["error_description"].as_str() {
        Some(description) => format!("{error} ({})", cut(description)),
        None => error,
    })
}

/// `GET url` with the access token.
pub(crate) async fn get_json(
    http: &dyn HttpClient,
    url: &Url,
    access_token: &Secret<String>,
) -> Result<Value, UpstreamError> {
    let bearer = Secret::new(format!("Bearer {}", access_token.expose()));
    let response = http
        .send(Request::get(url.clone()).authorized(bearer))
        .await?;
    json(url, &response)
}

fn tokens(
    answer: &Value,
    endpoint: &Url,
    now: OffsetDateTime,
) -> Result<UpstreamTokens, UpstreamError> {
    let access_token = answer["access_token"]
        .as_str()
        .ok_or_else(|| UpstreamError::Protocol {
            endpoint: endpoint.to_string(),
            what: "no access_token".into(),
        })?;
    let expires_in = match &answer["expires_in"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    Ok(UpstreamTokens {
        access_token: Secret::new(access_token.to_owned()),
        refresh_token: answer["refresh_token"]
            .as_str()
            .filter(|token| !token.is_empty())
            .map(|token| Secret::new(token.to_owned())),
        expires_at: expires_in.map(|seconds| now + Duration::seconds(seconds)),
    })
}

impl UserApi {
    async fn fetch(
        &self,
        http: &dyn HttpClient,
        access_token: &Secret<String>,
    ) -> Result<UpstreamUser, UpstreamError> {
        let join = |base: &Url, path: &str| {
            Url::parse(&format!("{}/{path}", base.as_str().trim_end_matches('/')))
                .map_err(|error| UpstreamError::Config(format!("{base}: {error}")))
        };
        match self {
            Self::GitHub { api } => {
                let user = get_json(http, &join(api, "user")?, access_token).await?;
                let emails = get_json(http, &join(api, "user/emails")?, access_token).await?;
                let email = primary_email(&emails, "primary", "verified");
                user_of(user, api, "id", "login", email)
            }
            Self::GitLab { api } => {
                let user = get_json(http, &join(api, "user")?, access_token).await?;
                let email = (!user["confirmed_at"].is_null())
                    .then(|| user["email"].as_str().map(str::to_owned))
                    .flatten();
                user_of(user, api, "id", "username", email)
            }
            Self::Bitbucket { api } => {
                let user = get_json(http, &join(api, "user")?, access_token).await?;
                let emails = get_json(http, &join(api, "user/emails")?, access_token).await?;
                let email = primary_email(&emails["values"], "is_primary", "is_confirmed");
                user_of(user, api, "uuid", "username", email)
            }
            Self::Mapped { url, fields } => {
                let record = get_json(http, url, access_token).await?;
                let verified = fields
                    .email_verified
                    .as_ref()
                    .is_none_or(|path| at(&record, path) == Some(&Value::Bool(true)));
                let email = verified.then(|| field(&record, &fields.email)).flatten();
                let mut user = user_of(record, url, &fields.id, &fields.username, email)?;
                // Only what the mapping names is kept with the connection: a record of
                // unknown shape may carry credentials (Warrant's own /api/profile/ carries
                // the user's API token), which must not reach the database.
                user.record =
                    json!({ "id": user.id, "username": user.username, "email": user.email });
                Ok(user)
            }
        }
    }
}

/// The address flagged primary and verified in a list of email records.
fn primary_email(emails: &Value, primary: &str, verified: &str) -> Option<String> {
    emails.as_array()?.iter().find_map(|entry| {
        (entry[primary] == Value::Bool(true) && entry[verified] == Value::Bool(true))
            .then(|| entry["email"].as_str().map(str::to_owned))
            .flatten()
    })
}

/// The user of a `record` read from `endpoint`: its `id` field must be there.
fn user_of(
    record: Value,
    endpoint: &Url,
    id: &str,
    username: &str,
    email: Option<String>,
) -> Result<UpstreamUser, UpstreamError> {
    let id = field(&record, id).ok_or_else(|| UpstreamError::Protocol {
        endpoint: endpoint.to_string(),
        what: format!("no {id:?} in the user record"),
    })?;
    let username = field(&record, username).unwrap_or_else(|| id.clone());
    Ok(UpstreamUser {
        id,
        username,
        email,
        record,
    })
}

/// The value at a dotted path.
fn at<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(record, |value, part| value.get(part))
}

/// A field at a dotted path, as text (numbers too: ids are often numbers).
fn field(record: &Value, path: &str) -> Option<String> {
    match at(record, path)? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
