use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// One scope token (RFC 6749 §3.3): `1*( %x21 / %x23-5B / %x5D-7E )`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Scope(String);

impl Scope {
    /// Parses one scope token.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let valid = !value.is_empty()
            && value
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ModelError::Scope(value.to_owned()))
        }
    }

    /// The scope token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Scopes order as their names do, so a set can be searched by name.
impl std::borrow::Borrow<str> for Scope {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A set of scopes, written space-separated on the wire (RFC 6749 §3.3) and in the database.
/// Order and repetition carry no meaning, so the set is sorted and deduplicated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-delimited scope string; the empty string is the empty set.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        value
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(Scope::parse)
            .collect()
    }

    /// The empty set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Whether no scope is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.contains(scope)
    }

    /// Whether the scope named `name` is in the set.
    pub fn contains_name(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// Whether every scope of `self` is also in `other` (a refresh may only narrow).
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scopes in both sets.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl From<ScopeSet> for String {
    fn from(set: ScopeSet) -> Self {
        set.to_string()
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_refuses_characters_outside_rfc_6749() {
        assert!(Scope::parse("music:read").is_ok());
        for bad in ["", "a b", "quo\"te", "back\\slash", "tab\t", "ü"] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scope_set_is_sorted_deduplicated_and_round_trips() {
        let set = ScopeSet::parse("write read  read").unwrap();
        assert_eq!(set.to_string(), "read write");
        assert_eq!(ScopeSet::parse(&set.to_string()), Ok(set));
        assert_eq!(ScopeSet::parse(""), Ok(ScopeSet::empty()));
        assert!(ScopeSet::parse("read \"bad\"").is_err());
    }

    #[test]
    fn subset_and_intersection() {
        let all = ScopeSet::parse("read write admin").unwrap();
        let some = ScopeSet::parse("read").unwrap();
        assert!(some.is_subset(&all) && !all.is_subset(&some));
        assert_eq!(all.intersection(&some), some);
    }

    #[test]
    fn a_set_is_searched_by_name() {
        let set = ScopeSet::parse("openid profile").unwrap();
        assert!(set.contains_name("openid") && set.contains_name("profile"));
        assert!(!set.contains_name("email") && !set.contains_name("open"));
    }
}
