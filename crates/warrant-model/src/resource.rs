//! Resource indicators (RFC 8707): the protected resources a token is meant for, which
//! become its audience.

use std::collections::BTreeSet;
use std::fmt;

use url::Url;

use crate::ModelError;

/// A resource indicator: an absolute URI with a host, without fragment or user
/// information (RFC 8707 §2), kept as the client spelt it (resource servers compare the
/// token's audience with their identifier exactly).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceUri(String);

impl ResourceUri {
    /// Parses one indicator.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let invalid = |reason| ModelError::Resource {
            uri: value.to_owned(),
            reason,
        };
        if value.chars().any(char::is_whitespace) {
            return Err(invalid("it holds whitespace"));
        }
        let url = Url::parse(value).map_err(|_| invalid("it is not an absolute URI"))?;
        if url.fragment().is_some() || value.contains('#') {
            return Err(invalid("it has a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it has user information"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        Ok(Self(value.to_owned()))
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The resources a grant or token is for; empty when the client named none (the token is
/// then for any resource that accepts Warrant's tokens, as before RFC 8707).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources(BTreeSet<ResourceUri>);

impl Resources {
    /// Parses indicators separated by spaces (how a repeated `resource` parameter and the
    /// database carry them; an indicator never holds a space).
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        text.split_ascii_whitespace()
            .map(ResourceUri::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// No resource named.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every resource of `self` is one of `other`'s.
    pub fn is_subset(&self, other: &Resources) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The first of `self`'s resources that `other` lacks.
    pub fn first_outside<'a>(&'a self, other: &Resources) -> Option<&'a ResourceUri> {
        self.0.iter().find(|uri| !other.0.contains(*uri))
    }

    /// The resources, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ResourceUri> {
        self.0.iter()
    }

    /// Whether `uri` is one of them.
    pub fn contains(&self, uri: &ResourceUri) -> bool {
        self.0.contains(uri)
    }

    /// The space-separated form [`Resources::parse`] reads.
    pub fn to_stored(&self) -> String {
        let uris: Vec<&str> = self.0.iter().map(ResourceUri::as_str).collect();
        uris.join(" ")
    }
}

impl FromIterator<ResourceUri> for Resources {
    fn from_iter<I: IntoIterator<Item = ResourceUri>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indicator_is_an_absolute_uri_with_a_host_and_no_fragment() {
        for good in [
            "https://mcp.example.com/",
            "https://api.example.com/v1?tenant=a",
            "http://127.0.0.1:8080/mcp",
        ] {
            assert_eq!(ResourceUri::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "/relative",
            "https://api.example.com/#top",
            "https://api.example.com/#",
            "https://user@api.example.com/",
            "urn:example:resource",
            "https://api.example.com/a b",
        ] {
            assert!(ResourceUri::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_set_round_trips_and_compares() {
        let both = Resources::parse("https://b.example/ https://a.example/").unwrap();
        assert_eq!(both.to_stored(), "https://a.example/ https://b.example/");
        assert_eq!(Resources::parse(&both.to_stored()).unwrap(), both);
        let one = Resources::parse("https://a.example/").unwrap();
        assert!(one.is_subset(&both) && !both.is_subset(&one));
        assert_eq!(
            both.first_outside(&one).map(ResourceUri::as_str),
            Some("https://b.example/")
        );
        assert!(Resources::parse("").unwrap().is_empty());
    }
}
