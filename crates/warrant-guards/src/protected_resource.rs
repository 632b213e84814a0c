//! Protected-resource metadata (RFC 9728): the document that tells a client (an MCP client,
//! say) which authorization server issues tokens for this API and which scopes it knows,
//! the `resource_metadata` pointer in every challenge, and the audience check that keeps
//! a token requested for another resource (RFC 8707) out.

use rocket::http::{Header, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::{Json, Value, json};
use rocket::{Request, Response, Route, State, get, routes};
use url::Url;
use warrant_model::ResourceUri;

use crate::ResourceServer;

/// What this API says about itself, and which tokens it takes.
#[derive(Debug, Clone)]
pub struct ProtectedResource {
    resource: ResourceUri,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
    tokens_without_audience: bool,
}

impl ProtectedResource {
    /// The API whose identifier is `resource` (what clients send as RFC 8707's `resource`
    /// and its tokens carry as `aud`), protected by the authorization server whose issuer
    /// identifier is `authorization_server`. It takes only tokens issued for it.
    pub fn new(resource: ResourceUri, authorization_server: &str) -> Self {
        Self {
            resource,
            authorization_servers: vec![authorization_server.to_owned()],
            scopes_supported: Vec::new(),
            resource_name: None,
            resource_documentation: None,
            tokens_without_audience: false,
        }
    }

    /// The scopes the API knows (`scopes_supported`), which clients then ask for.
    pub fn with_scopes<'s>(mut self, scopes: impl IntoIterator<Item = &'s str>) -> Self {
        self.scopes_supported = scopes.into_iter().map(str::to_owned).collect();
        self
    }

    /// A name to show people (`resource_name`).
    pub fn with_name(mut self, name: &str) -> Self {
        self.resource_name = Some(name.to_owned());
        self
    }

    /// Where developers read about the API (`resource_documentation`).
    pub fn with_documentation(mut self, url: &str) -> Self {
        self.resource_documentation = Some(url.to_owned());
        self
    }

    /// Also takes tokens issued for no resource at all (as before RFC 8707, and as Django
    /// OAuth Toolkit's resource servers do); a token for another resource is still refused.
    pub fn accepting_tokens_without_audience(mut self) -> Self {
        self.tokens_without_audience = true;
        self
    }

    /// The resource identifier.
    pub fn resource(&self) -> &ResourceUri {
        &self.resource
    }

    /// Whether a token whose `aud` is `audience` is for this API.
    pub(crate) fn admits(&self, audience: &[String]) -> bool {
        if audience.is_empty() {
            return self.tokens_without_audience;
        }
        audience.iter().any(|aud| aud == self.resource.as_str())
    }

    /// The path of the metadata document (RFC 9728 §3.1): the well-known name, followed
    /// by the identifier's path when it has one.
    pub fn metadata_path(&self) -> String {
        let path = resource_path(&self.resource);
        format!("{WELL_KNOWN}{path}")
    }

    /// The URL of the metadata document, which challenges name as `resource_metadata`.
    pub fn metadata_url(&self) -> String {
        match Url::parse(self.resource.as_str()) {
            Ok(url) => format!(
                "{}{}",
                url.origin().ascii_serialization(),
                self.metadata_path()
            ),
            Err(_) => self.metadata_path(),
        }
    }

    /// The metadata document (RFC 9728 §2).
    pub fn document(&self) -> Value {
        let mut document = json!({
            "resource": self.resource.as_str(),
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": ["header"],
        });
        if !self.scopes_supported.is_empty() {
            document["scopes_supported"] = json!(self.scopes_supported);
        }
        if let Some(name) = &self.resource_name {
            document["resource_name"] = json!(name);
        }
        if let Some(url) = &self.resource_documentation {
            document["resource_documentation"] = json!(url);
        }
        document
    }
}

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The identifier's path without a trailing slash (`""` for the root).
fn resource_path(resource: &ResourceUri) -> String {
    Url::parse(resource.as_str())
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// The metadata routes, which answer for the attached [`ProtectedResource`], if any.
pub(crate) fn routes() -> Vec<Route> {
    routes![metadata_at_root, metadata_at_path]
}

/// A public JSON document (metadata, a key set) any origin may read, cacheable for a
/// minute: the protected-resource metadata here, Warrant's own metadata and JWKS.
pub struct PublicDocument(pub Value);

impl<'r> Responder<'r, 'static> for PublicDocument {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        Response::build_from(Json(self.0).respond_to(request)?)
            .header(Header::new("Cache-Control", "public, max-age=60"))
            .header(Header::new("Access-Control-Allow-Origin", "*"))
            .ok()
    }
}

fn metadata_for(server: &ResourceServer, path: &str) -> Result<PublicDocument, Status> {
    match &server.protected_resource {
        Some(resource) if resource.metadata_path() == path => {
            Ok(PublicDocument(resource.document()))
        }
        _ => Err(Status::NotFound),
    }
}

#[get("/.well-known/oauth-protected-resource")]
fn metadata_at_root(server: &State<ResourceServer>) -> Result<PublicDocument, Status> {
    metadata_for(server, WELL_KNOWN)
}

#[get("/.well-known/oauth-protected-resource/<rest..>")]
fn metadata_at_path(
    server: &State<ResourceServer>,
    rest: std::path::PathBuf,
) -> Result<PublicDocument, Status> {
    let rest = rest.to_string_lossy().replace('\\', "/");
    metadata_for(server, &format!("{WELL_KNOWN}/{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(uri: &str) -> ProtectedResource {
        ProtectedResource::new(ResourceUri::parse(uri).unwrap(), "https://auth.example.com")
    }

    #[test]
    fn the_metadata_lives_at_the_well_known_name_and_the_resources_path() {
        let mcp = resource("https://mcp.example.com/mcp");
        assert_eq!(
            mcp.metadata_path(),
            "/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            mcp.metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        let root = resource("https://api.example.com/");
        assert_eq!(
            root.metadata_url(),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
        let local = resource("http://127.0.0.1:8001/api/v1/");
        assert_eq!(
            local.metadata_url(),
            "http://127.0.0.1:8001/.well-known/oauth-protected-resource/api/v1"
        );
    }

    #[test]
    fn only_tokens_for_the_resource_are_admitted() {
        let strict = resource("https://mcp.example.com/mcp");
        assert!(strict.admits(&["https://mcp.example.com/mcp".to_owned()]));
        assert!(!strict.admits(&["https://other.example.com/".to_owned()]));
        assert!(!strict.admits(&[]));
        let lenient = strict.accepting_tokens_without_audience();
        assert!(lenient.admits(&[]));
        assert!(!lenient.admits(&["https://other.example.com/".to_owned()]));
    }

    #[test]
    fn the_document_names_the_authorization_server_and_scopes() {
        let document = resource("https://mcp.example.com/mcp")
            .with_scopes(["mcp:tools"])
            .with_name("Music MCP")
            .document();
        assert_eq!(document["resource"], "https://mcp.example.com/mcp");
        assert_eq!(
            document["authorization_servers"],
            json!(["https://auth.example.com"])
        );
        assert_eq!(document["scopes_supported"], json!(["mcp:tools"]));
        assert_eq!(document["bearer_methods_supported"], json!(["header"]));
        assert_eq!(document["resource_name"], "Music MCP");
    }
}
