//! HTTPS for every call Warrant makes: a private CA made by openssl (as operators make
//! them), a TLS-terminating proxy with its certificate in front of a plain-http peer, and
//! the outgoing client reaching it only when that CA is trusted.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;
use warrant_outgoing::{Client, ClientOptions, OutgoingError, Request};

use crate::support::{Server, TestEnv};

/// A private CA and a certificate for 127.0.0.1 it signed.
pub struct Certificates {
    /// The CA's certificate (PEM), what a peer is told to trust.
    pub ca: Vec<u8>,
    certificate: Vec<u8>,
    key: Vec<u8>,
}

impl Certificates {
    pub fn make() -> Self {
        let (ca, certificate, key) = certificates();
        Self {
            ca,
            certificate,
            key,
        }
    }

    /// Writes the certificate for 127.0.0.1 and its key into `dir` (made if missing): their
    /// paths, for a server that serves them.
    pub fn write_leaf(&self, dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
        std::fs::create_dir_all(dir).unwrap();
        let (certificate, key) = (dir.join("server.pem"), dir.join("server.key"));
        std::fs::write(&certificate, &self.certificate).unwrap();
        std::fs::write(&key, &self.key).unwrap();
        (certificate, key)
    }

    /// Writes the CA certificate into `dir`; its path.
    pub fn write_ca(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("private-ca.pem");
        std::fs::write(&path, &self.ca).unwrap();
        path
    }

    /// A TLS-terminating proxy on a free loopback port in front of `target` (plain
    /// HTTP), serving this certificate until the test ends; its `https://` base URL.
    pub async fn proxy(&self, target: SocketAddr) -> String {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.certificate)
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(&self.key).unwrap();
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
        let base_url = format!("https://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        base_url
    }
}

/// A private CA's certificate, and a certificate for 127.0.0.1 it signed with its key
/// (all PEM): `(ca, certificate, key)`.
fn certificates() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!(
        "warrant_tls_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
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

/// The address a test server listens on.
pub fn address_of(server: &Server) -> SocketAddr {
    server
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

/// The outgoing client reaches an https peer behind a private CA when told to trust it,
/// and refuses it otherwise.
pub async fn peers_are_reached_over_tls_with_a_trusted_certificate_only(env: &TestEnv) {
    let server = Server::start(env.command(&["serve"])).await;
    let certificates = Certificates::make();
    let base_url = certificates.proxy(address_of(&server)).await;
    let healthz = Url::parse(&format!("{base_url}healthz")).unwrap();

    let trusting = Client::new(&ClientOptions {
        trusted_pem: certificates.ca.clone(),
        ..ClientOptions::new(Duration::from_secs(5))
    })
    .unwrap();
    let answer = trusting.send(Request::get(healthz.clone())).await.unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");

    let public_roots_only = Client::new(&ClientOptions::new(Duration::from_secs(5))).unwrap();
    let refused = public_roots_only.send(Request::get(healthz)).await;
    assert!(
        matches!(&refused, Err(OutgoingError::Unreachable { reason, .. }) if reason.contains("certificate")),
        "{refused:?}"
    );
}
