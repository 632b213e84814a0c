//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, what MCP
//! clients use instead of registering): a `client_id` that is an https URL names a JSON
//! document describing the client. When enabled, Warrant fetches it (through the one
//! outgoing client: a deadline, a size limit, no redirects, no private or loopback
//! addresses unless allowed), checks it, keeps the client as an application whose client
//! id is the URL, and fetches it again once the answer's `Cache-Control` (within the
//! configured bounds) says it is stale.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;
use url::Url;
use warrant_cache::TtlMap;
use warrant_model::{
    Application, ClientId, ClientType, GrantType, GrantTypes, OAuthError, RedirectUri,
    RedirectUriPolicy,
};
use warrant_outgoing::{Client, Request};

use crate::{ApplicationChanges, ApplicationRegistration, Engine};

/// How client ID metadata documents are used (Django OAuth Toolkit's `CIMD_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPolicy {
    /// Hosts whose documents are used: `client.example.com`, or `.example.com` for it and
    /// its subdomains; empty: any host.
    pub allowed_hosts: Vec<String>,
    /// Fetch from loopback and private addresses too (tests, an intranet).
    pub allow_private_addresses: bool,
    /// The largest document read.
    pub max_bytes: usize,
    /// The least and the most time a fetched document is used before it is fetched again.
    pub min_age: Duration,
    /// See [`DocumentPolicy::min_age`].
    pub max_age: Duration,
}

impl Default for DocumentPolicy {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            allow_private_addresses: false,
            max_bytes: 16 * 1024,
            min_age: Duration::from_secs(300),
            max_age: Duration::from_secs(86_400),
        }
    }
}

/// The documents' fetcher and what is fresh; off unless made with [`ClientDocuments::new`].
pub struct ClientDocuments {
    enabled: Option<(Client, DocumentPolicy)>,
    /// The client ids whose stored application is fresh.
    fresh: TtlMap<String, ()>,
}

impl ClientDocuments {
    /// No documents: a URL client id is looked up like any other.
    pub fn disabled() -> Self {
        Self {
            enabled: None,
            fresh: TtlMap::new(1),
        }
    }

    /// Documents fetched with `client` under `policy`.
    pub fn new(client: Client, policy: DocumentPolicy) -> Self {
        Self {
            enabled: Some((client, policy)),
            fresh: TtlMap::new(10_000),
        }
    }

    /// Whether client ids may be document URLs (`client_id_metadata_document_supported`).
    pub fn enabled(&self) -> bool {
        self.enabled.is_some()
    }

    /// The document URL `client_id` is, when documents are on: https, with a path.
    fn url_of(&self, client_id: &ClientId) -> Option<Url> {
        self.enabled.as_ref()?;
        Url::parse(client_id.as_str())
            .ok()
            .filter(|url| url.scheme() == "https" && url.path() != "/" && url.fragment().is_none())
    }
}

/// What a document says, in Warrant's terms.
#[derive(Debug)]
struct Described {
    /// The document as fetched, kept with the client's registration.
    document: String,
    name: String,
    redirect_uris: Vec<RedirectUri>,
    grant_types: GrantTypes,
}

/// Reads the document fetched from `url` (its bytes): a JSON object whose `client_id` is
/// `url`, with redirect URIs, for a public client (`token_endpoint_auth_method` `none`).
fn described(url: &Url, bytes: &[u8]) -> Result<Described, String> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|_| "it is not a JSON object".to_owned())?;
    let fields = document
        .as_object()
        .ok_or_else(|| "it is not a JSON object".to_owned())?;
    if fields.get("client_id").and_then(Value::as_str) != Some(url.as_str()) {
        return Err("its client_id is not its own URL".into());
    }
    match fields.get("token_endpoint_auth_method").map(Value::as_str) {
        None | Some(Some("none")) => {}
        Some(other) => {
            return Err(format!(
                "token_endpoint_auth_method {} is not supported: only none",
                other.unwrap_or("(not a string)")
            ));
        }
    }
    for secret_field in ["client_secret", "client_secret_expires_at"] {
        if fields.contains_key(secret_field) {
            return Err(format!("it must not carry {secret_field}"));
        }
    }
    let redirect_uris: Vec<RedirectUri> = fields
        .get("redirect_uris")
        .and_then(Value::as_array)
        .ok_or_else(|| "redirect_uris must be a list".to_owned())?
        .iter()
        .map(|uri| {
            uri.as_str()
                .ok_or_else(|| "redirect_uris must be strings".to_owned())
                .and_then(|uri| {
                    RedirectUri::parse(uri, RedirectUriPolicy::default())
                        .map_err(|error| format!("redirect_uris: {error}"))
                })
        })
        .collect::<Result<_, _>>()?;
    if redirect_uris.is_empty() {
        return Err("redirect_uris must name one".into());
    }
    let mut grants = vec![GrantType::AuthorizationCode];
    if let Some(names) = fields.get("grant_types") {
        let names = names
            .as_array()
            .ok_or_else(|| "grant_types must be a list".to_owned())?;
        grants.clear();
        for name in names {
            match name.as_str() {
                Some("authorization_code") => grants.push(GrantType::AuthorizationCode),
                Some("refresh_token") => grants.push(GrantType::RefreshToken),
                _ => {
                    return Err(format!(
                        "grant_types: {name} is not offered to such clients"
                    ));
                }
            }
        }
    }
    let grant_types =
        GrantTypes::new(grants).map_err(|_| "grant_types must name one".to_owned())?;
    let host = url.host_str().unwrap_or_default();
    let name = match fields.get("client_name") {
        None => host.to_owned(),
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= 200 => {
            format!("{name} ({host})")
        }
        Some(_) => return Err("client_name must be 1 to 200 characters".into()),
    };
    Ok(Described {
        document: document.to_string(),
        name,
        redirect_uris,
        grant_types,
    })
}

/// Where a client kept from its document was "registered from" (not an address, so the
/// per-address registration limit never counts it).
const DOCUMENT_SOURCE: &str = "client ID metadata document";

/// Whether `host` is one of `allowed` (`.example.com` also allows its subdomains).
fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.is_empty()
        || allowed.iter().any(|entry| match entry.strip_prefix('.') {
            Some(domain) => host == domain || host.ends_with(entry.as_str()),
            None => host.eq_ignore_ascii_case(entry),
        })
}

/// Whether `ip` is one a document must not be fetched from without
/// `allow_private_addresses`: loopback, private, link-local, unspecified or shared.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || (ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(ip) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

impl Engine<'_> {
    /// The application `client_id` names: a stored one, or, for the URL of a client ID
    /// metadata document, the client that document describes (fetched when it is not
    /// fresh). `None` when there is no such client.
    pub(crate) async fn client(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<Application>, OAuthError> {
        let Some(url) = self.documents.url_of(client_id) else {
            return Ok(self.clients.application(self.store, client_id).await?);
        };
        if self.documents.fresh.get(&url.to_string()).is_some()
            && let Some(application) = self.clients.application(self.store, client_id).await?
        {
            return Ok(Some(application));
        }
        self.fetch_client(client_id, &url).await.map(Some)
    }

    async fn fetch_client(
        &self,
        client_id: &ClientId,
        url: &Url,
    ) -> Result<Application, OAuthError> {
        let refused = |reason: String| {
            OAuthError::InvalidClient(format!("the client metadata document at {url}: {reason}"))
        };
        let Some((client, policy)) = &self.documents.enabled else {
            return Err(OAuthError::InvalidClient("unknown client".into()));
        };
        let host = url.host_str().unwrap_or_default().to_owned();
        if !host_allowed(&host, &policy.allowed_hosts) {
            return Err(refused("its host is not allowed here".into()));
        }
        if !policy.allow_private_addresses {
            let port = url.port_or_known_default().unwrap_or(443);
            let addresses = tokio::time::timeout(
                client.timeout(),
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await
            .map_err(|_| refused("its host did not resolve in time".into()))?
            .map_err(|_| refused("its host does not resolve".into()))?;
            if addresses
                .into_iter()
                .any(|address| is_private(address.ip()))
            {
                return Err(refused("its host is a private or loopback address".into()));
            }
        }
        let answer = client
            .send(Request::get(url.clone()))
            .await
            .map_err(|error| refused(error.to_string()))?;
        if answer.status != 200 {
            return Err(refused(format!(
                "it answered {} (redirects are not followed)",
                answer.status
            )));
        }
        if answer.body.len() > policy.max_bytes {
            return Err(refused(format!(
                "it is larger than {} bytes",
                policy.max_bytes
            )));
        }
        let described = described(url, &answer.body).map_err(refused)?;
        let application = self.keep_described(client_id, described).await?;
        let age = answer
            .max_age
            .map_or(policy.min_age, Duration::from_secs)
            .clamp(policy.min_age, policy.max_age);
        self.documents.fresh.insert(url.to_string(), (), age);
        Ok(application)
    }

    /// Records a client kept from its document as registered (RFC 7591's table), so that
    /// staff see it marked and the clean-up deletes it once unused, like a registered one.
    /// No one holds its registration access token: the document is how it changes.
    async fn record_document_client(
        &self,
        application: &Application,
        document: String,
        now: time::OffsetDateTime,
    ) -> Result<(), OAuthError> {
        let unheld: warrant_model::Secret<String> =
            warrant_generators::random_urlsafe(32).map_err(crate::GrantsError::from)?;
        self.store
            .create_registration(&warrant_model::ClientRegistration {
                application_id: application.id,
                token_hash: warrant_generators::hash_token(unheld.expose()),
                metadata: document,
                registered_from: DOCUMENT_SOURCE.to_owned(),
                created_at: now,
            })
            .await?;
        Ok(())
    }

    /// Stores the described client as the application `client_id`, or brings the stored
    /// one up to date.
    async fn keep_described(
        &self,
        client_id: &ClientId,
        described: Described,
    ) -> Result<Application, OAuthError> {
        let now = time::OffsetDateTime::now_utc();
        let stored = self.store.application_by_client_id(client_id).await?;
        let application = match stored {
            None => {
                let registration = ApplicationRegistration {
                    client_id: Some(client_id.clone()),
                    ..ApplicationRegistration::by_the_client(
                        described.name,
                        ClientType::Public,
                        described.grant_types,
                        described.redirect_uris,
                    )
                };
                match self.register_application(registration, now).await {
                    Ok((application, _)) => {
                        self.record_document_client(&application, described.document, now)
                            .await?;
                        application
                    }
                    // Another request stored it first.
                    Err(crate::GrantsError::Store(warrant_storage::StoreError::Conflict(_))) => {
                        self.store
                            .application_by_client_id(client_id)
                            .await?
                            .ok_or(OAuthError::ServerError)?
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Some(application)
                if application.name == described.name
                    && application.redirect_uris == described.redirect_uris
                    && application.grant_types == described.grant_types =>
            {
                application
            }
            Some(application) => {
                let changes = ApplicationChanges {
                    name: described.name,
                    grant_types: described.grant_types,
                    redirect_uris: described.redirect_uris,
                    post_logout_redirect_uris: application.post_logout_redirect_uris.clone(),
                    allowed_origins: application.allowed_origins.clone(),
                    allowed_resources: None,
                    pkce_required: true,
                    algorithm: application.algorithm,
                    security: None,
                };
                self.update_application(application, changes, now).await?
            }
        };
        self.clients.forget(client_id);
        Ok(application)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const URL: &str = "https://client.example.com/mcp/client.json";

    fn read(document: Value) -> Result<Described, String> {
        described(&Url::parse(URL).unwrap(), document.to_string().as_bytes())
    }

    #[test]
    fn a_document_describes_a_public_client_at_its_own_url() {
        let client = read(json!({
            "client_id": URL,
            "client_name": "An MCP client",
            "redirect_uris": ["http://127.0.0.1:3000/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        }))
        .unwrap();
        assert_eq!(client.name, "An MCP client (client.example.com)");
        assert!(client.grant_types.allows(GrantType::RefreshToken));
        for (field, value) in [
            (
                "client_id",
                json!("https://elsewhere.example.com/client.json"),
            ),
            ("redirect_uris", json!([])),
            ("redirect_uris", json!(["javascript:alert(1)"])),
            ("token_endpoint_auth_method", json!("client_secret_basic")),
            ("grant_types", json!(["client_credentials"])),
            ("grant_types", json!("authorization_code")),
            ("client_name", json!(42)),
            ("client_secret", json!("s3cret")),
        ] {
            let mut document = json!({
                "client_id": URL,
                "redirect_uris": ["http://127.0.0.1:3000/callback"],
            });
            document[field] = value;
            assert!(read(document).is_err(), "{field}");
        }
        assert!(described(&Url::parse(URL).unwrap(), b"<html>").is_err());
    }

    #[test]
    fn hosts_and_addresses_are_checked() {
        let allowed = vec![
            "client.example.com".to_owned(),
            ".trusted.example".to_owned(),
        ];
        assert!(host_allowed("client.example.com", &allowed));
        assert!(host_allowed("a.trusted.example", &allowed));
        assert!(host_allowed("trusted.example", &allowed));
        assert!(!host_allowed("eviltrusted.example", &allowed));
        assert!(!host_allowed("other.example.com", &allowed));
        assert!(host_allowed("anything.example", &[]));
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "100.64.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:4700::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}
