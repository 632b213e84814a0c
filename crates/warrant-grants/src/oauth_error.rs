use warrant_model::OAuthError;

impl From<crate::GrantsError> for OAuthError {
    fn from(error: crate::GrantsError) -> Self {
        match error {
            crate::GrantsError::Store(error) => error.into(),
            crate::GrantsError::Generator(error) => error.into(),
            other => {
                tracing::error!(error = %other, "grant engine failure");
                Self::ServerError
            }
        }
    }
}
