//! The admin API's query strings and path ids, read strictly: a parameter that does not
//! parse, is repeated or is not one the operation takes is a 400 naming it. Rocket's own
//! `Option<T>` query guards would turn a bad value into "absent", and a filter that is
//! silently dropped widens the answer (`?is_staff=1` listing everyone).

use rocket::http::uri::Origin;
use warrant_storage::Page;

use super::invalid;
use crate::form::FormParams;
use warrant_guards::OAuthJson;

/// Rows per page unless `limit` says otherwise, and the most `limit` may ask.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// A query string, each parameter given once. The `Admin` guard has refused parameters the
/// operation does not take.
pub(super) struct Query(FormParams);

impl Query {
    /// The query of `uri`.
    pub(super) fn parse(uri: &Origin<'_>) -> Result<Self, OAuthJson> {
        let raw = uri.query().map(|query| query.as_str()).unwrap_or_default();
        FormParams::parse(raw.as_bytes())
            .map(Self)
            .map_err(OAuthJson::from)
    }

    /// `name` as `true` or `false`.
    pub(super) fn boolean(&self, name: &str) -> Result<Option<bool>, OAuthJson> {
        match self.0.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(invalid(format!(
                "{name}: expected true or false, got {other:?}"
            ))),
        }
    }

    /// `name` as given.
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name)
    }

    /// `name` as an id (a positive integer).
    pub(super) fn id(&self, name: &str) -> Result<Option<i64>, OAuthJson> {
        self.0.get(name).map(|text| id(name, text)).transpose()
    }

    /// `limit` (1 to 500, default 50).
    pub(super) fn limit(&self) -> Result<u32, OAuthJson> {
        match self.0.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or_else(|| invalid(format!("limit: expected 1 to {MAX_LIMIT}, got {text:?}"))),
        }
    }

    /// `after` and `limit`.
    pub(super) fn page(&self) -> Result<Page, OAuthJson> {
        Ok(Page {
            after: self.id("after")?,
            limit: self.limit()?,
        })
    }
}

/// A path or query id: a positive integer, else a 400 naming `name`.
pub(super) fn id(name: &str, text: &str) -> Result<i64, OAuthJson> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            invalid(format!(
                "{name}: expected a positive integer id, got {text:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Query {
        let uri = Origin::parse_owned(format!("/api/admin/users?{text}")).unwrap();
        Query::parse(&uri).ok().unwrap()
    }

    #[test]
    fn what_does_not_parse_is_refused() {
        assert!(query("is_staff=1").boolean("is_staff").is_err());
        assert_eq!(
            query("is_staff=false").boolean("is_staff").ok(),
            Some(Some(false))
        );
        let repeated = Origin::parse_owned("/api/admin/users?limit=1&limit=2".into()).unwrap();
        assert!(Query::parse(&repeated).is_err());
        for bad in ["limit=0", "limit=501", "limit=x", "after=-1", "after=abc"] {
            assert!(query(bad).page().is_err(), "{bad}");
        }
        let page = query("after=7&limit=500").page().ok();
        assert_eq!(
            page,
            Some(Page {
                after: Some(7),
                limit: 500
            })
        );
        assert!(id("id", "true").is_err() && id("id", "0").is_err());
        assert_eq!(id("id", "42").ok(), Some(42));
    }
}
