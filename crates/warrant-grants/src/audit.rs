//! The audit log: who did what to whom, kept in the database by the operations themselves,
//! so that every frontend (pages, admin API, CLI) records the same events. The frontend
//! names the actor ([`Engine::acting_as`]); the engine knows the rest.

use time::{Duration, OffsetDateTime};
use warrant_model::{AuditAction, ClientId, NewAuditEvent, User};

use crate::Engine;

/// Who is acting through an engine.
#[derive(Debug, Clone, Copy, Default)]
pub enum Actor<'a> {
    /// Nobody known: a browser not logged in, a client before it authenticated.
    #[default]
    Unknown,
    /// An operator at the command line.
    CommandLine,
    /// A logged-in user, staff using the admin API among them.
    User(&'a User),
    /// A client acting for itself (revocation, dynamic registration).
    Client(&'a ClientId),
}

/// `[audit]`: how long events are kept and whether they are also logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPolicy {
    /// Events older than this are deleted by the periodic clean-up (`None`: kept).
    pub retention: Option<Duration>,
    /// Each event is also a log line (target `warrant::audit`).
    pub log_events: bool,
}

impl Default for AuditPolicy {
    fn default() -> Self {
        Self {
            retention: Some(Duration::days(365)),
            log_events: false,
        }
    }
}

/// What an event was done to, and more about it.
pub(crate) struct Audited {
    pub(crate) target: Option<String>,
    pub(crate) detail: Option<String>,
}

impl Audited {
    /// A user, by username.
    pub(crate) fn user(user: &User) -> Self {
        Self::target(format!("user:{}", user.username.as_str()))
    }

    /// An application, by client id.
    pub(crate) fn application(client_id: &ClientId) -> Self {
        Self::target(format!("application:{}", client_id.as_str()))
    }

    pub(crate) fn target(target: String) -> Self {
        Self {
            target: Some(target),
            detail: None,
        }
    }

    pub(crate) fn with_detail(self, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..self
        }
    }
}

impl<'a> Engine<'a> {
    /// This engine, with `actor` named in the events it records.
    pub fn acting_as(self, actor: Actor<'a>) -> Self {
        Self { actor, ..self }
    }

    /// Keeps `action` on `audited` as done by this engine's actor from its address. A
    /// failure to keep it is logged, not returned: the operation it records already
    /// happened.
    pub(crate) async fn audit(&self, action: AuditAction, audited: Audited, now: OffsetDateTime) {
        let (actor_user_id, actor) = match self.actor {
            Actor::Unknown => (None, None),
            Actor::CommandLine => (None, Some("command line".to_owned())),
            Actor::User(user) => (Some(user.id), Some(user.username.as_str().to_owned())),
            Actor::Client(client_id) => (None, Some(format!("client:{}", client_id.as_str()))),
        };
        self.audit_as(action, audited, actor_user_id, actor, now)
            .await;
    }

    /// As [`Engine::audit`], acted by `user` whatever the engine's actor (a login).
    pub(crate) async fn audit_by(
        &self,
        user: &User,
        action: AuditAction,
        audited: Audited,
        now: OffsetDateTime,
    ) {
        let actor = Some(user.username.as_str().to_owned());
        self.audit_as(action, audited, Some(user.id), actor, now)
            .await;
    }

    async fn audit_as(
        &self,
        action: AuditAction,
        audited: Audited,
        actor_user_id: Option<warrant_model::UserId>,
        actor: Option<String>,
        now: OffsetDateTime,
    ) {
        let event = NewAuditEvent {
            occurred_at: now,
            action,
            actor_user_id,
            actor,
            target: audited.target,
            client_address: self.client_address.map(|address| address.to_string()),
            detail: audited.detail,
        };
        if self.settings.audit.log_events {
            tracing::info!(
                target: "warrant::audit",
                action = %event.action,
                actor = event.actor.as_deref(),
                target = event.target.as_deref(),
                client_address = event.client_address.as_deref(),
                detail = event.detail.as_deref(),
                "audit event"
            );
        }
        if let Err(error) = self.store.record_audit_event(&event).await {
            tracing::error!(%error, action = %event.action, "an audit event could not be kept");
        }
    }
}
