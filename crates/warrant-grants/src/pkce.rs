//! PKCE verification (RFC 7636 §4.6).

use warrant_generators::{constant_time_eq, sha256_base64url};
use warrant_model::{CodeChallenge, CodeChallengeMethod};

use crate::OAuthError;

/// Checks the token request's `code_verifier` against the authorization request's
/// challenge. A verifier without a challenge is refused too (OAuth 2.1 §4.1.3: it would
/// let an attacker downgrade a PKCE flow).
pub(crate) fn verify(
    challenge: Option<&CodeChallenge>,
    verifier: Option<&str>,
) -> Result<(), OAuthError> {
    let fail = |reason: &str| {
        Err(OAuthError::InvalidGrant(format!(
            "PKCE verification failed: {reason}"
        )))
    };
    let (challenge, verifier) = match (challenge, verifier) {
        (None, None) => return Ok(()),
        (None, Some(_)) => return fail("the authorization request had no code_challenge"),
        (Some(_), None) => return fail("code_verifier is required"),
        (Some(challenge), Some(verifier)) => (challenge, verifier),
    };
    // A verifier has a challenge's alphabet and length (RFC 7636 §4.1).
    if CodeChallenge::parse(CodeChallengeMethod::Plain, verifier).is_err() {
        return fail("malformed code_verifier");
    }
    let expected = match challenge.method() {
        CodeChallengeMethod::S256 => sha256_base64url(verifier.as_bytes()),
        CodeChallengeMethod::Plain => verifier.to_owned(),
    };
    if constant_time_eq(expected.as_bytes(), challenge.value().as_bytes()) {
        Ok(())
    } else {
        fail("code_verifier does not match code_challenge")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn s256() -> CodeChallenge {
        CodeChallenge::parse(CodeChallengeMethod::S256, CHALLENGE).unwrap()
    }

    #[test]
    fn rfc_7636_example_verifies() {
        assert_eq!(verify(Some(&s256()), Some(VERIFIER)), Ok(()));
    }

    #[test]
    fn every_mismatch_is_invalid_grant() {
        let wrong = VERIFIER.replace('d', "e");
        for (challenge, verifier) in [
            (Some(s256()), None),
            (Some(s256()), Some(wrong.as_str())),
            (Some(s256()), Some("short")),
            (None, Some(VERIFIER)),
        ] {
            let result = verify(challenge.as_ref(), verifier);
            assert!(
                matches!(result, Err(OAuthError::InvalidGrant(_))),
                "{challenge:?} {verifier:?}"
            );
        }
        assert_eq!(verify(None, None), Ok(()));
    }

    #[test]
    fn plain_compares_the_verifier_itself() {
        let plain = CodeChallenge::parse(CodeChallengeMethod::Plain, VERIFIER).unwrap();
        assert_eq!(verify(Some(&plain), Some(VERIFIER)), Ok(()));
        assert!(verify(Some(&plain), Some(CHALLENGE)).is_err());
    }
}
