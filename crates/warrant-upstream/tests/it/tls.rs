//! The real client over TLS: a provider on loopback with a certificate from a private CA
//! (made by openssl, as operators make them) is reached when that CA is trusted, and
//! refused when it is not.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;
use warrant_upstream::{HttpClient, HttpRequest, HyperClient, Method, UpstreamError};

/// A private CA's certificate, and a certificate for 127.0.0.1 it signed with its key
/// (all PEM): `(ca, certificate, key)`.
fn certificates() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = std::env::temp_dir().join(crate::unique("tls"));
    std::fs::create_dir_all(&dir).unwrap();
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("openssl is needed for this test (.ci/run installs it)");
        assert!(output.status.success(), "{output:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "1", "-subj", "/CN=Test CA"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(&ca);
    let mut request = vec!["req", "-subj", "/CN=127.0.0.1"];
    request.extend(ec);
    request.extend(["-keyout", "key.pem", "-out", "leaf.csr"]);
    openssl(&request);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    (read("ca.pem"), read("cert.pem"), read("key.pem"))
}

/// Serves `{"ok":true}` over TLS on a free port until the test ends; its URL.
async fn provider(cert: &[u8], key: &[u8]) -> Url {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("https://{}/me", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = vec![0; 4096];
                let _ = tls.read(&mut request).await;
                let body = r#"{"ok":true}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

fn get(url: &Url) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url: url.clone(),
        authorization: None,
        form: None,
    }
}

#[tokio::test]
async fn providers_are_reached_over_tls_with_a_trusted_certificate_only() {
    let (ca, cert, key) = certificates();
    let url = provider(&cert, &key).await;

    let trusting = HyperClient::trusting(Duration::from_secs(5), &ca).unwrap();
    let answer = trusting.send(get(&url)).await.unwrap();
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, br#"{"ok":true}"#.as_slice())
    );

    let public_roots_only = HyperClient::new(Duration::from_secs(5)).unwrap();
    let refused = public_roots_only.send(get(&url)).await;
    assert!(
        matches!(&refused, Err(UpstreamError::Unreachable { reason, .. }) if reason.contains("certificate")),
        "{refused:?}"
    );
}
