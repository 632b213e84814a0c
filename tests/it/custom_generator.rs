//! A program built on warrant-server's library (examples/custom-generator, binary
//! `warrant-prefixed`) adds a generator kind; warrant.toml selects it like a built-in one,
//! and the tokens it issues have its shape. `warrant` itself does not know the kind.

use crate::support::{TestEnv, assert_one_line_error, binary};
use crate::token_endpoint::Setup;

const PREFIXED: &str = "[generators.access_token]\nkind = \"prefixed\"\nprefix = \"wrt_at_\"\n\n\
                        [generators.refresh_token]\nkind = \"prefixed\"\nprefix = \"wrt_rt_\"\n";

pub async fn a_generator_kind_of_ones_own_makes_the_tokens(env: &TestEnv) {
    std::fs::write(env.dir.join("warrant.toml"), PREFIXED).unwrap();
    assert_one_line_error(
        &env.run(&["user", "list"], None),
        "generators.access_token.kind: unknown generator kind \"prefixed\"",
    );

    env.run_by(binary("warrant-prefixed"));
    let setup = Setup::start(env).await;
    let reply = setup
        .token("grant_type=password&username=alice&password=correct-horse-battery")
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let tokens = reply.json();
    for (name, prefix) in [("access_token", "wrt_at_"), ("refresh_token", "wrt_rt_")] {
        let token = tokens[name].as_str().unwrap();
        let random = token
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{token}"));
        assert_eq!(random.len(), 43, "256 bits in base64url: {token}");
    }
    let introspected = setup
        .introspect(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["username"], "alice");
    let (status, _) = setup.server.get("/example/token-prefix").await;
    assert_eq!(
        status, 200,
        "the program's own route is mounted beside Warrant's"
    );

    std::fs::write(
        env.dir.join("warrant.toml"),
        "[generators.access_token]\nkind = \"prefixed\"\nprefix = \"wrt-at\"\n",
    )
    .unwrap();
    assert_one_line_error(
        &env.run(&["user", "list"], None),
        "generators.access_token.prefix: expected 1 to 16 letters, digits or underscores",
    );
}
