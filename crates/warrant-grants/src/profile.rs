//! Security profiles: a set of rules a client is held to as a whole, here the FAPI 2.0
//! Security Profile (docs/high-assurance.md lists each requirement and where it is
//! enforced). A client's profile is its own, or the server's default.

use time::Duration;
use warrant_generators::JwsAlgorithm;
use warrant_model::{Application, AuthMethod, GrantType, OAuthError, SecurityProfile};

use crate::Engine;

/// FAPI 2.0 §5.4: the JWS algorithms of client assertions and DPoP proofs (not RS256, not
/// HMAC).
pub const FAPI2_ALGORITHMS: [JwsAlgorithm; 4] = [
    JwsAlgorithm::PS256,
    JwsAlgorithm::ES256,
    JwsAlgorithm::EdDSA,
    JwsAlgorithm::Ed25519,
];

/// FAPI 2.0 §5.3.2.2: authorization codes live 60 seconds at most.
pub const FAPI2_CODE_LIFETIME: Duration = Duration::seconds(60);

impl Engine<'_> {
    /// The profile `application` is held to.
    pub fn profile_of(&self, application: &Application) -> SecurityProfile {
        application
            .security
            .profile
            .unwrap_or(self.settings.default_profile)
    }

    /// Whether `application` is held to FAPI 2.0.
    pub(crate) fn is_fapi2(&self, application: &Application) -> bool {
        self.profile_of(application) == SecurityProfile::Fapi2
    }

    /// The one way `application` authenticates, if it has one: under FAPI 2.0
    /// (§5.3.2.1) `private_key_jwt`, whatever its own setting.
    pub(crate) fn auth_method_of(&self, application: &Application) -> Option<AuthMethod> {
        if self.is_fapi2(application) {
            Some(AuthMethod::PrivateKeyJwt)
        } else {
            application.security.auth_method
        }
    }

    /// How long `application`'s authorization codes live.
    pub(crate) fn code_lifetime(&self, application: &Application) -> Duration {
        let lifetime = self.settings.authorization_code_lifetime;
        if self.is_fapi2(application) {
            lifetime.min(FAPI2_CODE_LIFETIME)
        } else {
            lifetime
        }
    }

    /// The algorithms `application`'s assertions and DPoP proofs may use.
    pub(crate) fn proof_algorithms(&self, application: &Application) -> &'static [JwsAlgorithm] {
        if self.is_fapi2(application) {
            &FAPI2_ALGORITHMS
        } else {
            &JwsAlgorithm::ASYMMETRIC
        }
    }

    /// FAPI 2.0 §5.3.2.1: a FAPI 2.0 client uses the code flow (and refreshes) only; the
    /// password grant in particular is refused.
    pub(crate) fn check_profile_grant(
        &self,
        application: &Application,
        grant: GrantType,
    ) -> Result<(), OAuthError> {
        let code_flow = matches!(
            grant,
            GrantType::AuthorizationCode | GrantType::RefreshToken
        );
        if self.is_fapi2(application) && !code_flow {
            return Err(OAuthError::UnauthorizedClient(format!(
                "the fapi2 profile allows only the authorization code flow, not {grant}"
            )));
        }
        Ok(())
    }
}
