//! OpenID Connect: ID tokens (OIDC Core §2, §3.1.3.6) and the claims the `profile` and
//! `email` scopes release, in ID tokens and at the userinfo endpoint (§5.3, §5.4).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use warrant_generators::half_hash;
use warrant_model::{Application, ScopeSet, Secret, SigningAlgorithm, User};

use crate::{Engine, OAuthError};

/// The scope that makes a request an OpenID Connect request.
pub const OPENID: &str = "openid";

/// The scopes OpenID Connect defines and Warrant offers whenever it signs ID tokens, with
/// the descriptions shown on the consent page.
pub const OIDC_SCOPES: [(&str, &str); 3] = [
    (OPENID, "Sign you in (your user id)"),
    ("profile", "Your name and username"),
    ("email", "Your email address"),
];

/// The algorithm an application's ID tokens are signed with (RS256 unless it chose one).
pub fn id_token_algorithm(application: &Application) -> SigningAlgorithm {
    application.algorithm.unwrap_or(SigningAlgorithm::RS256)
}

/// Whether `scope` asks for OpenID Connect.
pub(crate) fn is_openid(scope: &ScopeSet) -> bool {
    scope.contains_name(OPENID)
}

/// The stable subject identifier of `user` (`sub`): the database id, which, unlike the
/// username, never changes.
pub fn subject(user: &User) -> String {
    user.id.to_string()
}

/// `sub` and the claims `scope` releases about `user`: `profile` gives `name`,
/// `given_name`, `family_name` and `preferred_username`; `email` gives `email` and
/// `email_verified` (false: Warrant does not verify addresses).
pub fn user_claims(user: &User, scope: &ScopeSet) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), subject(user).into());
    if scope.contains_name("profile") {
        let name = format!("{} {}", user.first_name, user.last_name);
        let non_empty = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_owned());
        for (claim, value) in [
            ("name", non_empty(&name)),
            ("given_name", non_empty(&user.first_name)),
            ("family_name", non_empty(&user.last_name)),
        ] {
            if let Some(value) = value {
                claims.insert(claim.into(), value.into());
            }
        }
        claims.insert(
            "preferred_username".into(),
            user.username.as_str().to_owned().into(),
        );
    }
    if let (true, Some(email)) = (scope.contains_name("email"), &user.email) {
        claims.insert("email".into(), email.as_str().to_owned().into());
        claims.insert("email_verified".into(), false.into());
    }
    claims
}

/// What an ID token is about.
pub(crate) struct IdTokenFacts<'a> {
    pub application: &'a Application,
    pub user: &'a User,
    pub scope: &'a ScopeSet,
    pub nonce: Option<&'a str>,
    /// When the user authenticated, if known.
    pub auth_time: Option<OffsetDateTime>,
    /// The access token issued with it (`at_hash`).
    pub access_token: Option<&'a Secret<String>>,
    /// The code issued with it (`c_hash`, hybrid flow).
    pub code: Option<&'a Secret<String>>,
}

impl Engine<'_> {
    /// A signed ID token.
    pub(crate) async fn id_token(
        &self,
        facts: IdTokenFacts<'_>,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, OAuthError> {
        let algorithm = id_token_algorithm(facts.application);
        let keys = self.keys.current(self.store, now).await?;
        let signer = keys.signer(algorithm).ok_or_else(|| {
            tracing::error!(%algorithm, "no signing key; run `warrant keys rotate`");
            OAuthError::ServerError
        })?;
        let mut claims = user_claims(facts.user, facts.scope);
        let standard = json!({
            "iss": self.settings.issuer,
            "aud": facts.application.client_id.as_str(),
            "iat": now.unix_timestamp(),
            "exp": (now + self.settings.id_token_lifetime).unix_timestamp(),
        });
        if let Value::Object(standard) = standard {
            claims.extend(standard);
        }
        if let Some(auth_time) = facts.auth_time {
            claims.insert("auth_time".into(), auth_time.unix_timestamp().into());
        }
        if let Some(nonce) = facts.nonce {
            claims.insert("nonce".into(), nonce.into());
        }
        if let Some(token) = facts.access_token {
            claims.insert(
                "at_hash".into(),
                half_hash(algorithm, token.expose()).into(),
            );
        }
        if let Some(code) = facts.code {
            claims.insert("c_hash".into(), half_hash(algorithm, code.expose()).into());
        }
        Ok(Secret::new(signer.sign_jwt("JWT", &claims)?))
    }
}

/// The userinfo endpoint's answer (OIDC Core §5.3) for a live access token with `scope`,
/// speaking for `user`: the token must carry `openid` and speak for a user.
pub fn userinfo(user: Option<&User>, scope: &ScopeSet) -> Result<Map<String, Value>, OAuthError> {
    if !is_openid(scope) {
        return Err(OAuthError::InsufficientScope {
            description: format!("the userinfo endpoint needs the {OPENID} scope"),
            required: vec![OPENID.to_owned()],
        });
    }
    let user = user.ok_or_else(|| {
        OAuthError::InvalidToken("the access token does not speak for a user".into())
    })?;
    Ok(user_claims(user, scope))
}
