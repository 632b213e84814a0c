use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use warrant_model::{ClientId, Resources, ScopeSet, Secret, SigningAlgorithm, Timestamp};

use crate::{GeneratorError, SigningKeyPair};

/// Makes values that need no context: client ids, client secrets, opaque tokens.
pub trait Generator: Send + Sync {
    /// A fresh value.
    fn generate(&self) -> Result<String, GeneratorError>;

    /// Bits of entropy per value. Warrant stores only a fast hash of secrets and tokens, so
    /// it refuses a generator for those slots that states fewer than 128 bits, or states
    /// nothing without opting out ([`Generator::unstated_entropy_is_fine`]).
    fn entropy_bits(&self) -> Option<u32> {
        None
    }

    /// Opts out of stating [`Generator::entropy_bits`] for secret and token slots: the
    /// author vouches that its values cannot be guessed.
    fn unstated_entropy_is_fine(&self) -> bool {
        false
    }
}

/// What a token generator may put into a token (e.g. JWT access tokens, RFC 9068).
#[derive(Debug, Clone)]
pub struct TokenContext<'a> {
    /// The client the token is issued to.
    pub client_id: &'a ClientId,
    /// The subject (user id as a string), if a user granted the token.
    pub subject: Option<&'a str>,
    /// Granted scopes.
    pub scope: &'a ScopeSet,
    /// The resources the token is for (RFC 8707): its audience, when the client named any.
    pub resources: &'a Resources,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// The issuer identifier (`iss`).
    pub issuer: &'a str,
    /// The key to sign with, for a generator that asked for one
    /// ([`TokenGenerator::signing_algorithm`]).
    pub signer: Option<&'a SigningKeyPair>,
    /// The thumbprint of the DPoP key the token is bound to (RFC 9449 `cnf.jkt`).
    pub dpop_jkt: Option<&'a str>,
}

/// Makes access or refresh tokens, possibly from claims.
pub trait TokenGenerator: Send + Sync {
    /// A fresh token for `context`.
    fn generate_token(&self, context: &TokenContext<'_>) -> Result<String, GeneratorError>;

    /// The algorithm of the signing key this generator needs in its context, if it signs.
    fn signing_algorithm(&self) -> Option<SigningAlgorithm> {
        None
    }

    /// See [`Generator::entropy_bits`].
    fn entropy_bits(&self) -> Option<u32> {
        None
    }

    /// See [`Generator::unstated_entropy_is_fine`].
    fn unstated_entropy_is_fine(&self) -> bool {
        false
    }
}

impl<G: Generator + ?Sized> TokenGenerator for G {
    fn generate_token(&self, _context: &TokenContext<'_>) -> Result<String, GeneratorError> {
        self.generate()
    }

    fn entropy_bits(&self) -> Option<u32> {
        Generator::entropy_bits(self)
    }

    fn unstated_entropy_is_fine(&self) -> bool {
        Generator::unstated_entropy_is_fine(self)
    }
}

/// One `[generators.<slot>]` table: a kind and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorConfig {
    /// Registered name of the generator.
    pub kind: String,
    /// Everything else in the table, handed to the kind's constructor.
    #[serde(flatten)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl GeneratorConfig {
    fn new(kind: &str, params: &[(&str, serde_json::Value)]) -> Self {
        let params = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        Self {
            kind: kind.to_owned(),
            params,
        }
    }
}

/// The `[generators]` section: which generator makes each kind of value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorsConfig {
    /// Client ids; Django OAuth Toolkit's `CLIENT_ID_GENERATOR_CLASS`.
    pub client_id: GeneratorConfig,
    /// Client secrets; DOT's `CLIENT_SECRET_GENERATOR_CLASS` / `CLIENT_SECRET_GENERATOR_LENGTH`.
    pub client_secret: GeneratorConfig,
    /// Access tokens; DOT's `ACCESS_TOKEN_GENERATOR`.
    pub access_token: GeneratorConfig,
    /// Refresh tokens; DOT's `REFRESH_TOKEN_GENERATOR`.
    pub refresh_token: GeneratorConfig,
}

impl Default for GeneratorsConfig {
    fn default() -> Self {
        Self {
            client_id: GeneratorConfig::new("random", &[("length", 40.into())]),
            client_secret: GeneratorConfig::new("random", &[("length", 128.into())]),
            access_token: GeneratorConfig::new("opaque", &[]),
            refresh_token: GeneratorConfig::new("opaque", &[]),
        }
    }
}

/// A generator table's parameters, with the config key they came from so that errors
/// name it.
#[derive(Debug)]
pub struct Params<'a> {
    key: String,
    values: &'a serde_json::Map<String, serde_json::Value>,
}

impl Params<'_> {
    /// An error naming `generators.<slot>.<param>`.
    pub fn error(&self, param: &str, reason: impl Into<String>) -> GeneratorError {
        GeneratorError::BadParameter {
            key: format!("{}.{param}", self.key),
            reason: reason.into(),
        }
    }

    /// Refuses parameters the kind does not know (catches typos such as `lenght`).
    pub fn allow_only(&self, known: &[&str]) -> Result<(), GeneratorError> {
        match self
            .values
            .keys()
            .find(|name| !known.contains(&name.as_str()))
        {
            Some(name) => Err(self.error(name, "unknown parameter")),
            None => Ok(()),
        }
    }

    /// An optional non-negative integer parameter.
    pub fn usize(&self, name: &str) -> Result<Option<usize>, GeneratorError> {
        self.values
            .get(name)
            .map(|value| {
                value
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| self.error(name, "expected a non-negative integer"))
            })
            .transpose()
    }

    /// An optional string parameter.
    pub fn string(&self, name: &str) -> Result<Option<String>, GeneratorError> {
        self.values
            .get(name)
            .map(|value| {
                value
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.error(name, "expected a string"))
            })
            .transpose()
    }
}

type Constructor =
    Box<dyn Fn(&Params<'_>) -> Result<Arc<dyn Generator>, GeneratorError> + Send + Sync>;
type TokenConstructor =
    Box<dyn Fn(&Params<'_>) -> Result<Arc<dyn TokenGenerator>, GeneratorError> + Send + Sync>;

/// Generator kinds by name. Start from [`Registry::with_builtins`], register your own,
/// then [`Registry::build`] the generators config selects.
#[derive(Default)]
pub struct Registry {
    values: BTreeMap<String, Constructor>,
    tokens: BTreeMap<String, TokenConstructor>,
}

/// Smallest entropy accepted for client secrets and tokens.
const MIN_SECRET_BITS: u32 = 128;

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with Warrant's kinds: `random` and `opaque`.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        crate::builtins::register(&mut registry);
        registry
    }

    /// Registers (or replaces) a kind usable for every slot.
    pub fn register<F>(&mut self, kind: &str, constructor: F)
    where
        F: Fn(&Params<'_>) -> Result<Arc<dyn Generator>, GeneratorError> + Send + Sync + 'static,
    {
        self.values.insert(kind.to_owned(), Box::new(constructor));
    }

    /// Registers (or replaces) a kind usable only for access and refresh tokens.
    pub fn register_token<F>(&mut self, kind: &str, constructor: F)
    where
        F: Fn(&Params<'_>) -> Result<Arc<dyn TokenGenerator>, GeneratorError>
            + Send
            + Sync
            + 'static,
    {
        self.tokens.insert(kind.to_owned(), Box::new(constructor));
    }

    /// Builds every generator `config` selects; errors name the config key.
    pub fn build(&self, config: &GeneratorsConfig) -> Result<Generators, GeneratorError> {
        let client_id = self.value("generators.client_id", &config.client_id)?;
        let client_secret = self.value("generators.client_secret", &config.client_secret)?;
        let access_token = self.token("generators.access_token", &config.access_token)?;
        let refresh_token = self.token("generators.refresh_token", &config.refresh_token)?;
        let secret_slots = [
            (
                "generators.client_secret",
                &config.client_secret.kind,
                Generator::entropy_bits(&*client_secret),
                Generator::unstated_entropy_is_fine(&*client_secret),
            ),
            (
                "generators.access_token",
                &config.access_token.kind,
                access_token.entropy_bits(),
                access_token.unstated_entropy_is_fine(),
            ),
            (
                "generators.refresh_token",
                &config.refresh_token.kind,
                refresh_token.entropy_bits(),
                refresh_token.unstated_entropy_is_fine(),
            ),
        ];
        if refresh_token.signing_algorithm().is_some() {
            return Err(GeneratorError::BadParameter {
                key: "generators.refresh_token.kind".into(),
                reason: format!(
                    "{:?} makes signed access tokens; refresh tokens stay opaque",
                    config.refresh_token.kind
                ),
            });
        }
        for (key, kind, bits, unstated_is_fine) in secret_slots {
            let reason = match bits {
                Some(bits) if bits < MIN_SECRET_BITS => format!(
                    "makes values of {bits} bits of entropy; at least {MIN_SECRET_BITS} are required"
                ),
                None if !unstated_is_fine => format!(
                    "kind {kind:?} does not state its entropy (entropy_bits), which secrets and tokens need; state it, or opt out with unstated_entropy_is_fine"
                ),
                _ => continue,
            };
            return Err(GeneratorError::BadParameter {
                key: key.to_owned(),
                reason,
            });
        }
        Ok(Generators {
            client_id,
            client_secret,
            access_token,
            refresh_token,
        })
    }

    fn params<'a>(key: &str, config: &'a GeneratorConfig) -> Params<'a> {
        Params {
            key: key.to_owned(),
            values: &config.params,
        }
    }

    fn value(
        &self,
        key: &str,
        config: &GeneratorConfig,
    ) -> Result<Arc<dyn Generator>, GeneratorError> {
        match self.values.get(&config.kind) {
            Some(constructor) => constructor(&Self::params(key, config)),
            None if self.tokens.contains_key(&config.kind) => Err(GeneratorError::TokenOnlyKind {
                key: format!("{key}.kind"),
                kind: config.kind.clone(),
            }),
            None => Err(self.unknown(key, config)),
        }
    }

    fn token(
        &self,
        key: &str,
        config: &GeneratorConfig,
    ) -> Result<Arc<dyn TokenGenerator>, GeneratorError> {
        if let Some(constructor) = self.tokens.get(&config.kind) {
            return constructor(&Self::params(key, config));
        }
        match self.values.get(&config.kind) {
            Some(constructor) => {
                let generator = constructor(&Self::params(key, config))?;
                Ok(Arc::new(AsToken(generator)))
            }
            None => Err(self.unknown(key, config)),
        }
    }

    fn unknown(&self, key: &str, config: &GeneratorConfig) -> GeneratorError {
        let known: Vec<&str> = self
            .values
            .keys()
            .chain(self.tokens.keys())
            .map(String::as_str)
            .collect();
        GeneratorError::UnknownKind {
            key: format!("{key}.kind"),
            kind: config.kind.clone(),
            known: known.join(", "),
        }
    }
}

/// Lets a shared value generator fill a token slot.
struct AsToken(Arc<dyn Generator>);

impl TokenGenerator for AsToken {
    fn generate_token(&self, _context: &TokenContext<'_>) -> Result<String, GeneratorError> {
        self.0.generate()
    }

    fn entropy_bits(&self) -> Option<u32> {
        self.0.entropy_bits()
    }

    fn unstated_entropy_is_fine(&self) -> bool {
        self.0.unstated_entropy_is_fine()
    }
}

/// The generators a running server uses, built from config by [`Registry::build`].
#[derive(Clone)]
pub struct Generators {
    client_id: Arc<dyn Generator>,
    client_secret: Arc<dyn Generator>,
    access_token: Arc<dyn TokenGenerator>,
    refresh_token: Arc<dyn TokenGenerator>,
}

impl Generators {
    /// A fresh client id.
    pub fn new_client_id(&self) -> Result<ClientId, GeneratorError> {
        let value = self.client_id.generate()?;
        ClientId::parse(&value).map_err(|e| GeneratorError::BadParameter {
            key: "generators.client_id".into(),
            reason: format!("generated an invalid client id: {e}"),
        })
    }

    /// A fresh client secret, to show once and store hashed.
    pub fn new_client_secret(&self) -> Result<Secret<String>, GeneratorError> {
        self.client_secret.generate().map(Secret::new)
    }

    /// The algorithm of the key the access-token generator signs with, if it signs.
    pub fn access_token_signing_algorithm(&self) -> Option<SigningAlgorithm> {
        self.access_token.signing_algorithm()
    }

    /// A fresh access token.
    pub fn new_access_token(
        &self,
        context: &TokenContext<'_>,
    ) -> Result<Secret<String>, GeneratorError> {
        self.access_token.generate_token(context).map(Secret::new)
    }

    /// A fresh refresh token.
    pub fn new_refresh_token(
        &self,
        context: &TokenContext<'_>,
    ) -> Result<Secret<String>, GeneratorError> {
        self.refresh_token.generate_token(context).map(Secret::new)
    }
}

impl std::fmt::Debug for Generators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Generators { .. }")
    }
}
