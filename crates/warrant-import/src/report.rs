//! What an import did, per kind of record: printed as text or as one JSON object.

use std::fmt;

use serde::Serialize;
use warrant_storage::Outcome;

/// What one import did (or, in a dry run, would do).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Nothing was written.
    pub dry_run: bool,
    /// `auth_user`.
    pub users: Tally,
    /// `oauth2_provider_application`.
    pub applications: Tally,
    /// `oauth2_provider_accesstoken`.
    pub access_tokens: Tally,
    /// `oauth2_provider_refreshtoken`.
    pub refresh_tokens: Tally,
    /// Django REST framework's `authtoken_token`.
    pub api_tokens: Tally,
    /// django-oauth-login's `oauthlogin_oauthconnection`.
    pub connections: Tally,
    /// What the operator should know about the site as a whole.
    pub notes: Vec<String>,
}

/// One kind's counts, and the rows refused or changed on the way, with why.
#[derive(Debug, Default, Serialize)]
pub struct Tally {
    /// The site has the table.
    pub present: bool,
    /// Rows written that were not here.
    pub imported: u64,
    /// Rows here that were brought up to date.
    pub updated: u64,
    /// Rows left alone: here as they are, changed here since, or not live (expired,
    /// revoked) and not asked for.
    pub skipped: u64,
    /// Rows that could not be written, each with why.
    pub refused: Vec<RowNote>,
    /// Rows written differently from how the site had them, each with how.
    pub adjusted: Vec<RowNote>,
}

/// A row of the Django database and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct RowNote {
    /// The row (its kind and id or name).
    pub row: String,
    /// Why it was refused, or how it was written.
    pub reason: String,
}

impl Tally {
    /// Counts what writing `row` did.
    pub(crate) fn record(&mut self, row: String, outcome: Outcome) {
        match outcome {
            Outcome::Imported => self.imported += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.skipped += 1,
            Outcome::Refused(reason) => self.refuse(row, reason),
        }
    }

    /// Counts what writing a batch did: `rows[i]` had `outcomes[i]`.
    pub(crate) fn record_all(&mut self, rows: Vec<String>, outcomes: Vec<Outcome>) {
        for (row, outcome) in rows.into_iter().zip(outcomes) {
            self.record(row, outcome);
        }
    }

    pub(crate) fn refuse(&mut self, row: String, reason: String) {
        self.refused.push(RowNote { row, reason });
    }

    pub(crate) fn adjust(&mut self, row: String, reason: String) {
        self.adjusted.push(RowNote { row, reason });
    }
}

impl Report {
    /// Rows refused, over every kind.
    pub fn refused(&self) -> usize {
        self.tallies().map(|(_, tally)| tally.refused.len()).sum()
    }

    fn tallies(&self) -> impl Iterator<Item = (&'static str, &Tally)> {
        [
            ("users", &self.users),
            ("applications", &self.applications),
            ("access tokens", &self.access_tokens),
            ("refresh tokens", &self.refresh_tokens),
            ("API tokens", &self.api_tokens),
            ("upstream connections", &self.connections),
        ]
        .into_iter()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "dry run: nothing was written")?;
        }
        for (kind, tally) in self.tallies() {
            if !tally.present {
                writeln!(f, "{kind}: no table in this database")?;
                continue;
            }
            writeln!(
                f,
                "{kind}: {} imported, {} updated, {} skipped, {} refused",
                tally.imported,
                tally.updated,
                tally.skipped,
                tally.refused.len()
            )?;
            for note in &tally.refused {
                writeln!(f, "  refused {}: {}", note.row, note.reason)?;
            }
            for note in &tally.adjusted {
                writeln!(f, "  {}: {}", note.row, note.reason)?;
            }
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}
