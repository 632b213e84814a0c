//! `auth_user` → users, keeping Django's ids (DOT's OpenID Connect `sub`) and password
//! hashes as they are.

use std::collections::HashMap;

use warrant_generators::hash_token;
use warrant_model::{Email, PasswordHash, User, UserId, Username};
use warrant_storage::{ImportTransaction, ImportedUser};

use crate::source::Source;
use crate::{ImportError, Options, PAGE, Tally, required_time, time_of};

pub(crate) const TABLE: &str = "auth_user";
pub(crate) const COLUMNS: &[&str] = &[
    "id",
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    username: String,
    email: String,
    first_name: String,
    last_name: String,
    password: String,
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    date_joined: Option<i64>,
    last_login: Option<i64>,
}

pub(crate) async fn import(
    source: &mut Source,
    tx: &mut ImportTransaction,
    options: &Options<'_>,
    tally: &mut Tally,
) -> Result<(), ImportError> {
    let dialect = source.dialect();
    let sql = format!(
        "SELECT CAST(id AS BIGINT) AS id, username, email, first_name, last_name, password,
         is_active, is_staff, is_superuser, {} AS date_joined, {} AS last_login
         FROM auth_user WHERE id > $1 ORDER BY id LIMIT $2",
        dialect.epoch("date_joined"),
        dialect.epoch("last_login"),
    );
    // Warrant's emails are unique (users log in with them); Django's need not be. The user
    // with the lowest id keeps an email, compared without case; the others are imported
    // without one.
    let mut email_owners: HashMap<String, i64> = HashMap::new();
    let mut after = 0;
    loop {
        let rows: Vec<Row> = source.rows(&sql, &[after, PAGE]).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let mut batch = Vec::with_capacity(rows.len());
        let mut names = Vec::with_capacity(rows.len());
        for row in rows {
            let name = format!("user {} ({})", row.id, row.username);
            match user(row, options, &mut email_owners, tally, &name) {
                Ok(user) => {
                    let password_digest =
                        user.password.as_ref().map(|hash| hash_token(hash.as_str()));
                    batch.push(ImportedUser {
                        user,
                        password_digest,
                    });
                    names.push(name);
                }
                Err(reason) => tally.refuse(name, reason),
            }
        }
        tally.record_all(names, tx.users(&batch).await?);
    }
    Ok(())
}

fn user(
    row: Row,
    options: &Options<'_>,
    email_owners: &mut HashMap<String, i64>,
    tally: &mut Tally,
    name: &str,
) -> Result<User, String> {
    let username = Username::parse(&row.username).map_err(|_| {
        format!(
            "username {:?} has characters Warrant does not allow",
            row.username
        )
    })?;
    let email = match row.email.trim() {
        "" => None,
        given => match Email::parse(given) {
            Ok(email) => match email_owners.get(&email.as_str().to_lowercase()) {
                Some(owner) => {
                    tally.adjust(
                        name.to_owned(),
                        format!("email {given} is also user {owner}'s: imported without it"),
                    );
                    None
                }
                None => {
                    email_owners.insert(email.as_str().to_lowercase(), row.id);
                    Some(email)
                }
            },
            Err(_) => {
                tally.adjust(
                    name.to_owned(),
                    format!("email {given:?} is not an address: imported without it"),
                );
                None
            }
        },
    };
    // Django marks a user without a password with `!` (kept, so it stays unusable); an
    // empty field is the same.
    let password = match PasswordHash::parse(&row.password) {
        Ok(hash) => {
            if !options.hasher.recognizes(&hash) {
                let algorithm = row.password.split('$').next().unwrap_or_default();
                tally.adjust(
                    name.to_owned(),
                    format!(
                        "password hash {algorithm} is not one Warrant verifies: kept, but the \
                         user must set a new password"
                    ),
                );
            }
            Some(hash)
        }
        Err(_) if row.password.is_empty() => None,
        Err(_) => {
            // Django reads such a field as an unusable password; never print it (it may
            // be a password kept in clear).
            tally.adjust(
                name.to_owned(),
                "password field is not a Django password hash: imported without a password, \
                 the user must set one"
                    .to_owned(),
            );
            None
        }
    };
    Ok(User {
        id: UserId(row.id),
        username,
        email,
        first_name: row.first_name,
        last_name: row.last_name,
        password,
        is_active: row.is_active,
        is_staff: row.is_staff,
        is_superuser: row.is_superuser,
        date_joined: required_time(row.date_joined, "date_joined")?,
        last_login: row.last_login.map(time_of).transpose()?,
    })
}
