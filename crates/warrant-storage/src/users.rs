//! Users (resource owners).

use async_trait::async_trait;
use warrant_model::{
    Email, NewUser, PasswordHash, Sealed, UpstreamAccount, UpstreamConnection, User, UserId,
    Username,
};

use crate::db::{Backed, execute, fetch_all, fetch_optional, in_transaction};
use crate::deadline::Within;
use crate::outbox::{SyncTo, mark_for_sync};
use crate::rows::{ConnectionRow, UserRow};
use crate::time_utc::{stored_opt, stored_time};
use crate::upstream::{INSERT_CONNECTION, bind_account};
use crate::{Page, Result, StoreError};

/// Users: Django's `auth.User`.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user, marked for `sync`'s client apps in the same transaction; a taken
    /// username or email is [`StoreError::Conflict`].
    async fn create_user(&self, user: &NewUser, sync: SyncTo<'_>) -> Result<User>;
    /// Creates a user connected to `account` at an upstream provider, both or neither, the
    /// user marked for `sync`'s client apps in the same transaction. A taken username or
    /// email, or an account already connected, is [`StoreError::Conflict`]; racing sign-ups
    /// through one account thus make one user, and no other ever sees a user without its
    /// connection.
    async fn create_connected_user(
        &self,
        user: &NewUser,
        account: &UpstreamAccount,
        sync: SyncTo<'_>,
    ) -> Result<(User, UpstreamConnection)>;
    /// The user with `id`.
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>>;
    /// The user with `username` (case-sensitive, as in Django).
    async fn user_by_username(&self, username: &Username) -> Result<Option<User>>;
    /// The user with `email`.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>>;
    /// Users matching `filter`, ordered by id.
    async fn list_users(&self, filter: UserFilter, page: Page) -> Result<Vec<User>>;
    /// Writes every field of `user` but `id` and `date_joined`, and marks the user for
    /// `sync`'s client apps in the same transaction.
    async fn update_user(&self, user: &User, sync: SyncTo<'_>) -> Result<User>;
    /// Deletes a user and, by cascade, everything that belongs to them.
    async fn delete_user(&self, id: UserId) -> Result<bool>;
}

/// Which users to list; `None` matches any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Only active (or only inactive) users.
    pub is_active: Option<bool>,
    /// Only staff (or only non-staff) users.
    pub is_staff: Option<bool>,
}

macro_rules! columns {
    () => {
        "id, username, email, first_name, last_name, password, is_active, is_staff, is_superuser, date_joined, last_login"
    };
}

/// Binds the writable fields of a `User` or `NewUser` as `$1`..`$8`, in the column order
/// of the INSERT and UPDATE statements.
macro_rules! bind_fields {
    ($query:expr, $user:expr) => {
        $query
            .bind($user.username.as_str())
            .bind($user.email.as_ref().map(Email::as_str))
            .bind(&$user.first_name)
            .bind(&$user.last_name)
            .bind($user.password.as_ref().map(PasswordHash::as_str))
            .bind($user.is_active)
            .bind($user.is_staff)
            .bind($user.is_superuser)
    };
}

const INSERT_USER: &str = concat!(
    "INSERT INTO users (username, email, first_name, last_name, password, is_active, is_staff,
     is_superuser, date_joined) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
    columns!()
);

#[async_trait]
impl<S: Backed> UserStore for S {
    async fn create_user(&self, user: &NewUser, sync: SyncTo<'_>) -> Result<User> {
        let row: UserRow = in_transaction!(self, |tx, deadline| {
            let row: UserRow = bind_fields!(sqlx::query_as(INSERT_USER), user)
                .bind(stored_time(user.date_joined))
                .fetch_one(&mut *tx)
                .within(deadline)
                .await?;
            mark_for_sync!(tx, row.id, sync, deadline);
            row
        });
        row.try_into()
    }

    async fn create_connected_user(
        &self,
        user: &NewUser,
        account: &UpstreamAccount,
        sync: SyncTo<'_>,
    ) -> Result<(User, UpstreamConnection)> {
        let (row, connection): (UserRow, ConnectionRow) = in_transaction!(self, |tx, deadline| {
            let row: UserRow = bind_fields!(sqlx::query_as(INSERT_USER), user)
                .bind(stored_time(user.date_joined))
                .fetch_one(&mut *tx)
                .within(deadline)
                .await?;
            let connection: ConnectionRow =
                bind_account!(sqlx::query_as(INSERT_CONNECTION).bind(row.id), account)
                    .fetch_one(&mut *tx)
                    .within(deadline)
                    .await?;
            mark_for_sync!(tx, row.id, sync, deadline);
            (row, connection)
        });
        Ok((row.try_into()?, connection.try_into()?))
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
        fetch_optional!(self, reader, UserRow, sql, id.0)
    }

    async fn user_by_username(&self, username: &Username) -> Result<Option<User>> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE username = $1");
        fetch_optional!(self, reader, UserRow, sql, username.as_str())
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE email = $1");
        fetch_optional!(self, reader, UserRow, sql, email.as_str())
    }

    async fn list_users(&self, filter: UserFilter, page: Page) -> Result<Vec<User>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM users WHERE id > $1 AND ($2 IS NULL OR is_active = $2)
             AND ($3 IS NULL OR is_staff = $3) ORDER BY id LIMIT $4"
        );
        fetch_all!(
            self,
            reader,
            UserRow,
            sql,
            page.after.unwrap_or(0),
            filter.is_active,
            filter.is_staff,
            i64::from(page.limit)
        )
    }

    async fn update_user(&self, user: &User, sync: SyncTo<'_>) -> Result<User> {
        let sql = concat!(
            "UPDATE users SET username = $1, email = $2, first_name = $3, last_name = $4,
             password = $5, is_active = $6, is_staff = $7, is_superuser = $8, last_login = $9
             WHERE id = $10 RETURNING ",
            columns!()
        );
        let row: UserRow = in_transaction!(self, |tx, deadline| {
            let row: Option<UserRow> = bind_fields!(sqlx::query_as(sql), user)
                .bind(stored_opt(user.last_login))
                .bind(user.id.0)
                .fetch_optional(&mut *tx)
                .within(deadline)
                .await?;
            let row = row.ok_or(StoreError::NotFound)?;
            mark_for_sync!(tx, row.id, sync, deadline);
            row
        });
        row.try_into()
    }

    async fn delete_user(&self, id: UserId) -> Result<bool> {
        let changed = execute!(self, "DELETE FROM users WHERE id = $1", id.0)?;
        Ok(changed == 1)
    }
}
