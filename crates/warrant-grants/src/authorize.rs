//! The authorization endpoint (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2, §3.2.2, §3.3.2):
//! validating a request, deciding whether the user must log in or consent, and answering
//! with a code, tokens, an ID token or an error.

use time::OffsetDateTime;
use url::Url;
use warrant_generators::{hash_token, random_urlsafe};
use warrant_model::{
    Application, AuditAction, ClientId, CodeChallenge, CodeChallengeMethod, Consent, GrantType,
    NewAuthorizationCode, RedirectUri, RedirectUriPolicy, Resources, ScopeSet, User,
};

use crate::audit::Audited;
use crate::issue::{Authentication, Issue};
use crate::oidc::{IdTokenFacts, OPENID, is_openid};
use crate::pushed::Pushed;
use crate::resources::for_client;
use crate::{Engine, Event, OAuthError, requested_resources};

/// The authorization request's parameters as received (query or form), before validation.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationParams {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `response_type`.
    pub response_type: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `state`, echoed back.
    pub state: Option<String>,
    /// PKCE `code_challenge`.
    pub code_challenge: Option<String>,
    /// PKCE `code_challenge_method` (`S256`, or `plain` when enabled).
    pub code_challenge_method: Option<String>,
    /// OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// Django OAuth Toolkit's `approval_prompt`: `force` or `auto`.
    pub approval_prompt: Option<String>,
    /// OpenID Connect `prompt`: `none`, or any of `login`, `consent`, `select_account`.
    pub prompt: Option<String>,
    /// OpenID Connect `max_age`: seconds since the user's login after which they must log
    /// in again.
    pub max_age: Option<String>,
    /// OpenID Connect `login_hint`: the username to suggest on the login page.
    pub login_hint: Option<String>,
    /// RFC 8707 `resource`s, space-separated (the HTTP layer joins repeated ones).
    pub resource: Option<String>,
    /// RFC 9126 `request_uri`: the request was pushed, and only `client_id` comes with it.
    pub request_uri: Option<String>,
    /// RFC 9449 §10 `dpop_jkt`: the thumbprint of the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
}

impl AuthorizationParams {
    /// The parameters' names, in this order everywhere (forms carrying a request on).
    pub const NAMES: [&'static str; 15] = [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "nonce",
        "approval_prompt",
        "prompt",
        "max_age",
        "login_hint",
        "resource",
        "request_uri",
        "dpop_jkt",
    ];

    /// The parameters as `lookup` finds them by name (in a query or a form, however the
    /// frontend holds it).
    pub fn from_lookup<'a>(lookup: impl Fn(&str) -> Option<&'a str>) -> Self {
        let get = |name: &str| lookup(name).map(str::to_owned);
        Self {
            client_id: get("client_id"),
            response_type: get("response_type"),
            redirect_uri: get("redirect_uri"),
            scope: get("scope"),
            state: get("state"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
            nonce: get("nonce"),
            approval_prompt: get("approval_prompt"),
            prompt: get("prompt"),
            max_age: get("max_age"),
            login_hint: get("login_hint"),
            resource: get("resource"),
            request_uri: get("request_uri"),
            dpop_jkt: get("dpop_jkt"),
        }
    }

    /// Each parameter by name, in the order of [`Self::NAMES`].
    pub fn values(&self) -> [(&'static str, Option<&String>); 15] {
        // Destructured, so that a field added later cannot be left out here.
        let Self {
            client_id,
            response_type,
            redirect_uri,
            scope,
            state,
            code_challenge,
            code_challenge_method,
            nonce,
            approval_prompt,
            prompt,
            max_age,
            login_hint,
            resource,
            request_uri,
            dpop_jkt,
        } = self;
        let values = [
            client_id,
            response_type,
            redirect_uri,
            scope,
            state,
            code_challenge,
            code_challenge_method,
            nonce,
            approval_prompt,
            prompt,
            max_age,
            login_hint,
            resource,
            request_uri,
            dpop_jkt,
        ];
        std::array::from_fn(|i| (Self::NAMES[i], values[i].as_ref()))
    }

    /// What of parameter `name` (`value`) a request repeated after the user logs in keeps:
    /// a login satisfies `max_age` and `prompt=login` (else `max_age=0` would send the
    /// user back to the login page for ever), so they go; `None` when nothing is left.
    pub fn after_login<'a>(name: &str, value: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        match name {
            "max_age" => None,
            "prompt" => {
                let rest: Vec<&str> = value.split(' ').filter(|v| *v != "login").collect();
                (!rest.is_empty()).then(|| rest.join(" ").into())
            }
            _ => Some(value.into()),
        }
    }
}

/// What the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// `code`: the authorization-code grant.
    Code,
    /// `token`: the implicit grant.
    Token,
    /// `id_token`: OpenID Connect's implicit flow, an ID token only.
    IdToken,
    /// `id_token token`: OpenID Connect's implicit flow with an access token.
    IdTokenToken,
    /// `code id_token`: OpenID Connect's hybrid flow.
    CodeIdToken,
}

impl ResponseType {
    /// Parses a `response_type` (its values in any order).
    fn parse(text: &str) -> Option<Self> {
        let mut values: Vec<&str> = text.split(' ').collect();
        values.sort_unstable();
        match values.as_slice() {
            ["code"] => Some(Self::Code),
            ["token"] => Some(Self::Token),
            ["id_token"] => Some(Self::IdToken),
            ["id_token", "token"] => Some(Self::IdTokenToken),
            ["code", "id_token"] => Some(Self::CodeIdToken),
            _ => None,
        }
    }

    /// The grant the application must allow.
    fn grant(self) -> GrantType {
        match self {
            Self::Code | Self::CodeIdToken => GrantType::AuthorizationCode,
            Self::Token | Self::IdToken | Self::IdTokenToken => GrantType::Implicit,
        }
    }

    /// Whether the answer carries an ID token.
    pub fn has_id_token(self) -> bool {
        matches!(self, Self::IdToken | Self::IdTokenToken | Self::CodeIdToken)
    }

    /// Whether the answer goes in the fragment: whenever it carries a token (OAuth 2.0
    /// Multiple Response Types §2.1), never in the query where servers log it.
    fn in_fragment(self) -> bool {
        self != Self::Code
    }
}

/// OpenID Connect's `prompt` (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// `none`: never show a page; fail with `login_required` or `consent_required`.
    pub none: bool,
    /// `login`: the user must log in again.
    pub login: bool,
    /// `consent`: the consent page is shown even when it could be skipped.
    pub consent: bool,
}

impl Prompt {
    fn parse(text: &str) -> Result<Self, OAuthError> {
        let mut prompt = Self::default();
        for value in text.split(' ') {
            match value {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                // One account per session: there is nothing to select.
                "select_account" => {}
                other => {
                    return Err(OAuthError::InvalidRequest(format!(
                        "prompt value {other:?} is not supported"
                    )));
                }
            }
        }
        if prompt.none && text.split(' ').count() > 1 {
            return Err(OAuthError::InvalidRequest(
                "prompt=none cannot be combined with other values".into(),
            ));
        }
        Ok(prompt)
    }
}

/// What the authorization endpoint does next for a valid request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Send the user to the login page (no session, `prompt=login`, or `max_age` passed).
    LogIn,
    /// Show the consent page.
    Consent,
    /// Answer the client at once.
    Answer,
}

/// Whether to show the consent page when a previous consent already covers the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalPrompt {
    /// Always ask (Django OAuth Toolkit's default).
    Force,
    /// Skip the page when the user consented to these scopes before.
    Auto,
}

/// A valid authorization request: everything the consent page shows and the answer needs.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The client.
    pub application: Application,
    /// Where the answer goes (exactly one of the registered URIs).
    pub redirect_uri: RedirectUri,
    /// Whether the request named `redirect_uri` (then the token request must repeat it).
    pub redirect_uri_included: bool,
    /// Code or token.
    pub response_type: ResponseType,
    /// Requested scopes (the defaults when none were named).
    pub scope: ScopeSet,
    /// The resources the client named (RFC 8707).
    pub resources: Resources,
    /// Echoed back to the client.
    pub state: Option<String>,
    /// PKCE challenge, for `code`.
    pub code_challenge: Option<CodeChallenge>,
    /// OpenID Connect nonce.
    pub nonce: Option<String>,
    /// Consent-page behaviour.
    pub approval_prompt: ApprovalPrompt,
    /// OpenID Connect `prompt`.
    pub prompt: Prompt,
    /// OpenID Connect `max_age`.
    pub max_age: Option<time::Duration>,
    /// OpenID Connect `login_hint`.
    pub login_hint: Option<String>,
    /// Set when the request came pushed (RFC 9126).
    pub pushed: Option<Pushed>,
    /// The DPoP key the code will be bound to (RFC 9449 §10).
    pub dpop_jkt: Option<String>,
}

/// Why an authorization request failed, and so how to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationRejection {
    /// The client or redirect URI cannot be trusted: show an error page and never redirect
    /// (RFC 6749 §4.1.2.1, or the endpoint becomes an open redirector).
    ShowError(OAuthError),
    /// The client is known: send the error back to it.
    Redirect {
        /// The response to the client.
        location: String,
        /// The error carried in it.
        error: OAuthError,
    },
}

impl Engine<'_> {
    /// Validates an authorization request: its parameters, or those pushed as its
    /// `request_uri` (RFC 9126), which a client may be required to use.
    pub async fn validate_authorization(
        &self,
        params: &AuthorizationParams,
        now: OffsetDateTime,
    ) -> Result<AuthorizationRequest, AuthorizationRejection> {
        let Some(request_uri) = params.request_uri.as_deref() else {
            let request = self.check_authorization(params).await?;
            if self.must_push(&request.application) {
                return Err(self.refuse(
                    &request,
                    OAuthError::InvalidRequest(
                        "this client must push its authorization requests (PAR)".into(),
                    ),
                ));
            }
            return Ok(request);
        };
        let (pushed_params, pushed) = self
            .open_pushed(params, request_uri, now)
            .await
            .map_err(AuthorizationRejection::ShowError)?;
        let mut request = self.check_authorization(&pushed_params).await?;
        request.pushed = Some(pushed);
        Ok(request)
    }

    /// Checks an authorization request's parameters.
    pub(crate) async fn check_authorization(
        &self,
        params: &AuthorizationParams,
    ) -> Result<AuthorizationRequest, AuthorizationRejection> {
        let show = |error: OAuthError| AuthorizationRejection::ShowError(error);
        let client_id = params
            .client_id
            .as_deref()
            .ok_or_else(|| show(OAuthError::InvalidRequest("client_id is missing".into())))?;
        let client_id = ClientId::parse(client_id)
            .map_err(|_| show(OAuthError::InvalidClient("unknown client".into())))?;
        let application = self
            .client(&client_id)
            .await
            .map_err(show)?
            .ok_or_else(|| show(OAuthError::InvalidClient("unknown client".into())))?;
        let redirect_uri =
            registered_redirect(&application, params.redirect_uri.as_deref()).map_err(show)?;
        let fapi2 = self.is_fapi2(&application);
        // FAPI 2.0 §5.3.2.2: no answer, not even an error, travels over plain http.
        if fapi2 && !redirect_uri.as_str().starts_with("https://") {
            return Err(show(OAuthError::InvalidRequest(
                "the fapi2 profile takes https redirect URIs only".into(),
            )));
        }

        // From here on errors go back to the client; the fragment carries answers with
        // tokens, and so errors to requests for them.
        let fragment = params
            .response_type
            .as_deref()
            .is_some_and(|text| text.split(' ').any(|v| v == "token" || v == "id_token"));
        let redirect = |error: OAuthError| AuthorizationRejection::Redirect {
            location: self.error_location(&redirect_uri, &error, params.state.as_deref(), fragment),
            error,
        };
        let response_type = match params.response_type.as_deref() {
            Some(text) => ResponseType::parse(text).ok_or_else(|| {
                redirect(OAuthError::UnsupportedResponseType(format!(
                    "response_type {text:?} is not supported"
                )))
            })?,
            None => {
                return Err(redirect(OAuthError::InvalidRequest(
                    "response_type is missing".into(),
                )));
            }
        };
        // FAPI 2.0 §5.3.2.2: the code flow only.
        if fapi2 && response_type != ResponseType::Code {
            return Err(redirect(OAuthError::UnsupportedResponseType(
                "the fapi2 profile allows response_type code only".into(),
            )));
        }
        let grant = response_type.grant();
        if !application.grant_types.allows(grant) {
            return Err(redirect(OAuthError::UnauthorizedClient(format!(
                "this client may not use the {grant} grant"
            ))));
        }
        let requested = match params.scope.as_deref() {
            Some(text) => Some(
                ScopeSet::parse(text)
                    .map_err(|_| redirect(OAuthError::InvalidScope("malformed scope".into())))?,
            ),
            None => None,
        };
        let resources = requested_resources(params.resource.as_deref()).map_err(redirect)?;
        self.settings
            .resources
            .check(&resources)
            .map_err(redirect)?;
        let resources = for_client(&application, resources).map_err(redirect)?;
        let scope = self.grantable_scope(requested.as_ref()).map_err(redirect)?;
        // What the consent page shows is what the tokens will carry.
        let scope = self
            .settings
            .resources
            .scope_for(scope, &resources)
            .map_err(redirect)?;
        if response_type.has_id_token() {
            if !is_openid(&scope) {
                return Err(redirect(OAuthError::InvalidRequest(format!(
                    "an ID token needs the {OPENID} scope"
                ))));
            }
            // OIDC Core §3.2.2.1, §3.3.2.11: it binds a front-channel ID token to the session.
            if params.nonce.is_none() {
                return Err(redirect(OAuthError::InvalidRequest(
                    "nonce is required when an ID token is returned from this endpoint".into(),
                )));
            }
        }
        let code_challenge = match response_type.grant() {
            GrantType::AuthorizationCode => self
                .code_challenge(&application, params)
                .map_err(redirect)?,
            _ => None,
        };
        if fapi2 {
            check_fapi2_request(params.redirect_uri.is_some(), code_challenge.as_ref())
                .map_err(redirect)?;
        }
        let dpop_jkt = match params.dpop_jkt.as_deref() {
            Some(jkt) if is_thumbprint(jkt) => Some(jkt.to_owned()),
            Some(_) => {
                return Err(redirect(OAuthError::InvalidRequest(
                    "dpop_jkt must be a JWK SHA-256 thumbprint".into(),
                )));
            }
            None => None,
        };
        let prompt = match params.prompt.as_deref() {
            Some(text) => Prompt::parse(text).map_err(redirect)?,
            None => Prompt::default(),
        };
        let max_age = match params.max_age.as_deref() {
            Some(text) => Some(
                text.parse::<u32>()
                    .map(|seconds| time::Duration::seconds(i64::from(seconds)))
                    .map_err(|_| {
                        redirect(OAuthError::InvalidRequest(
                            "max_age must be a number of seconds".into(),
                        ))
                    })?,
            ),
            None => None,
        };
        let approval_prompt = match params.approval_prompt.as_deref() {
            Some("auto") => ApprovalPrompt::Auto,
            Some("force") => ApprovalPrompt::Force,
            Some(_) => {
                return Err(redirect(OAuthError::InvalidRequest(
                    "approval_prompt must be force or auto".into(),
                )));
            }
            None => self.settings.approval_prompt,
        };
        Ok(AuthorizationRequest {
            application,
            redirect_uri,
            redirect_uri_included: params.redirect_uri.is_some(),
            response_type,
            scope,
            resources,
            state: params.state.clone(),
            code_challenge,
            nonce: params.nonce.clone(),
            approval_prompt,
            prompt,
            max_age,
            login_hint: params.login_hint.clone(),
            pushed: None,
            dpop_jkt,
        })
    }

    /// What to do with a valid request, given the browser's session (its user and when
    /// they logged in): log in, ask for consent, or answer. With `prompt=none` the first
    /// two are `login_required` and `consent_required` errors back to the client.
    pub async fn next_step(
        &self,
        request: &AuthorizationRequest,
        session: Option<(&User, OffsetDateTime)>,
        now: OffsetDateTime,
    ) -> Result<NextStep, AuthorizationRejection> {
        let recent_enough = |auth_time: OffsetDateTime| {
            request
                .max_age
                .is_none_or(|max_age| now - auth_time <= max_age)
        };
        // A pushed request keeps its parameters across the login page: a login since the
        // browser brought it satisfies `prompt=login` and `max_age`.
        let logged_in_for_it = |auth_time: OffsetDateTime| {
            request
                .pushed
                .as_ref()
                .is_some_and(|pushed| auth_time >= pushed.opened_at)
        };
        let user = match session {
            Some((user, auth_time))
                if logged_in_for_it(auth_time)
                    || (!request.prompt.login && recent_enough(auth_time)) =>
            {
                user
            }
            _ if request.prompt.none => {
                return Err(self.refuse(
                    request,
                    OAuthError::LoginRequired("the user is not logged in".into()),
                ));
            }
            _ => return Ok(NextStep::LogIn),
        };
        let ask = request.prompt.consent
            || self
                .needs_consent(request, user)
                .await
                .map_err(|e| self.refuse(request, e))?;
        match (ask, request.prompt.none) {
            (false, _) => Ok(NextStep::Answer),
            (true, false) => Ok(NextStep::Consent),
            (true, true) => Err(self.refuse(
                request,
                OAuthError::ConsentRequired("the user has not consented to this request".into()),
            )),
        }
    }

    fn code_challenge(
        &self,
        application: &Application,
        params: &AuthorizationParams,
    ) -> Result<Option<CodeChallenge>, OAuthError> {
        let Some(challenge) = params.code_challenge.as_deref() else {
            return if application.pkce_required {
                Err(OAuthError::InvalidRequest(
                    "code_challenge is required (PKCE)".into(),
                ))
            } else {
                Ok(None)
            };
        };
        // RFC 7636 §4.3: the method defaults to plain.
        let method =
            CodeChallengeMethod::parse(params.code_challenge_method.as_deref().unwrap_or("plain"))
                .map_err(|_| {
                    OAuthError::InvalidRequest("unsupported code_challenge_method".into())
                })?;
        if method == CodeChallengeMethod::Plain && !self.settings.allow_plain_pkce {
            return Err(OAuthError::InvalidRequest(
                "code_challenge_method must be S256".into(),
            ));
        }
        CodeChallenge::parse(method, challenge)
            .map(Some)
            .map_err(|e| OAuthError::InvalidRequest(e.to_string()))
    }

    /// Whether the user must see the consent page: not for applications that skip it, nor
    /// with `approval_prompt=auto` when the user already consented to these scopes.
    pub async fn needs_consent(
        &self,
        request: &AuthorizationRequest,
        user: &User,
    ) -> Result<bool, OAuthError> {
        if request.application.skip_authorization {
            return Ok(false);
        }
        if request.approval_prompt == ApprovalPrompt::Auto {
            let consent = self.store.consent(user.id, request.application.id).await?;
            if consent.is_some_and(|c| request.scope.is_subset(&c.scope)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The user approved: remembers the consent and answers with what the response type
    /// asks for: a code (in the query), or tokens, an ID token, a code and an ID token (in
    /// the fragment). Returns the `Location`.
    pub async fn approve(
        &self,
        request: &AuthorizationRequest,
        user: &User,
        auth_time: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<String, OAuthError> {
        if let Some(pushed) = &request.pushed {
            self.use_pushed(pushed, now).await?;
        }
        self.add_consent(user, &request.application, &request.scope, now)
            .await?;
        let mut answer: Vec<(&str, String)> = Vec::new();
        let code = match request.response_type {
            ResponseType::Code | ResponseType::CodeIdToken => Some(random_urlsafe(32)?),
            _ => None,
        };
        match request.response_type {
            ResponseType::Token | ResponseType::IdTokenToken => {
                let issue = Issue {
                    application: &request.application,
                    user: Some(user),
                    scope: request.scope.clone(),
                    resources: request.resources.clone(),
                    grant_resources: request.resources.clone(),
                    family: None,
                    authorization_code_id: None,
                    // RFC 6749 §4.2.2: the implicit grant never issues refresh tokens.
                    refresh: false,
                    openid: (request.response_type == ResponseType::IdTokenToken).then(|| {
                        Authentication {
                            nonce: request.nonce.clone(),
                            auth_time: Some(auth_time),
                        }
                    }),
                    // A browser's redirect carries no proof.
                    dpop_jkt: None,
                };
                let response = self.issue_tokens(issue, now).await?;
                self.events.record(Event::TokensIssued {
                    grant: GrantType::Implicit,
                });
                answer.push(("access_token", response.access_token.expose().clone()));
                answer.push(("token_type", response.token_type.to_owned()));
                answer.push(("expires_in", response.expires_in.to_string()));
                answer.push(("scope", response.scope.to_string()));
                if let Some(id_token) = response.id_token {
                    answer.push(("id_token", id_token.expose().clone()));
                }
            }
            ResponseType::IdToken | ResponseType::CodeIdToken => {
                // Signed before the code is stored, so a missing key leaves no orphan code.
                let id_token = self
                    .id_token(
                        IdTokenFacts {
                            application: &request.application,
                            user,
                            scope: &request.scope,
                            nonce: request.nonce.as_deref(),
                            auth_time: Some(auth_time),
                            access_token: None,
                            code: code.as_ref(),
                        },
                        now,
                    )
                    .await?;
                answer.push(("id_token", id_token.expose().clone()));
            }
            ResponseType::Code => {}
        }
        if let Some(code) = code {
            self.store
                .create_authorization_code(&NewAuthorizationCode {
                    code_hash: hash_token(code.expose()),
                    application_id: request.application.id,
                    user_id: user.id,
                    redirect_uri: request.redirect_uri.clone(),
                    redirect_uri_included: request.redirect_uri_included,
                    scope: request.scope.clone(),
                    resources: request.resources.clone(),
                    code_challenge: request.code_challenge.clone(),
                    nonce: request.nonce.clone(),
                    dpop_jkt: request.dpop_jkt.clone(),
                    auth_time,
                    created_at: now,
                    expires_at: now + self.code_lifetime(&request.application),
                })
                .await?;
            answer.push(("code", code.expose().clone()));
        }
        if let Some(state) = &request.state {
            answer.push(("state", state.clone()));
        }
        Ok(self.location(
            &request.redirect_uri,
            answer,
            request.response_type.in_fragment(),
        ))
    }

    /// The user refused: `access_denied` back to the client. A pushed request is used up
    /// by the refusal too.
    pub async fn deny(
        &self,
        request: &AuthorizationRequest,
        now: OffsetDateTime,
    ) -> Result<String, OAuthError> {
        if let Some(pushed) = &request.pushed {
            self.use_pushed(pushed, now).await?;
        }
        let error = OAuthError::AccessDenied("the resource owner denied the request".into());
        Ok(self.request_error_location(request, &error))
    }

    /// `error` sent back to the client of `request`.
    pub fn refuse(
        &self,
        request: &AuthorizationRequest,
        error: OAuthError,
    ) -> AuthorizationRejection {
        AuthorizationRejection::Redirect {
            location: self.request_error_location(request, &error),
            error,
        }
    }

    /// Where the client of `request` receives `error`: in the query or the fragment as its
    /// answer would be, with `state`.
    fn request_error_location(&self, request: &AuthorizationRequest, error: &OAuthError) -> String {
        self.error_location(
            &request.redirect_uri,
            error,
            request.state.as_deref(),
            request.response_type.in_fragment(),
        )
    }

    fn error_location(
        &self,
        redirect_uri: &RedirectUri,
        error: &OAuthError,
        state: Option<&str>,
        fragment: bool,
    ) -> String {
        let mut pairs = vec![("error", error.code().to_owned())];
        if let Some(description) = error.description() {
            pairs.push(("error_description", description.to_owned()));
        }
        if let Some(state) = state {
            pairs.push(("state", state.to_owned()));
        }
        self.location(redirect_uri, pairs, fragment)
    }

    /// `redirect_uri` with `pairs` and the issuer (RFC 9207 `iss`, against mix-up attacks)
    /// added to its query (keeping the query it has, RFC 6749 §3.1.2) or set as its
    /// fragment. Every authorization response, answer or error, is made here.
    fn location(
        &self,
        redirect_uri: &RedirectUri,
        mut pairs: Vec<(&str, String)>,
        fragment: bool,
    ) -> String {
        pairs.push(("iss", self.settings.issuer.clone()));
        let Ok(mut url) = Url::parse(redirect_uri.as_str()) else {
            // Registered URIs are parsed with the same parser, so this cannot happen.
            return redirect_uri.as_str().to_owned();
        };
        if fragment {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            url.set_fragment(Some(&encoded));
        } else {
            url.query_pairs_mut().extend_pairs(&pairs);
        }
        url.into()
    }

    /// Adds `scope` to what `user` has consented to for `application`; what they agreed to
    /// anew is audited (an approval within a kept consent adds nothing).
    pub(crate) async fn add_consent(
        &self,
        user: &User,
        application: &Application,
        scope: &ScopeSet,
        now: OffsetDateTime,
    ) -> Result<(), OAuthError> {
        let previous = self.store.consent(user.id, application.id).await?;
        let widened = previous
            .as_ref()
            .is_none_or(|consent| scope.iter().any(|s| !consent.scope.contains(s)));
        let kept = match previous {
            Some(consent) => consent.scope.iter().chain(scope.iter()).cloned().collect(),
            None => scope.clone(),
        };
        let consent = Consent {
            user_id: user.id,
            application_id: application.id,
            scope: kept,
            granted_at: now,
        };
        self.store.save_consent(&consent).await?;
        if widened {
            let audited =
                Audited::application(&application.client_id).with_detail(format!("scope {scope}"));
            self.audit_by(user, AuditAction::ConsentGiven, audited, now)
                .await;
        }
        Ok(())
    }
}

/// FAPI 2.0 §5.3.2.2: the redirect URI named in the request, PKCE with S256.
fn check_fapi2_request(
    redirect_uri_named: bool,
    code_challenge: Option<&CodeChallenge>,
) -> Result<(), OAuthError> {
    if !redirect_uri_named {
        return Err(OAuthError::InvalidRequest(
            "the fapi2 profile needs redirect_uri in the request".into(),
        ));
    }
    if code_challenge.is_none_or(|challenge| challenge.method() != CodeChallengeMethod::S256) {
        return Err(OAuthError::InvalidRequest(
            "the fapi2 profile needs PKCE with code_challenge_method S256".into(),
        ));
    }
    Ok(())
}

/// Whether `text` looks like a JWK SHA-256 thumbprint (43 base64url characters).
fn is_thumbprint(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The redirect URI the request names if it names a registered one (exactly, or on a
/// loopback IP with any port), or the only registered one when it names none.
fn registered_redirect(
    application: &Application,
    requested: Option<&str>,
) -> Result<RedirectUri, OAuthError> {
    match requested {
        Some(text) => {
            // Policy is irrelevant here: only a match of a registered URI is accepted.
            let lenient = RedirectUriPolicy {
                allow_insecure_http: true,
            };
            RedirectUri::parse(text, lenient)
                .ok()
                .filter(|uri| {
                    application
                        .redirect_uris
                        .iter()
                        .any(|registered| uri.matches_registered(registered))
                })
                .ok_or_else(|| {
                    OAuthError::InvalidRequest(
                        "redirect_uri is not registered for this client".into(),
                    )
                })
        }
        None => match application.redirect_uris.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(OAuthError::InvalidRequest(
                "redirect_uri is required".into(),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_satisfies_max_age_and_prompt_login_only() {
        let after = |name, value| AuthorizationParams::after_login(name, value).map(String::from);
        assert_eq!(after("max_age", "0"), None);
        assert_eq!(after("prompt", "login"), None);
        assert_eq!(after("prompt", "login consent"), Some("consent".into()));
        assert_eq!(after("prompt", "consent"), Some("consent".into()));
        assert_eq!(after("state", "login"), Some("login".into()));
    }

    #[test]
    fn every_parameter_is_read_by_its_name() {
        let params = AuthorizationParams::from_lookup(|name| {
            AuthorizationParams::NAMES
                .into_iter()
                .find(|known| *known == name)
        });
        let read = [
            params.client_id,
            params.response_type,
            params.redirect_uri,
            params.scope,
            params.state,
            params.code_challenge,
            params.code_challenge_method,
            params.nonce,
            params.approval_prompt,
            params.prompt,
            params.max_age,
            params.login_hint,
            params.resource,
            params.request_uri,
            params.dpop_jkt,
        ];
        let names: Vec<&str> = read.iter().map(|v| v.as_deref().unwrap()).collect();
        assert_eq!(names, AuthorizationParams::NAMES);
    }
}
