//! Creating users and setting passwords.

use time::OffsetDateTime;
use warrant_generators::PasswordPool;
use warrant_model::{
    AuditAction, Email, NewUser, PasswordHash, Secret, ThrottleKind, User, UserId, Username,
};
use warrant_storage::SyncTo;

use crate::audit::Audited;
use crate::throttle::{Keys, Standing};
use crate::{Event, GrantsError, Locked};

/// Django's default `MinimumLengthValidator`.
pub const MIN_PASSWORD_LENGTH: usize = 8;

/// A user account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub username: Username,
    /// Email address.
    pub email: Option<Email>,
    /// The password it starts with.
    pub password: InitialPassword,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Staff flag.
    pub is_staff: bool,
    /// Superuser flag.
    pub is_superuser: bool,
}

/// The password a new account starts with.
#[derive(Debug, Clone)]
pub enum InitialPassword {
    /// None: the account logs in only through an upstream provider, or once a password is
    /// set.
    None,
    /// A password to hash (at least [`MIN_PASSWORD_LENGTH`] characters).
    Plain(Secret<String>),
    /// A hash made elsewhere (a Django site's), kept as it is; it must be one Warrant
    /// verifies ([`PasswordHasher::recognizes`](warrant_generators::PasswordHasher::recognizes)),
    /// and the first login re-hashes it Warrant's way.
    Hashed(PasswordHash),
}

async fn hash_password(
    hasher: &PasswordPool,
    password: &Secret<String>,
) -> Result<warrant_model::PasswordHash, GrantsError> {
    if password.expose().chars().count() < MIN_PASSWORD_LENGTH {
        return Err(GrantsError::PasswordTooShort(MIN_PASSWORD_LENGTH));
    }
    Ok(hasher.hash(password).await?)
}

/// Changes to a user account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// A new email, or `Some(None)` to remove it.
    pub email: Option<Option<Email>>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// A new password (at least [`MIN_PASSWORD_LENGTH`] characters).
    pub password: Option<Secret<String>>,
    /// Whether the account can log in and its tokens work.
    pub is_active: Option<bool>,
    /// Staff flag.
    pub is_staff: Option<bool>,
    /// Superuser flag.
    pub is_superuser: Option<bool>,
}

/// The outcome of checking a login name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The active user they belong to.
    Valid(User),
    /// Wrong, unknown or inactive: one answer for all, so it tells nothing.
    Invalid,
    /// Refused unchecked: too many failures against the login name or the address.
    Locked(Locked),
}

impl crate::Engine<'_> {
    /// Creates an active user, to be sent to the client apps; a taken username or email is a
    /// store conflict.
    pub async fn create_user(
        &self,
        account: NewAccount,
        now: OffsetDateTime,
    ) -> Result<User, GrantsError> {
        let password = match account.password {
            InitialPassword::None => None,
            InitialPassword::Plain(password) => Some(hash_password(self.hasher, &password).await?),
            InitialPassword::Hashed(hash) if self.hasher.hasher().recognizes(&hash) => Some(hash),
            InitialPassword::Hashed(_) => return Err(GrantsError::UnrecognizedPasswordHash),
        };
        let user = NewUser {
            username: account.username,
            email: account.email,
            first_name: account.first_name,
            last_name: account.last_name,
            password,
            is_active: true,
            is_staff: account.is_staff,
            is_superuser: account.is_superuser,
            date_joined: now,
        };
        let sync = SyncTo {
            client_apps: self.client_apps,
            now,
        };
        let user = self.store.create_user(&user, sync).await?;
        self.audit(AuditAction::UserCreated, Audited::user(&user), now)
            .await;
        Ok(user)
    }

    /// Sets a user's password and ends their sessions, so a stolen session dies with the old
    /// password. Client apps do not hear of it: they never hold the server's passwords.
    pub async fn set_password(
        &self,
        username: &Username,
        password: &Secret<String>,
    ) -> Result<User, GrantsError> {
        let mut user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or_else(|| GrantsError::UnknownUser(username.clone()))?;
        user.password = Some(hash_password(self.hasher, password).await?);
        let user = self.store.update_user(&user, SyncTo::NOBODY).await?;
        self.store.delete_sessions_of_user(user.id).await?;
        let audited = Audited::user(&user).with_detail("password");
        self.audit(AuditAction::UserChanged, audited, OffsetDateTime::now_utc())
            .await;
        Ok(user)
    }

    /// Applies `changes` to `user`. A new password or a deactivation ends the user's sessions
    /// (and an inactive user's tokens are refused from the next request on). A change to what
    /// client apps mirror is sent to them.
    pub async fn update_account(
        &self,
        mut user: User,
        changes: AccountChanges,
        now: OffsetDateTime,
    ) -> Result<User, GrantsError> {
        let before = user.clone();
        let new_password = changes.password.is_some();
        if let Some(password) = &changes.password {
            user.password = Some(hash_password(self.hasher, password).await?);
        }
        if let Some(email) = changes.email {
            user.email = email;
        }
        user.first_name = changes.first_name.unwrap_or(user.first_name);
        user.last_name = changes.last_name.unwrap_or(user.last_name);
        user.is_active = changes.is_active.unwrap_or(user.is_active);
        user.is_staff = changes.is_staff.unwrap_or(user.is_staff);
        user.is_superuser = changes.is_superuser.unwrap_or(user.is_superuser);
        let sync = if crate::sync::mirrored_fields_differ(&before, &user) {
            SyncTo {
                client_apps: self.client_apps,
                now,
            }
        } else {
            SyncTo::NOBODY
        };
        let user = self.store.update_user(&user, sync).await?;
        if new_password || !user.is_active {
            self.store.delete_sessions_of_user(user.id).await?;
        }
        let action = match (before.is_active, user.is_active) {
            (true, false) => AuditAction::UserDeactivated,
            (false, true) => AuditAction::UserActivated,
            _ => AuditAction::UserChanged,
        };
        let changed = changed_fields(&before, &user, new_password);
        if action != AuditAction::UserChanged || !changed.is_empty() {
            let audited = Audited::user(&user).with_detail(changed.join(", "));
            self.audit(action, audited, now).await;
        }
        Ok(user)
    }

    /// Deletes the user `id` and, by the database's cascade, what belongs to them; `false`
    /// if there was none.
    pub async fn delete_user(&self, id: UserId) -> Result<bool, GrantsError> {
        let Some(user) = self.store.user_by_id(id).await? else {
            return Ok(false);
        };
        let deleted = self.store.delete_user(id).await?;
        if deleted {
            self.audit(
                AuditAction::UserDeleted,
                Audited::user(&user),
                OffsetDateTime::now_utc(),
            )
            .await;
        }
        Ok(deleted)
    }

    /// Checks `password` for the user whose username, or else email address, is `login`.
    /// Unknown logins cost as much time as wrong passwords; each failure counts against the
    /// login name (existing or not) and the request's address, and past their thresholds
    /// attempts are refused without hashing anything (see [`BruteForce`](crate::BruteForce)).
    /// The hash runs off the async runtime; a full hashing pool is
    /// [`GeneratorError::Busy`](warrant_generators::GeneratorError::Busy).
    pub async fn authenticate_user(
        &self,
        login: &str,
        password: &Secret<String>,
        now: OffsetDateTime,
    ) -> Result<PasswordCheck, GrantsError> {
        let keys = Keys::new(ThrottleKind::Account, login, self.client_address);
        let standing = self.standing(&keys, now).await?;
        if let Standing::Locked(locked) = standing {
            return Ok(PasswordCheck::Locked(locked));
        }
        let mut user = match Username::parse(login) {
            Ok(username) => self.store.user_by_username(&username).await?,
            Err(_) => None,
        };
        if user.is_none()
            && let Ok(email) = Email::parse(login)
        {
            user = self.store.user_by_email(&email).await?;
        }
        let hash = user.as_ref().and_then(|user| user.password.as_ref());
        let matched = self.hasher.verify(password, hash).await?;
        let user = user.filter(|user| matched && user.is_active);
        self.events.record(Event::PasswordChecked {
            valid: user.is_some(),
        });
        match user {
            Some(user) => {
                self.audit_by(
                    &user,
                    AuditAction::LoginSucceeded,
                    Audited::user(&user),
                    now,
                )
                .await;
                self.succeeded(&keys, &standing).await?;
                Ok(PasswordCheck::Valid(
                    self.upgrade_hash(user, password).await?,
                ))
            }
            None => {
                let account = Audited::target(format!("account:{}", keys.subject.subject));
                self.audit(AuditAction::LoginFailed, account, now).await;
                self.failed(&keys, now).await?;
                Ok(PasswordCheck::Invalid)
            }
        }
    }

    /// Re-hashes the password of `user`, who just logged in with it, when the stored hash
    /// is of another algorithm (a user imported from Django) or of fewer iterations than
    /// configured, as Django does. A busy hashing pool leaves the old hash for the next
    /// login.
    async fn upgrade_hash(
        &self,
        mut user: User,
        password: &Secret<String>,
    ) -> Result<User, GrantsError> {
        let outdated = user
            .password
            .as_ref()
            .is_some_and(|hash| self.hasher.hasher().needs_rehash(hash));
        if !outdated {
            return Ok(user);
        }
        match self.hasher.hash(password).await {
            Ok(hash) => {
                user.password = Some(hash);
                Ok(self.store.update_user(&user, SyncTo::NOBODY).await?)
            }
            Err(error) => {
                tracing::warn!(user = user.id.0, %error, "password not re-hashed; the next login tries again");
                Ok(user)
            }
        }
    }
}

/// The names of what `update_account` changed, for the audit log.
fn changed_fields(before: &User, after: &User, new_password: bool) -> Vec<&'static str> {
    [
        ("email", before.email != after.email),
        ("first_name", before.first_name != after.first_name),
        ("last_name", before.last_name != after.last_name),
        ("is_active", before.is_active != after.is_active),
        ("is_staff", before.is_staff != after.is_staff),
        ("is_superuser", before.is_superuser != after.is_superuser),
        ("password", new_password),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}
