//! Property tests: the parsers at Warrant's edge never panic, and what they accept
//! round-trips unchanged.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use proptest::prelude::*;
use warrant_model::{
    ClientId, Email, GrantTypes, Origin, RedirectUri, RedirectUriPolicy, Scope, ScopeSet,
    TokenHash, Username,
};

const POLICIES: [RedirectUriPolicy; 2] = [
    RedirectUriPolicy {
        allow_insecure_http: false,
    },
    RedirectUriPolicy {
        allow_insecure_http: true,
    },
];

proptest! {
    #[test]
    fn parsers_never_panic(input in any::<String>()) {
        for policy in POLICIES {
            let _ = RedirectUri::parse(&input, policy);
        }
        let _ = ScopeSet::parse(&input);
        let _ = ClientId::parse(&input);
        let _ = Username::parse(&input);
        let _ = Email::parse(&input);
        let _ = Origin::parse(&input);
        let _ = GrantTypes::parse(&input);
        let _ = TokenHash::from_hex(&input);
    }

    #[test]
    fn accepted_redirect_uris_keep_their_exact_text(input in "(https|http|com\\.example\\.app)://?[a-zA-Z0-9.:\\[\\]@%-]{0,30}(/[ -~]{0,30})?") {
        for policy in POLICIES {
            if let Ok(uri) = RedirectUri::parse(&input, policy) {
                prop_assert_eq!(uri.as_str(), input.as_str());
                prop_assert!(!input.contains('#'));
                prop_assert_eq!(RedirectUri::parse(uri.as_str(), policy), Ok(uri.clone()));
            }
        }
    }

    #[test]
    fn https_redirect_uris_on_real_hosts_are_accepted(host in "[a-z]{1,12}(\\.[a-z]{1,8}){1,3}", path in "(/[a-zA-Z0-9._~-]{1,12}){0,4}") {
        let uri = format!("https://{host}{path}");
        prop_assert!(RedirectUri::parse(&uri, RedirectUriPolicy::default()).is_ok(), "{}", uri);
        let plain = format!("http://{host}{path}");
        prop_assert!(RedirectUri::parse(&plain, RedirectUriPolicy::default()).is_err(), "{}", plain);
    }

    #[test]
    fn scope_sets_round_trip(tokens in proptest::collection::vec("[!#-\\[\\]-~]{1,12}", 0..8)) {
        let set = ScopeSet::parse(&tokens.join(" ")).unwrap();
        for token in &tokens {
            prop_assert!(set.contains(&Scope::parse(token).unwrap()));
        }
        prop_assert_eq!(ScopeSet::parse(&set.to_string()), Ok(set.clone()));
    }

    #[test]
    fn token_hashes_round_trip_through_hex(bytes in any::<[u8; 32]>()) {
        let hash = TokenHash::from_digest(bytes);
        prop_assert_eq!(TokenHash::from_hex(&hash.to_hex()), Ok(hash));
    }

    #[test]
    fn valid_client_ids_round_trip(id in "[!-9;-~]{1,255}") {
        prop_assert_eq!(ClientId::parse(&id).map(|c| c.as_str().to_owned()), Ok(id));
    }
}
