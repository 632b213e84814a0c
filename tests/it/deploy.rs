//! The files in `deploy/` are what docs/deployment.md tells operators to install: the
//! production configuration loads, the systemd unit passes `systemd-analyze verify`
//! without a warning, and the nginx site passes `nginx -t`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{TestEnv, text};
use crate::tls::Certificates;

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(name)
}

pub async fn deploy_files_check_out(env: &TestEnv) {
    // The example configuration: every key known, the issuer and proxies as documented.
    let config = deploy_file("warrant.toml");
    let shown = env.run(
        &[
            "--config",
            &config.display().to_string(),
            "config",
            "show",
            "--json",
        ],
        None,
    );
    assert!(shown.status.success(), "{shown:?}");
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["server"]["issuer"], "https://auth.example.com");
    assert_eq!(shown["server"]["trusted_proxies"][0], "127.0.0.1");
    assert_eq!(shown["log"]["format"], "json");

    // The unit, with ExecStart pointing at the binary under test (verify wants it to exist).
    match which("systemd-analyze") {
        Some(analyze) => {
            let unit = std::fs::read_to_string(deploy_file("warrant.service"))
                .unwrap()
                .replace(
                    "/usr/local/bin/warrant",
                    &crate::support::warrant_binary().display().to_string(),
                );
            let path = env.dir.join("warrant.service");
            std::fs::write(&path, unit).unwrap();
            let output = Command::new(analyze)
                .args(["verify", "--man=no"])
                .arg(&path)
                .output()
                .unwrap();
            let complaints: Vec<&str> = std::str::from_utf8(&output.stderr)
                .unwrap()
                .lines()
                .filter(|line| line.contains("warrant.service"))
                .collect();
            assert!(
                output.status.success() && complaints.is_empty(),
                "systemd-analyze verify: {}",
                text(&output.stderr)
            );
        }
        None => eprintln!("systemd-analyze is not installed: the unit is not verified"),
    }

    // The nginx site, inside an http block, with a certificate that exists.
    let Some(nginx) = std::env::var_os("WARRANT_TEST_NGINX") else {
        eprintln!("WARRANT_TEST_NGINX is not set: the nginx site is not checked");
        return;
    };
    let dir = env.dir.join("nginx-check");
    let (certificate, key) = Certificates::make().write_leaf(&dir);
    let site = std::fs::read_to_string(deploy_file("nginx.conf"))
        .unwrap()
        .replace(
            "/etc/letsencrypt/live/auth.example.com/fullchain.pem",
            &certificate.display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/auth.example.com/privkey.pem",
            &key.display().to_string(),
        );
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             include {d}/site.conf;\n}}\n"
        ),
    )
    .unwrap();
    let output = Command::new(nginx)
        .args(["-t", "-p"])
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "nginx -t: {}",
        text(&output.stderr)
    );
}

/// `program`'s path, if it is on `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}
