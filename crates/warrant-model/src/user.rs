use crate::{Email, PasswordHash, Timestamp, UserId, Username};

/// A resource owner: the person who logs in and grants applications access.
/// Field for field what Django's `auth.User` holds, so Django users can be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id; stable for the user's lifetime.
    pub id: UserId,
    /// Unique login name.
    pub username: Username,
    /// Unique when present; users may also log in with it.
    pub email: Option<Email>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// `None` for users who only log in through an upstream provider.
    pub password: Option<PasswordHash>,
    /// Inactive users cannot log in and their tokens are refused.
    pub is_active: bool,
    /// May use staff pages and the admin API.
    pub is_staff: bool,
    /// Has every permission.
    pub is_superuser: bool,
    /// When the account was created.
    pub date_joined: Timestamp,
    /// When the user last logged in.
    pub last_login: Option<Timestamp>,
}

/// A user to create; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Unique login name.
    pub username: Username,
    /// Unique when present.
    pub email: Option<Email>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Password hash, if the user has a password.
    pub password: Option<PasswordHash>,
    /// Whether the account can log in.
    pub is_active: bool,
    /// Staff flag.
    pub is_staff: bool,
    /// Superuser flag.
    pub is_superuser: bool,
    /// Creation time.
    pub date_joined: Timestamp,
}
