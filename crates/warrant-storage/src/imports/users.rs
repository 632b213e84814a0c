//! Imported users, a batch at a time: one statement finds who holds their ids, usernames
//! and emails here, one inserts the new ones; changed ones are updated one by one.

use std::collections::HashMap;

use warrant_model::{Email, PasswordHash, User};

use super::{ImportTransaction, ImportedUser, Outcome, Tx};
use crate::Result;
use crate::deadline::Within;
use crate::rows::UserRow;
use crate::time_utc::{stored_opt, stored_time};

/// Users per statement: 12 binds each, within SQLite's 32,766.
const BATCH: usize = 1_000;

#[derive(sqlx::FromRow)]
struct HeldRow {
    #[sqlx(flatten)]
    user: UserRow,
    imported_password_sha256: Option<String>,
}

/// A user here, and the digest of the password it was last imported with.
struct Held {
    user: User,
    imported_digest: Option<String>,
}

/// What to do with one imported user.
enum Plan {
    Insert,
    Update(User),
    Done(Outcome),
}

impl ImportTransaction {
    /// Writes users with their ids. A user already here with that id and username is
    /// updated, but keeps the password it has here unless the other site's changed since
    /// the last import (the password's digest differs from the one imported last): a
    /// password re-hashed or changed here is not undone. An id, username or email that
    /// another user holds here is refused. One outcome per user, in order.
    pub async fn users(&mut self, users: &[ImportedUser]) -> Result<Vec<Outcome>> {
        let mut outcomes = Vec::with_capacity(users.len());
        for batch in users.chunks(BATCH) {
            outcomes.extend(self.user_batch(batch).await?);
        }
        Ok(outcomes)
    }

    async fn user_batch(&mut self, batch: &[ImportedUser]) -> Result<Vec<Outcome>> {
        let held = self.held_users(batch).await?;
        let by_id: HashMap<i64, &Held> = held.iter().map(|h| (h.user.id.0, h)).collect();
        let plans: Vec<Plan> = batch
            .iter()
            .map(|imported| plan(imported, &held, by_id.get(&imported.user.id.0).copied()))
            .collect();
        let new: Vec<&ImportedUser> = batch
            .iter()
            .zip(&plans)
            .filter(|(_, plan)| matches!(plan, Plan::Insert))
            .map(|(imported, _)| imported)
            .collect();
        self.insert_users(&new).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (imported, plan) in batch.iter().zip(plans) {
            outcomes.push(match plan {
                Plan::Insert => Outcome::Imported,
                Plan::Update(wanted) => {
                    self.update_user(&wanted, imported).await?;
                    Outcome::Updated
                }
                Plan::Done(outcome) => outcome,
            });
        }
        Ok(outcomes)
    }

    /// The users here that hold one of the batch's ids, usernames or emails.
    async fn held_users(&mut self, batch: &[ImportedUser]) -> Result<Vec<Held>> {
        let n = batch.len();
        let placeholders = self.placeholders();
        let sql = format!(
            "SELECT id, username, email, first_name, last_name, password, is_active, is_staff,
             is_superuser, date_joined, last_login, imported_password_sha256 FROM users
             WHERE id IN ({}) OR username IN ({}) OR email IN ({})",
            placeholders.list(n, 1),
            placeholders.list(n, n + 1),
            placeholders.list(n, 2 * n + 1),
        );
        let rows: Vec<HeldRow> = on_tx!(self, |conn| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for imported in batch {
                query = query.bind(imported.user.id.0);
            }
            for imported in batch {
                query = query.bind(imported.user.username.as_str());
            }
            for imported in batch {
                query = query.bind(imported.user.email.as_ref().map(Email::as_str));
            }
            query.fetch_all(&mut *conn)
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(Held {
                    user: row.user.try_into()?,
                    imported_digest: row.imported_password_sha256,
                })
            })
            .collect()
    }

    async fn insert_users(&mut self, new: &[&ImportedUser]) -> Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO users (id, username, email, first_name, last_name, password, is_active,
             is_staff, is_superuser, date_joined, last_login, imported_password_sha256)
             VALUES {}",
            self.placeholders().value_rows(new.len(), 12, 1)
        );
        on_tx!(self, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for imported in new {
                let user = &imported.user;
                query = query
                    .bind(user.id.0)
                    .bind(user.username.as_str())
                    .bind(user.email.as_ref().map(Email::as_str))
                    .bind(&user.first_name)
                    .bind(&user.last_name)
                    .bind(user.password.as_ref().map(PasswordHash::as_str))
                    .bind(user.is_active)
                    .bind(user.is_staff)
                    .bind(user.is_superuser)
                    .bind(stored_time(user.date_joined))
                    .bind(stored_opt(user.last_login))
                    .bind(imported.password_digest.map(|digest| digest.to_hex()));
            }
            async { query.execute(&mut *conn).await.map(drop) }
        })?;
        self.wrote_user_ids = true;
        Ok(())
    }

    async fn update_user(&mut self, wanted: &User, imported: &ImportedUser) -> Result<()> {
        let sql = "UPDATE users SET email = $1, first_name = $2, last_name = $3, password = $4,
             is_active = $5, is_staff = $6, is_superuser = $7, date_joined = $8, last_login = $9,
             imported_password_sha256 = $10 WHERE id = $11";
        tx_execute!(
            self,
            sql,
            wanted.email.as_ref().map(Email::as_str),
            &wanted.first_name,
            &wanted.last_name,
            wanted.password.as_ref().map(PasswordHash::as_str),
            wanted.is_active,
            wanted.is_staff,
            wanted.is_superuser,
            wanted.date_joined,
            wanted.last_login,
            imported.password_digest.map(|digest| digest.to_hex()),
            wanted.id.0,
        )?;
        Ok(())
    }
}

/// What to do with `imported`, given the users here that share its id (`same_id`) or
/// its username or email (in `held`).
fn plan(imported: &ImportedUser, held: &[Held], same_id: Option<&Held>) -> Plan {
    let user = &imported.user;
    let other = held.iter().find(|h| {
        h.user.id != user.id
            && (h.user.username == user.username
                || (user.email.is_some() && h.user.email == user.email))
    });
    if let Some(other) = other {
        let what = if other.user.username == user.username {
            format!("username {}", user.username.as_str())
        } else {
            format!(
                "email {}",
                user.email.as_ref().map(Email::as_str).unwrap_or_default()
            )
        };
        return Plan::Done(Outcome::Refused(format!(
            "{what} belongs to another user here (id {})",
            other.user.id.0
        )));
    }
    let Some(held) = same_id else {
        return Plan::Insert;
    };
    if held.user.username != user.username {
        return Plan::Done(Outcome::Refused(format!(
            "id {} belongs to another user here ({})",
            user.id.0,
            held.user.username.as_str()
        )));
    }
    let digest = imported.password_digest.map(|digest| digest.to_hex());
    let mut wanted = User {
        date_joined: stored_time(user.date_joined),
        last_login: stored_opt(user.last_login).max(held.user.last_login),
        ..user.clone()
    };
    let password_unchanged_there = held.imported_digest == digest;
    if password_unchanged_there {
        wanted.password = held.user.password.clone();
    }
    if wanted == held.user && password_unchanged_there {
        Plan::Done(Outcome::Unchanged)
    } else {
        Plan::Update(wanted)
    }
}
