//! `[upstream.<key>]` tables and their errors.

use std::collections::BTreeMap;

use warrant_upstream::{ProviderConfig, UpstreamError, providers};

pub fn parse(toml_text: &str) -> Result<Vec<warrant_upstream::Provider>, UpstreamError> {
    let configs: BTreeMap<String, ProviderConfig> = toml::from_str(toml_text).unwrap();
    providers(&configs)
}

fn error(toml_text: &str) -> String {
    parse(toml_text).unwrap_err().to_string()
}

#[test]
fn each_preset_parses_with_its_defaults() {
    let providers = parse(
        r#"
        [github]
        preset = "github"
        client_id = "gh"
        client_secret = "s"

        [google]
        preset = "oidc"
        name = "Google"
        issuer = "https://accounts.google.com"
        client_id = "g"
        client_secret = "s"

        [corp]
        preset = "oauth2"
        authorize_url = "https://sso.corp.example/authorize"
        token_url = "https://sso.corp.example/token"
        userinfo_url = "https://sso.corp.example/me"
        client_id = "c"
        client_secret = "s"
        fields = { id = "data.id", username = "data.login", email = "data.mail" }
        "#,
    )
    .unwrap();
    let names: Vec<(&str, &str)> = providers
        .iter()
        .map(|p| (p.key().as_str(), p.name()))
        .collect();
    assert_eq!(
        names,
        vec![("corp", "corp"), ("github", "GitHub"), ("google", "Google")]
    );
}

#[test]
fn configuration_errors_name_their_key() {
    for (config, expected) in [
        (
            "[x]\npreset = \"facebook\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.preset: \"facebook\": expected oidc, github, gitlab, bitbucket or oauth2",
        ),
        (
            "[x]\npreset = \"oidc\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.issuer: required with preset \"oidc\"",
        ),
        (
            "[x]\npreset = \"oidc\"\nissuer = \"ftp://idp.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.issuer: must be an http(s) URL",
        ),
        (
            "[x]\npreset = \"oidc\"\nissuer = \"https://me:pw@idp.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.issuer: must not carry credentials",
        ),
        (
            "[x]\npreset = \"github\"\nissuer = \"https://idp.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.issuer: does not apply to preset \"github\"",
        ),
        (
            "[x]\npreset = \"oauth2\"\ntrust_email = true\nauthorize_url = \"https://a.example/a\"\ntoken_url = \"https://a.example/t\"\nuserinfo_url = \"https://a.example/u\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.trust_email: does not apply to preset \"oauth2\"",
        ),
        (
            "[x]\npreset = \"oauth2\"\nauthorize_url = \"https://a.example/a\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.x.userinfo_url: required with preset \"oauth2\"",
        ),
        (
            "[x]\npreset = \"github\"\nclient_id = \"\"\nclient_secret = \"s\"\n",
            "upstream.x.client_id: must not be empty",
        ),
        (
            "[Bad_Key]\npreset = \"github\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "upstream.Bad_Key: a provider key is 1 to 64 lower-case letters, digits, - and _",
        ),
    ] {
        assert_eq!(error(config), expected, "{config}");
    }
}
