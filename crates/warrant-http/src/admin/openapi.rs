//! The admin API's OpenAPI 3.1 document, built from [`OPERATIONS`], one entry per mounted
//! route; a test below holds the two equal, so neither can drift from the other.

use rocket::serde::json::{Json, Value, json};
use rocket::{Route, get, routes};
use serde_json::Map;
use warrant_model::{AuditAction, ThrottleKind};

use super::lockouts::MAX_SUBJECT;

pub(super) fn routes() -> Vec<Route> {
    routes![document]
}

/// One operation of the admin API.
struct Operation {
    method: &'static str,
    /// The path, parameters written `{name}` (integer ids but for `{kind}` and `{subject}`,
    /// see [`path_parameter_schema`]).
    path: &'static str,
    summary: &'static str,
    /// Query parameters: name, kind (`boolean`, `id`, `limit`, `throttle_kind` or
    /// `subject`, see [`parameter_schema`]), description. Any other parameter is refused.
    query: &'static [(&'static str, &'static str, &'static str)],
    /// The request body's schema.
    body: Option<&'static str>,
    /// The success status and its body's schema.
    success: (u16, Option<&'static str>),
}

const PAGING: [(&str, &str, &str); 2] = [
    ("after", "id", "the `next_after` of the previous page"),
    ("limit", "limit", "rows per page, 1 to 500 (default 50)"),
];

const APPLICATION_FILTERS: [(&str, &str, &str); 3] = [
    ("owner", "id", "only this user's applications"),
    PAGING[0],
    PAGING[1],
];

const USER_FILTERS: [(&str, &str, &str); 4] = [
    (
        "is_active",
        "boolean",
        "only active (true) or inactive (false) users",
    ),
    (
        "is_staff",
        "boolean",
        "only staff (true) or other (false) users",
    ),
    PAGING[0],
    PAGING[1],
];

const TOKEN_FILTERS: [(&str, &str, &str); 4] = [
    ("user", "id", "only tokens this user granted"),
    ("application", "id", "only tokens of this application"),
    PAGING[0],
    PAGING[1],
];

const AUDIT_FILTERS: [(&str, &str, &str); 7] = [
    ("action", "audit_action", "only events of this action"),
    ("actor_user_id", "id", "only events this user did"),
    (
        "target",
        "audit_target",
        "only events done to this (`user:alice`, `application:<client id>`)",
    ),
    (
        "since",
        "time",
        "only events at or after this time (RFC 3339)",
    ),
    ("until", "time", "only events before this time (RFC 3339)"),
    PAGING[0],
    PAGING[1],
];

const LOCKOUT_FILTERS: [(&str, &str, &str); 3] = [
    ("kind", "throttle_kind", "only counters of this kind"),
    (
        "subject",
        "subject",
        "only counters of this login name, address, client id or user id",
    ),
    (
        "limit",
        "limit",
        "counters at most, 1 to 500 (default 50), locked ones first",
    ),
];

const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/api/admin/applications",
        summary: "List applications",
        query: &APPLICATION_FILTERS,
        body: None,
        success: (200, Some("ApplicationList")),
    },
    Operation {
        method: "post",
        path: "/api/admin/applications",
        summary: "Register an application; the answer holds its client secret, shown this once",
        query: &[],
        body: Some("NewApplication"),
        success: (201, Some("CreatedApplication")),
    },
    Operation {
        method: "get",
        path: "/api/admin/applications/{id}",
        summary: "Show an application",
        query: &[],
        body: None,
        success: (200, Some("Application")),
    },
    Operation {
        method: "patch",
        path: "/api/admin/applications/{id}",
        summary: "Change an application; absent fields stay",
        query: &[],
        body: Some("ApplicationPatch"),
        success: (200, Some("Application")),
    },
    Operation {
        method: "delete",
        path: "/api/admin/applications/{id}",
        summary: "Delete an application with its codes, tokens and consents",
        query: &[],
        body: None,
        success: (204, None),
    },
    Operation {
        method: "post",
        path: "/api/admin/applications/{id}/rotate_secret",
        summary: "Replace a confidential application's secret; the old one stops working at once",
        query: &[],
        body: None,
        success: (200, Some("ClientSecret")),
    },
    Operation {
        method: "get",
        path: "/api/admin/users",
        summary: "List users",
        query: &USER_FILTERS,
        body: None,
        success: (200, Some("UserList")),
    },
    Operation {
        method: "post",
        path: "/api/admin/users",
        summary: "Create a user",
        query: &[],
        body: Some("NewUser"),
        success: (201, Some("User")),
    },
    Operation {
        method: "get",
        path: "/api/admin/users/{id}",
        summary: "Show a user",
        query: &[],
        body: None,
        success: (200, Some("User")),
    },
    Operation {
        method: "patch",
        path: "/api/admin/users/{id}",
        summary: "Change a user; a new password or a deactivation ends their sessions",
        query: &[],
        body: Some("UserPatch"),
        success: (200, Some("User")),
    },
    Operation {
        method: "delete",
        path: "/api/admin/users/{id}",
        summary: "Delete a user with everything they own",
        query: &[],
        body: None,
        success: (204, None),
    },
    Operation {
        method: "post",
        path: "/api/admin/users/{id}/activate",
        summary: "Let a user log in again",
        query: &[],
        body: None,
        success: (200, Some("User")),
    },
    Operation {
        method: "post",
        path: "/api/admin/users/{id}/deactivate",
        summary: "Stop a user: sessions end, tokens are refused",
        query: &[],
        body: None,
        success: (200, Some("User")),
    },
    Operation {
        method: "post",
        path: "/api/admin/users/{id}/revoke_api_token",
        summary: "Replace a user's API token; the old one stops working here at once and at client apps once the new one reaches them",
        query: &[],
        body: None,
        success: (204, None),
    },
    Operation {
        method: "delete",
        path: "/api/admin/users/{id}/lockouts",
        summary: "Unlock a user: forget failed logins against their username and email address and their device-code guesses (addresses they used stay counted)",
        query: &[],
        body: None,
        success: (204, None),
    },
    Operation {
        method: "get",
        path: "/api/admin/lockouts",
        summary: "List brute-force counters that count now: failures per login name, address, client id and device user, and the locks they earned",
        query: &LOCKOUT_FILTERS,
        body: None,
        success: (200, Some("LockoutList")),
    },
    Operation {
        method: "delete",
        path: "/api/admin/lockouts/{kind}/{subject}",
        summary: "Forget one counter and lift its lock",
        query: &[],
        body: None,
        success: (204, None),
    },
    Operation {
        method: "get",
        path: "/api/admin/sync",
        summary: "Client sync: per client app, users pending and dead, the oldest undelivered change, the last error",
        query: &[],
        body: None,
        success: (200, Some("SyncStatus")),
    },
    Operation {
        method: "get",
        path: "/api/admin/tokens",
        summary: "List live access tokens",
        query: &TOKEN_FILTERS,
        body: None,
        success: (200, Some("TokenList")),
    },
    Operation {
        method: "delete",
        path: "/api/admin/tokens/{id}",
        summary: "Revoke an access token with its whole grant (refresh tokens too)",
        query: &[],
        body: None,
        success: (204, None),
    },
    Operation {
        method: "get",
        path: "/api/admin/audit-events",
        summary: "List audit events, oldest first",
        query: &AUDIT_FILTERS,
        body: None,
        success: (200, Some("AuditEventList")),
    },
    Operation {
        method: "get",
        path: "/api/admin/openapi.json",
        summary: "This document",
        query: &[],
        body: None,
        success: (200, None),
    },
];

/// The query parameters the operation `method` (`GET`, …) at the mounted `route_path`
/// (`/api/admin/users/<id>`) takes.
pub(super) fn query_parameters(method: &str, route_path: &str) -> Vec<&'static str> {
    let path = route_path.replace('<', "{").replace('>', "}");
    OPERATIONS
        .iter()
        .find(|op| op.method.eq_ignore_ascii_case(method) && op.path == path)
        .map(|op| op.query.iter().map(|(name, _, _)| *name).collect())
        .unwrap_or_default()
}

#[get("/api/admin/openapi.json")]
fn document() -> Json<Value> {
    Json(openapi())
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_content(schema: &str) -> Value {
    json!({ "application/json": { "schema": schema_ref(schema) } })
}

/// The schema of a query parameter of `kind`, as strict as the server reads it.
fn parameter_schema(kind: &str) -> Value {
    match kind {
        "boolean" => json!({ "type": "boolean" }),
        "limit" => json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 50 }),
        "throttle_kind" => throttle_kind_schema(),
        "subject" => subject_schema(),
        "audit_action" => {
            let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            json!({ "type": "string", "enum": actions })
        }
        "audit_target" => json!({ "type": "string" }),
        "time" => json!({ "type": "string", "format": "date-time" }),
        _ => id_schema(),
    }
}

/// The schema of the path parameter `name`.
fn path_parameter_schema(name: &str) -> Value {
    match name {
        "kind" => throttle_kind_schema(),
        "subject" => subject_schema(),
        _ => id_schema(),
    }
}

/// A lockout's subject (an empty query parameter, like any, counts as absent).
fn subject_schema() -> Value {
    json!({ "type": "string", "maxLength": MAX_SUBJECT })
}

fn throttle_kind_schema() -> Value {
    let kinds: Vec<&str> = ThrottleKind::ALL.iter().map(|kind| kind.as_str()).collect();
    json!({ "type": "string", "enum": kinds })
}

/// An id in a path or query: a positive integer.
fn id_schema() -> Value {
    json!({ "type": "integer", "minimum": 1 })
}

fn operation(op: &Operation) -> Value {
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": path_parameter_schema(name) }))
        .collect();
    parameters.extend(op.query.iter().map(|(name, kind, description)| {
        json!({ "name": name, "in": "query", "required": false, "description": description, "schema": parameter_schema(kind) })
    }));
    let mut responses = Map::new();
    let (status, schema) = op.success;
    let mut success = json!({ "description": "success" });
    if let Some(schema) = schema {
        success["content"] = json_content(schema);
    } else if status == 200 {
        success["content"] = json!({ "application/json": {} });
    }
    responses.insert(status.to_string(), success);
    let public = op.path.ends_with("openapi.json");
    let errors: &[(&str, &str)] = if public {
        &[]
    } else {
        &[
            (
                "400",
                "invalid request: a field, query parameter or path id that does not parse, or a query parameter the operation does not take (the description names it)",
            ),
            ("401", "no credentials, or an invalid token"),
            (
                "403",
                "not a staff user, or a token without the admin scope",
            ),
            ("404", "no such object"),
            ("409", "a unique value is taken"),
            ("413", "the body is larger than server.max_body_bytes"),
            ("503", "the database is unavailable"),
        ]
    };
    for (code, description) in errors {
        responses.insert(
            (*code).to_owned(),
            json!({ "description": description, "content": json_content("Error") }),
        );
    }
    let mut value = json!({
        "summary": op.summary,
        "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '.'], "_")),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = op.body {
        value["requestBody"] = json!({ "required": true, "content": json_content(body) });
    }
    if !public {
        value["security"] = json!([{ "session": [] }, { "bearer": ["admin"] }]);
    }
    value
}

/// The whole document.
pub(super) fn openapi() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let path = paths.entry(op.path).or_insert_with(|| json!({}));
        path[op.method] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Warrant admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Applications, users, tokens and lockouts, for staff users: by session, or a staff user's bearer token with the `admin` scope.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "warrant_session" },
                "bearer": { "type": "http", "scheme": "bearer" },
            },
            "schemas": schemas(),
        },
    })
}

fn list_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_after"],
        "properties": {
            "items": { "type": "array", "items": schema_ref(item) },
            "next_after": { "type": ["integer", "null"], "description": "`after` for the next page; null on the last" },
        },
    })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

/// Redirect URIs: absolute URIs (each must also meet the redirect URI rules).
fn uris() -> Value {
    json!({ "type": "array", "items": { "type": "string", "format": "uri" } })
}

fn schemas() -> Value {
    let grant_types = json!({ "type": "array", "minItems": 1, "items": { "type": "string", "enum": ["authorization_code", "implicit", "password", "client_credentials", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code", "device_code", "authorization-code", "client-credentials", "refresh-token", "device-code"], "description": "RFC names; device_code and Django OAuth Toolkit's hyphenated names are accepted too" } });
    let client_type = json!({ "type": "string", "enum": ["confidential", "public"] });
    let timestamp = json!({ "type": "string", "format": "date-time" });
    let algorithm = json!({ "type": "string", "enum": ["RS256", "ES256", "EdDSA"], "description": "ID-token signing algorithm" });
    let algorithm_or_default = json!({ "type": ["string", "null"], "enum": ["RS256", "ES256", "EdDSA", null], "description": "ID-token signing algorithm; null: RS256" });
    let name = json!({ "type": "string", "minLength": 1, "maxLength": 255 });
    let origins = json!({ "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]+$", "description": "scheme://host[:port], no path" } });
    let resources = json!({ "type": "array", "items": { "type": "string", "format": "uri" }, "description": "RFC 8707 resources its tokens may be for; empty: any" });
    let username = json!({ "type": "string", "minLength": 1, "maxLength": 150, "pattern": "^[\\w.@+-]+$", "description": "letters, digits and @ . + - _ (Django's rule)" });
    let owner = json!({ "type": ["integer", "null"], "minimum": 1, "description": "a user's id; null: no owner" });
    let password = json!({ "type": "string", "minLength": 8 });
    let require_par = json!({ "type": "boolean", "description": "RFC 9126: its authorization requests must be pushed to /o/par/ first" });
    let auth_method = json!({ "type": ["string", "null"], "enum": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none", null], "description": "the one way it authenticates; null: a secret (Basic or body), or none for public clients" });
    let jwks = json!({ "type": ["object", "null"], "description": "its public keys as a JWK Set (RSA, EC P-256 or Ed25519), for private_key_jwt" });
    let profile = json!({ "type": ["string", "null"], "enum": ["standard", "fapi2", null], "description": "the security profile it is held to; null: the server's default (oauth2.security_profile)" });
    let dpop = json!({ "type": "boolean", "description": "RFC 9449: its token requests must carry a DPoP proof, so its access tokens are bound to a key" });
    let jwks_uri = json!({ "type": ["string", "null"], "format": "uri", "description": "where it publishes its public keys (https), for private_key_jwt; not with jwks" });
    let application = json!({
        "type": "object",
        "properties": {
            "id": { "type": "integer" }, "client_id": { "type": "string" }, "name": { "type": "string" },
            "client_type": client_type, "grant_types": grant_types, "redirect_uris": strings(),
            "post_logout_redirect_uris": strings(), "allowed_origins": strings(),
            "owner": { "type": ["integer", "null"] }, "skip_authorization": { "type": "boolean" },
            "pkce_required": { "type": "boolean" }, "algorithm": algorithm, "created_at": timestamp, "updated_at": timestamp,
            "dynamically_registered": { "type": "boolean", "description": "the client registered itself at /o/register/ (RFC 7591), or is kept from its client ID metadata document" },
            "allowed_resources": { "type": "array", "items": { "type": "string", "format": "uri" }, "description": "RFC 8707: the resources its tokens may be for (a token request naming none gets them all); empty: any" },
            "require_pushed_authorization_requests": require_par,
            "token_endpoint_auth_method": auth_method, "jwks": jwks, "jwks_uri": jwks_uri, "dpop_bound_access_tokens": dpop, "security_profile": profile,
        },
    });
    let mut created = application.clone();
    created["properties"]["client_secret"] = json!({ "type": ["string", "null"], "description": "shown this once; null for public clients" });
    json!({
        "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" }, "error_description": { "type": "string" } } },
        "SyncStatus": {
            "type": "object", "required": ["client_apps"],
            "properties": { "client_apps": { "type": "array", "items": {
                "type": "object",
                "properties": {
                    "target": { "type": "string", "description": "the client app's base URL" },
                    "configured": { "type": "boolean", "description": "false: no longer in sync.client_apps, so nothing is sent" },
                    "pending": { "type": "integer" }, "dead": { "type": "integer" },
                    "oldest_pending_since": { "type": ["string", "null"], "format": "date-time" },
                    "last_delivered_at": { "type": ["string", "null"], "format": "date-time" },
                    "last_error": { "type": ["string", "null"] },
                },
            } } },
        },
        "Application": application,
        "CreatedApplication": created,
        "ApplicationList": list_of("Application"),
        "NewApplication": {
            "type": "object", "additionalProperties": false, "required": ["name", "client_type", "grant_types"],
            "properties": {
                "client_id": { "type": "string", "description": "the client id to keep (an application moved from another server, such as a Django OAuth Toolkit site); absent: a new one is generated; taken: 409" },
                "client_secret": { "type": "string", "minLength": 1, "description": "the client secret to keep, confidential clients only (a public client with one is refused); absent: a new one is generated" },
                "name": name, "client_type": client_type, "grant_types": grant_types,
                "redirect_uris": uris(), "post_logout_redirect_uris": uris(), "allowed_origins": origins, "allowed_resources": resources,
                "owner": owner, "skip_authorization": { "type": "boolean" }, "pkce_required": { "type": "boolean" },
                "algorithm": algorithm_or_default, "require_pushed_authorization_requests": require_par,
                "token_endpoint_auth_method": auth_method, "jwks": jwks, "jwks_uri": jwks_uri, "dpop_bound_access_tokens": dpop, "security_profile": profile,
            },
        },
        "ApplicationPatch": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "name": name, "grant_types": grant_types, "redirect_uris": uris(),
                "post_logout_redirect_uris": uris(), "allowed_origins": origins, "allowed_resources": resources,
                "skip_authorization": { "type": "boolean" }, "pkce_required": { "type": "boolean" },
                "algorithm": algorithm_or_default, "require_pushed_authorization_requests": require_par,
                "token_endpoint_auth_method": auth_method, "jwks": jwks, "jwks_uri": jwks_uri, "dpop_bound_access_tokens": dpop, "security_profile": profile,
            },
        },
        "ClientSecret": { "type": "object", "required": ["client_secret"], "properties": { "client_secret": { "type": "string" } } },
        "User": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "username": { "type": "string" }, "email": { "type": ["string", "null"] },
                "first_name": { "type": "string" }, "last_name": { "type": "string" }, "is_active": { "type": "boolean" },
                "is_staff": { "type": "boolean" }, "is_superuser": { "type": "boolean" }, "has_password": { "type": "boolean" },
                "date_joined": timestamp, "last_login": { "type": ["string", "null"], "format": "date-time" },
            },
        },
        "UserList": list_of("User"),
        "NewUser": {
            "type": "object", "additionalProperties": false, "required": ["username"],
            "properties": {
                "username": username, "email": { "type": ["string", "null"], "format": "email", "description": "null or \"\": none" },
                "password": { "type": ["string", "null"], "minLength": 8, "description": "null (and no password_hash): the user logs in only through an upstream provider" },
                "password_hash": { "type": "string", "description": "instead of password: a hash made elsewhere in Django's format (pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256, bcrypt, scrypt; ! for an unusable password), kept as it is and re-hashed at the first login; one Warrant does not verify is refused" },
                "first_name": { "type": "string" }, "last_name": { "type": "string" }, "is_staff": { "type": "boolean" }, "is_superuser": { "type": "boolean" },
            },
        },
        "UserPatch": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "email": { "type": "string", "format": "email", "description": "\"\" removes it" }, "first_name": { "type": "string" }, "last_name": { "type": "string" },
                "password": password, "is_active": { "type": "boolean" }, "is_staff": { "type": "boolean" }, "is_superuser": { "type": "boolean" },
            },
        },
        "Token": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "application": { "type": "integer" }, "user": { "type": ["integer", "null"] },
                "scope": { "type": "string" }, "created_at": timestamp, "expires_at": timestamp,
            },
        },
        "TokenList": list_of("Token"),
        "AuditEvent": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "occurred_at": timestamp,
                "action": { "type": "string" },
                "actor_user_id": { "type": ["integer", "null"], "description": "the acting user" },
                "actor": { "type": ["string", "null"], "description": "who acted: a username, client:<client id>, command line" },
                "target": { "type": ["string", "null"], "description": "user:<username>, application:<client id>, account:<login>, signing_key:<kid>, …" },
                "client_address": { "type": ["string", "null"] },
                "detail": { "type": ["string", "null"] },
            },
        },
        "AuditEventList": list_of("AuditEvent"),
        "Lockout": {
            "type": "object",
            "properties": {
                "kind": throttle_kind_schema(),
                "subject": { "type": "string", "description": "a login name as typed (lower case), an address, a client id or a user id" },
                "failures": { "type": "integer", "description": "since the count last started over" },
                "last_failure_at": timestamp,
                "locked_until": { "type": ["string", "null"], "format": "date-time" },
                "permanent": { "type": "boolean", "description": "locked until staff lift it" },
                "locked": { "type": "boolean", "description": "attempts are refused now" },
            },
        },
        "LockoutList": {
            "type": "object", "required": ["items"],
            "properties": { "items": { "type": "array", "items": schema_ref("Lockout") } },
        },
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `/a/<id>` as OpenAPI writes it: `/a/{id}`.
    fn openapi_path(rocket_path: &str) -> String {
        rocket_path.replace('<', "{").replace('>', "}")
    }

    #[test]
    fn every_route_is_documented_and_every_documented_route_exists() {
        let mounted: BTreeSet<(String, String)> = crate::admin::routes()
            .iter()
            .map(|route| {
                (
                    openapi_path(route.uri.path()),
                    route.method.as_str().to_lowercase(),
                )
            })
            .collect();
        let document = openapi();
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, methods)| {
                methods
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| (path.clone(), method.clone()))
            })
            .collect();
        assert_eq!(mounted, documented);
        assert_eq!(
            mounted.len(),
            OPERATIONS.len(),
            "an operation is listed twice"
        );
    }

    #[test]
    fn every_schema_referred_to_exists() {
        let document = openapi().to_string();
        let schemas = openapi()["components"]["schemas"].clone();
        for reference in document.split("#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                schemas.get(name).is_some(),
                "{name} is referred to but missing"
            );
        }
    }
}
