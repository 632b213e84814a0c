//! Where a request comes from, for brute-force counting: the peer's address, or the one a
//! trusted proxy names in `server.client_ip_header` (Rocket's `ip_header`).

use std::net::IpAddr;
use std::time::Duration;

use rocket::Request;
use rocket::request::{FromRequest, Outcome};
use time::OffsetDateTime;
use warrant_grants::Locked;

/// The request's address, when known.
pub(crate) struct ClientAddress(pub(crate) Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(request.client_ip()))
    }
}

/// What a page says to someone locked out by too many `failures` (what failed, in words),
/// and the `Retry-After` seconds to send with it (none for a lock only staff lift).
pub(crate) fn locked_message(failures: &str, locked: Locked) -> (String, Option<u64>) {
    match locked.retry_after(OffsetDateTime::now_utc()) {
        Some(wait) => (
            format!("Too many {failures}. Try again in {}.", in_words(wait)),
            Some(wait.as_secs()),
        ),
        None => (
            format!("Too many {failures}. Ask an administrator to unlock it."),
            None,
        ),
    }
}

/// `wait` for people: seconds below two minutes, then whole minutes rounded up.
fn in_words(wait: Duration) -> String {
    let seconds = wait.as_secs();
    if seconds < 120 {
        format!("{seconds} second{}", if seconds == 1 { "" } else { "s" })
    } else {
        format!("{} minutes", seconds.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_seconds_then_minutes() {
        let words = |s| in_words(Duration::from_secs(s));
        assert_eq!(
            [
                words(1),
                words(2),
                words(119),
                words(120),
                words(121),
                words(900)
            ],
            [
                "1 second",
                "2 seconds",
                "119 seconds",
                "2 minutes",
                "3 minutes",
                "15 minutes"
            ]
        );
    }
}
