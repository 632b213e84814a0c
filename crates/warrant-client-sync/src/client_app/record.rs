//! The user record the server sends (`addupdateuser/`) and answers (`/api/profile/`), read
//! as ocs-authentication reads it: missing fields take their defaults.

use serde::Deserialize;
use warrant_model::Secret;

/// One user as the Warrant server describes them.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRecord {
    /// Login name; the key of the mirror.
    pub username: String,
    /// Given name.
    #[serde(default)]
    pub first_name: String,
    /// Family name.
    #[serde(default)]
    pub last_name: String,
    /// Email address, `""` for none.
    #[serde(default)]
    pub email: String,
    /// Staff flag.
    #[serde(default)]
    pub is_staff: bool,
    /// Superuser flag.
    #[serde(default)]
    pub is_superuser: bool,
    /// Warrant's addition; servers that do not send it mean active users.
    #[serde(default = "active")]
    pub is_active: bool,
    /// The user's API token.
    #[serde(default)]
    pub tokens: Tokens,
    /// ocs-authentication's profile flags.
    #[serde(default)]
    pub profile: ProfileFlags,
}

/// `tokens` of a record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Tokens {
    /// The user's API token; `""` or absent for none.
    #[serde(default)]
    pub api_token: Option<Secret<String>>,
}

/// `profile` of a record.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct ProfileFlags {
    /// ocs-authentication's `staff_view`.
    #[serde(default)]
    pub staff_view: bool,
}

fn active() -> bool {
    true
}

/// Where a body failed to parse, without serde's excerpt of the offending value (a profile
/// carries the user's API token).
pub(crate) fn not_a_record(error: &serde_json::Error) -> String {
    format!(
        "not a user record ({:?} error at line {}, column {})",
        error.classify(),
        error.line(),
        error.column()
    )
}
