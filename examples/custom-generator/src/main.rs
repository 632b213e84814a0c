//! `warrant-prefixed`: the `warrant` command line with one more generator kind,
//! `prefixed`: 256 random bits in base64url behind a fixed prefix, so that leaked tokens are
//! easy to recognise (as GitHub's `ghp_` tokens are) by secret scanners. Selected in
//! warrant.toml like a built-in kind:
//!
//! ```toml
//! [generators.access_token]
//! kind = "prefixed"
//! prefix = "wrt_at_"
//! ```
//!
//! It also mounts a route of its own, `GET /example/token-prefix`, beside Warrant's.

#![forbid(unsafe_code)]

use std::sync::Arc;

use warrant_generators::{Generator, GeneratorError, Params, random_urlsafe};

/// Random bytes in each value: 256 bits.
const BYTES: usize = 32;

/// `kind = "prefixed"`, with its `prefix` (letters, digits and `_`, at most 16).
struct Prefixed {
    prefix: String,
}

impl Prefixed {
    fn from_params(params: &Params<'_>) -> Result<Self, GeneratorError> {
        params.allow_only(&["prefix"])?;
        let prefix = params
            .string("prefix")?
            .ok_or_else(|| params.error("prefix", "required"))?;
        let fits = !prefix.is_empty()
            && prefix.len() <= 16
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !fits {
            return Err(params.error("prefix", "expected 1 to 16 letters, digits or underscores"));
        }
        Ok(Self { prefix })
    }
}

impl Generator for Prefixed {
    fn generate(&self) -> Result<String, GeneratorError> {
        let random = random_urlsafe(BYTES)?;
        Ok(format!("{}{}", self.prefix, random.expose()))
    }

    fn entropy_bits(&self) -> Option<u32> {
        u32::try_from(BYTES * 8).ok()
    }
}

/// A route of this program's own, mounted beside Warrant's.
#[rocket::get("/token-prefix")]
fn token_prefix() -> &'static str {
    "access tokens of this server start with the prefix its warrant.toml names"
}

fn main() -> std::process::ExitCode {
    warrant_server::Warrant::new()
        .generators(|registry| {
            registry.register("prefixed", |params| {
                Ok(Arc::new(Prefixed::from_params(params)?))
            });
        })
        .rocket(|rocket| rocket.mount("/example", rocket::routes![token_prefix]))
        .main()
}
