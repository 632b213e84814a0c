use time::{OffsetDateTime, UtcOffset};

/// `t` as the store keeps it: UTC, whole seconds.
///
/// Whole seconds because SQLite keeps RFC 3339 text, where `…:05Z` sorts after `…:05.5Z`;
/// with no fractions, text order is time order and `expires_at < $1` is right on both
/// backends. OAuth's own times (`exp`, `iat`) are whole seconds too.
pub fn stored_time(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
}

/// [`stored_time`] for optional times.
pub(crate) fn stored_opt(t: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    t.map(stored_time)
}
