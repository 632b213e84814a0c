//! Resource indicators (RFC 8707): which resources a request may name, how a token request
//! or refresh may narrow them, and which scopes a token for them carries. The resources
//! become the access token's audience (`aud`), which resource servers check.

use std::collections::BTreeMap;

use warrant_model::{Application, ResourceUri, Resources, ScopeSet};

use crate::OAuthError;
use crate::oidc::OIDC_SCOPES;

/// The resources this server issues tokens for, each with the scopes a token for it may
/// carry (`None`: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceCatalog {
    served: BTreeMap<ResourceUri, Option<ScopeSet>>,
}

impl ResourceCatalog {
    /// A catalog of `served` resources. An empty one accepts any resource (as Django OAuth
    /// Toolkit does; its resource servers check the audience).
    pub fn new(served: BTreeMap<ResourceUri, Option<ScopeSet>>) -> Self {
        Self { served }
    }

    /// The configured resources, in order.
    pub fn served(&self) -> impl Iterator<Item = &ResourceUri> {
        self.served.keys()
    }

    /// `invalid_target` for the first of `requested` this server does not serve.
    pub(crate) fn check(&self, requested: &Resources) -> Result<(), OAuthError> {
        if self.served.is_empty() {
            return Ok(());
        }
        match requested.iter().find(|uri| !self.served.contains_key(*uri)) {
            Some(unknown) => Err(OAuthError::InvalidTarget(format!(
                "resource {unknown} is not served here"
            ))),
            None => Ok(()),
        }
    }

    /// `scope` without the scopes none of `resources` offers (OpenID Connect's stay: they
    /// are about the user, for the client); `invalid_scope` when nothing that was asked
    /// for is left. Unchanged without resources, or when one of them takes any scope.
    pub(crate) fn scope_for(
        &self,
        scope: ScopeSet,
        resources: &Resources,
    ) -> Result<ScopeSet, OAuthError> {
        let mut offered = Vec::new();
        for uri in resources.iter() {
            match self.served.get(uri) {
                Some(Some(scopes)) => offered.push(scopes),
                _ => return Ok(scope),
            }
        }
        if offered.is_empty() {
            return Ok(scope);
        }
        let kept: ScopeSet = scope
            .iter()
            .filter(|s| {
                OIDC_SCOPES.iter().any(|(name, _)| s.as_str() == *name)
                    || offered.iter().any(|set| set.contains_name(s.as_str()))
            })
            .cloned()
            .collect();
        if kept.is_empty() && !scope.is_empty() {
            return Err(OAuthError::InvalidScope(format!(
                "no requested scope is offered by the resource {}",
                resources.to_stored()
            )));
        }
        Ok(kept)
    }
}

/// A request's `resource` parameters (RFC 8707 §2; the HTTP layer joins repeated ones with
/// spaces); absent means none. A malformed one is `invalid_target`.
pub fn requested_resources(resource: Option<&str>) -> Result<Resources, OAuthError> {
    match resource {
        Some(text) => {
            Resources::parse(text).map_err(|error| OAuthError::InvalidTarget(error.to_string()))
        }
        None => Ok(Resources::default()),
    }
}

/// The resources a new grant of `application` is for: those `requested`, each of which it
/// must be allowed (`invalid_target` otherwise), or, when it names none, all it is allowed.
/// An application allowed none in particular gets what it asks for.
pub(crate) fn for_client(
    application: &Application,
    requested: Resources,
) -> Result<Resources, OAuthError> {
    let allowed = &application.allowed_resources;
    if allowed.is_empty() {
        return Ok(requested);
    }
    if requested.is_empty() {
        return Ok(allowed.clone());
    }
    match requested.first_outside(allowed) {
        Some(uri) => Err(OAuthError::InvalidTarget(format!(
            "resource {uri} is not one this client may ask for"
        ))),
        None => Ok(requested),
    }
}

/// The resources a token request continuing a grant for `granted` gets: what it names, if
/// all of it was granted (RFC 8707 §2.2: a token request may narrow, never widen), or
/// else all that was granted.
pub(crate) fn narrowed(granted: &Resources, requested: Resources) -> Result<Resources, OAuthError> {
    if requested.is_empty() {
        return Ok(granted.clone());
    }
    if granted.is_empty() {
        return Ok(requested);
    }
    match requested.first_outside(granted) {
        Some(uri) => Err(OAuthError::InvalidTarget(format!(
            "resource {uri} was not part of the grant"
        ))),
        None => Ok(requested),
    }
}

/// The resources the refresh token of a continued grant keeps: the grant's, or, for a grant
/// that named none, those the new access token is for.
pub(crate) fn kept_by_grant(granted: &Resources, issued: &Resources) -> Resources {
    if granted.is_empty() {
        issued.clone()
    } else {
        granted.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(text: &str) -> Resources {
        Resources::parse(text).unwrap()
    }

    fn scope(text: &str) -> ScopeSet {
        ScopeSet::parse(text).unwrap()
    }

    #[test]
    fn a_grant_narrows_but_never_widens() {
        let granted = resources("https://a.example/ https://b.example/");
        assert_eq!(narrowed(&granted, Resources::default()).unwrap(), granted);
        let one = resources("https://a.example/");
        assert_eq!(narrowed(&granted, one.clone()).unwrap(), one);
        let wider = resources("https://c.example/");
        assert!(matches!(
            narrowed(&one, wider.clone()),
            Err(OAuthError::InvalidTarget(_))
        ));
        assert_eq!(
            narrowed(&Resources::default(), wider.clone()).unwrap(),
            wider
        );
    }

    #[test]
    fn a_catalog_admits_its_resources_and_their_scopes() {
        let mcp = ResourceUri::parse("https://mcp.example/").unwrap();
        let api = ResourceUri::parse("https://api.example/").unwrap();
        let catalog = ResourceCatalog::new(BTreeMap::from([
            (mcp.clone(), Some(scope("mcp:tools"))),
            (api.clone(), None),
        ]));
        assert!(catalog.check(&resources("https://mcp.example/")).is_ok());
        assert!(matches!(
            catalog.check(&resources("https://other.example/")),
            Err(OAuthError::InvalidTarget(_))
        ));
        let asked = scope("openid mcp:tools read");
        assert_eq!(
            catalog
                .scope_for(asked.clone(), &resources("https://mcp.example/"))
                .unwrap(),
            scope("openid mcp:tools")
        );
        let both = resources("https://mcp.example/ https://api.example/");
        assert_eq!(catalog.scope_for(asked.clone(), &both).unwrap(), asked);
        assert!(matches!(
            catalog.scope_for(scope("read"), &resources("https://mcp.example/")),
            Err(OAuthError::InvalidScope(_))
        ));
        assert!(ResourceCatalog::default().check(&both).is_ok());
    }
}
