//! `[server.https]` and `[upstreams]`: from the PEM files flowgate.toml
//! names to the TLS configs that new handshakes use, the listener's and each
//! upstream client's.
//!
//! The files are read by [`crate::config::load_root`] with the rest of the
//! root, so a changed certificate is a changed root and a reload builds a new
//! config; this module only turns their bytes into a [`ServerConfig`]. Each
//! problem points at the key of flowgate.toml that names the file. Nothing
//! read from a file, a key least of all, is ever put in a message.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::NamedFile;
use crate::config::de::Spanned;
use crate::config::raw::{RawHttps, RawUpstream};
use crate::diag::{Diagnostics, SourceFile};
use crate::snapshot::Https;

/// What the listener offers in ALPN, preferred first.
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads `[server.https]`; `None` (with diagnostics) when anything is wrong.
/// `taken` are the other listeners' addresses, which it may not share.
pub(super) fn compile_https(
    raw: &RawHttps,
    source: &SourceFile,
    files: &[NamedFile],
    taken: &[(&str, Option<SocketAddr>)],
    diagnostics: &mut Diagnostics,
) -> Option<Https> {
    let listen = https_listen(&raw.listen, source, taken, diagnostics);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = contents(files, &raw.cert, source, diagnostics);
    let key = contents(files, &raw.key, source, diagnostics);
    let client_ca = raw
        .client_ca
        .as_ref()
        .map(|ca| (ca, contents(files, ca, source, diagnostics)));

    let chain = cert.and_then(|bytes| certificates(bytes, &raw.cert, source, diagnostics));
    let key = key.and_then(|bytes| private_key(bytes, &raw.key, &provider, source, diagnostics));
    let certified = match (chain, key) {
        (Some(chain), Some(key)) => certified_key(chain, key, raw, source, diagnostics),
        _ => None,
    };
    let verifier = match client_ca {
        None => Some(None),
        Some((written, bytes)) => bytes
            .and_then(|bytes| client_verifier(bytes, written, &provider, source, diagnostics))
            .map(Some),
    };
    let (listen, certified, verifier) = (listen?, certified?, verifier?);

    let builder =
        match ServerConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(builder) => builder,
            Err(err) => {
                diagnostics.push(source.error(
                    raw.listen.span,
                    format!("the TLS settings cannot be built: {err}"),
                ));
                return None;
            }
        };
    let builder = match verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Some(Https {
        listen,
        cert: raw.cert.value.clone(),
        key: raw.key.value.clone(),
        client_ca: raw.client_ca.as_ref().map(|ca| ca.value.clone()),
        config: Arc::new(config),
    })
}

/// The TLS settings of an upstream's client: its `ca` (else the operating
/// system's trust store) and, when given, the client certificate it shows.
/// `None` (with diagnostics) when anything is wrong.
pub(super) fn upstream_client_config(
    raw: &RawUpstream,
    source: &SourceFile,
    files: &[NamedFile],
    diagnostics: &mut Diagnostics,
) -> Option<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder,
        Err(err) => {
            diagnostics.push(source.error(
                raw.base_url.span,
                format!("the TLS settings cannot be built: {err}"),
            ));
            return None;
        }
    };
    let builder = match &raw.ca {
        Some(ca) => {
            let bytes = contents(files, ca, source, diagnostics)?;
            let roots = root_store(bytes, ca, "the upstream's certificate", source, diagnostics)?;
            builder.with_root_certificates(roots)
        }
        None => match rustls_platform_verifier::Verifier::new(provider.clone()) {
            Ok(verifier) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier)),
            Err(err) => {
                diagnostics.push(
                    source
                        .error(
                            raw.base_url.span,
                            format!("the system's trust store cannot be used: {err}"),
                        )
                        .with_hint("name the CA that signs the upstream's certificate with `ca`"),
                );
                return None;
            }
        },
    };
    let mut config = match (&raw.client_cert, &raw.client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = contents(files, cert, source, diagnostics)
                .and_then(|bytes| certificates(bytes, cert, source, diagnostics));
            let der = contents(files, key, source, diagnostics).and_then(|bytes| {
                private_key(bytes, key, &provider, source, diagnostics)?;
                PrivateKeyDer::from_pem_slice(bytes).ok()
            });
            let (chain, der) = (chain?, der?);
            match builder.with_client_auth_cert(chain, der) {
                Ok(config) => config,
                Err(_) => {
                    diagnostics.push(source.error(
                        key.span,
                        format!(
                            "the private key in `{}` does not belong to the certificate in `{}`",
                            key.value, cert.value
                        ),
                    ));
                    return None;
                }
            }
        }
        (Some(given), None) | (None, Some(given)) => {
            diagnostics.push(
                source
                    .error(
                        given.span,
                        "`client_cert` and `client_key` go together: give both or neither",
                    )
                    .with_hint(
                        "the certificate is shown to the upstream, the key proves it is ours",
                    ),
            );
            return None;
        }
    };
    // The client speaks HTTP/1.1 only: offering h2 would be a promise it cannot keep.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Some(config)
}

/// The TLS settings of the client that `http` steps with a full `url` use:
/// the operating system's trust store, no client certificate.
pub(super) fn system_client_config() -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// What load_root read for a file; why not, as a diagnostic at its key.
fn contents<'a>(
    files: &'a [NamedFile],
    written: &Spanned<String>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<&'a [u8]> {
    let file = files.iter().find(|file| file.written == written.value);
    match file.map(|file| &file.contents) {
        Some(Ok(bytes)) => Some(bytes),
        Some(Err(message)) => {
            diagnostics.push(source.error(written.span, message.as_str()));
            None
        }
        // load_root reads every file that [server.https] names.
        None => {
            diagnostics.push(source.error(
                written.span,
                format!("`{}` was not read with the root", written.value),
            ));
            None
        }
    }
}

fn https_listen(
    listen: &Spanned<String>,
    source: &SourceFile,
    taken: &[(&str, Option<SocketAddr>)],
    diagnostics: &mut Diagnostics,
) -> Option<SocketAddr> {
    if listen.value.trim().is_empty() {
        diagnostics.push(
            source
                .error(listen.span, "`[server.https] listen` is empty")
                .with_hint("write an IP address and a port, like `0.0.0.0:9093`, or remove `[server.https]` to serve plain HTTP only"),
        );
        return None;
    }
    let addr = super::parse_listen(listen, "0.0.0.0:9093", &mut |span, message| {
        diagnostics.push(source.error(span, message));
    })?;
    if let Some((name, _)) = taken
        .iter()
        .find(|(_, other)| other.is_some_and(|other| super::listeners_clash(addr, other)))
    {
        diagnostics.push(source.error(
            listen.span,
            format!("the HTTPS listener cannot share the address of {name}"),
        ));
        return None;
    }
    Some(addr)
}

/// The certificate chain of `cert`: the server's own certificate first.
fn certificates(
    bytes: &[u8],
    written: &Spanned<String>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<CertificateDer<'static>>> {
    let chain = match CertificateDer::pem_slice_iter(bytes).collect::<Result<Vec<_>, _>>() {
        Ok(chain) => chain,
        Err(err) => {
            diagnostics.push(not_pem(written, &err, source));
            return None;
        }
    };
    let Some(first) = chain.first() else {
        diagnostics.push(
            source
                .error(written.span, format!("`{}` holds no certificate", written.value))
                .with_hint("the file must be PEM, with a `-----BEGIN CERTIFICATE-----` block; `openssl x509 -inform der -in cert.der -out cert.pem` converts a DER file"),
        );
        return None;
    };
    validity_warning(first, written, source, diagnostics);
    Some(chain)
}

/// A certificate past its end or before its start still serves (clients
/// decide what to do with it), but the operator should know.
fn validity_warning(
    der: &CertificateDer<'_>,
    written: &Spanned<String>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        // Not X.509 at all: the check against the key reports it.
        return;
    };
    let validity = cert.validity();
    let now = x509_parser::time::ASN1Time::now();
    let date = |time: x509_parser::time::ASN1Time| {
        u64::try_from(time.timestamp())
            .map(|secs| {
                let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
                // The day is enough: `2021-01-01`.
                let mut day = crate::logging::rfc3339(time);
                day.truncate(10);
                day
            })
            .unwrap_or_else(|_| time.to_string())
    };
    let message = if validity.not_after < now {
        format!(
            "the certificate in `{}` expired on {}",
            written.value,
            date(validity.not_after)
        )
    } else if now < validity.not_before {
        format!(
            "the certificate in `{}` is not valid before {}",
            written.value,
            date(validity.not_before)
        )
    } else {
        return;
    };
    diagnostics.push(
        source
            .warning(written.span, message)
            .with_note("it is served anyway; most clients will refuse it"),
    );
}

/// The private key of `key`, loaded for signing.
fn private_key(
    bytes: &[u8],
    written: &Spanned<String>,
    provider: &CryptoProvider,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<Arc<dyn rustls::sign::SigningKey>> {
    let der = match PrivateKeyDer::from_pem_slice(bytes) {
        Ok(der) => der,
        Err(pem::Error::NoItemsFound) => {
            // Only the block's label is looked at, never the key.
            let encrypted = contains(bytes, b"ENCRYPTED");
            diagnostics.push(
                source
                    .error(written.span, format!("`{}` holds no private key", written.value))
                    .with_hint(if encrypted {
                        "the key is encrypted; flowgate reads unencrypted keys only (`openssl pkey -in encrypted.key -out server.key` decrypts one)"
                    } else {
                        "the file must be PEM, with a `PRIVATE KEY` (PKCS #8), `RSA PRIVATE KEY` or `EC PRIVATE KEY` block"
                    }),
            );
            return None;
        }
        Err(err) => {
            diagnostics.push(not_pem(written, &err, source));
            return None;
        }
    };
    match provider.key_provider.load_private_key(der) {
        Ok(key) => Some(key),
        Err(_) => {
            diagnostics.push(
                source
                    .error(
                        written.span,
                        format!("the private key in `{}` cannot be used", written.value),
                    )
                    .with_hint(
                        "use an RSA (2048 bits or more), ECDSA P-256 or P-384, or Ed25519 key",
                    ),
            );
            None
        }
    }
}

/// The chain and its key together, once the key is known to belong to the
/// chain's first certificate.
fn certified_key(
    chain: Vec<CertificateDer<'static>>,
    key: Arc<dyn rustls::sign::SigningKey>,
    raw: &RawHttps,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<CertifiedKey> {
    let certified = CertifiedKey::new(chain, key);
    match certified.keys_match() {
        // A key that cannot tell its public half cannot be compared: rustls
        // accepts it as well.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Some(certified)
        }
        Err(rustls::Error::InconsistentKeys(_)) => {
            diagnostics.push(
                source
                    .error(
                        raw.key.span,
                        format!(
                            "the private key in `{}` does not belong to the certificate in `{}`",
                            raw.key.value, raw.cert.value
                        ),
                    )
                    .with_hint("the server's own certificate comes first in the certificate file, intermediates after it"),
            );
            None
        }
        Err(err) => {
            diagnostics.push(source.error(
                raw.cert.span,
                format!(
                    "the first certificate in `{}` is not a valid X.509 certificate: {err}",
                    raw.cert.value
                ),
            ));
            None
        }
    }
}

/// Asks for client certificates signed by the CAs of `client_ca`, and
/// accepts clients that present none: routes decide whether they need one.
fn client_verifier(
    bytes: &[u8],
    written: &Spanned<String>,
    provider: &Arc<CryptoProvider>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<Arc<dyn rustls::server::danger::ClientCertVerifier>> {
    let roots = root_store(bytes, written, "client certificates", source, diagnostics)?;
    match WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
    {
        Ok(verifier) => Some(verifier),
        Err(err) => {
            diagnostics.push(source.error(
                written.span,
                format!(
                    "the CAs in `{}` cannot verify clients: {err}",
                    written.value
                ),
            ));
            None
        }
    }
}

/// The CA certificates of a PEM file; `what` says what they verify.
fn root_store(
    bytes: &[u8],
    written: &Spanned<String>,
    what: &str,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<RootCertStore> {
    let cas = match CertificateDer::pem_slice_iter(bytes).collect::<Result<Vec<_>, _>>() {
        Ok(cas) => cas,
        Err(err) => {
            diagnostics.push(not_pem(written, &err, source));
            return None;
        }
    };
    if cas.is_empty() {
        diagnostics.push(
            source
                .error(
                    written.span,
                    format!("`{}` holds no CA certificate", written.value),
                )
                .with_hint(format!("the file must be PEM, with one `-----BEGIN CERTIFICATE-----` block per CA that signs {what}")),
        );
        return None;
    }
    let mut roots = RootCertStore::empty();
    for (index, ca) in cas.into_iter().enumerate() {
        if let Err(err) = roots.add(ca) {
            diagnostics.push(source.error(
                written.span,
                format!(
                    "certificate {} in `{}` cannot be a CA: {err}",
                    index + 1,
                    written.value
                ),
            ));
            return None;
        }
    }
    Some(roots)
}

/// A file that is not PEM, said without quoting any of it.
fn not_pem(
    written: &Spanned<String>,
    err: &pem::Error,
    source: &SourceFile,
) -> crate::diag::Diagnostic {
    let why = match err {
        pem::Error::MissingSectionEnd { .. } => "a `-----BEGIN` block has no `-----END` line",
        pem::Error::IllegalSectionStart { .. } => "a `-----BEGIN` line is malformed",
        pem::Error::Base64Decode(_) => "a block is not valid base64",
        pem::Error::SectionTooLarge => "a block is too large",
        _ => "it cannot be read",
    };
    source.error(
        written.span,
        format!("`{}` is not a valid PEM file: {why}", written.value),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use crate::compile::{Compilation, compile_files};
    use crate::test_pki::Ca;

    const HTTPS: &str = "[server.https]\nlisten = \"127.0.0.1:9443\"\ncert = \"certs/server.pem\"\nkey = \"certs/server.key\"\n";

    fn errors(compilation: &Compilation) -> Vec<String> {
        compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let at = d
                    .location
                    .as_ref()
                    .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
                    .unwrap_or_default();
                format!("{at} {}", d.message)
            })
            .collect()
    }

    /// The one error of a root whose `[server.https]` is `settings`.
    fn only_error(settings: &str, files: &[(&str, &str)]) -> String {
        let mut all = vec![("flowgate.toml", settings)];
        all.extend_from_slice(files);
        let compilation = compile_files(&all);
        assert!(compilation.snapshot.is_none());
        let errors = errors(&compilation);
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap()
    }

    #[test]
    fn a_good_certificate_compiles_into_a_tls_config() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let settings = format!("{HTTPS}client_ca = \"certs/clients.pem\"\n");
        let compilation = compile_files(&[
            ("flowgate.toml", &settings),
            ("certs/server.pem", &server.cert),
            ("certs/server.key", &server.key),
            ("certs/clients.pem", &ca.pem),
        ]);
        assert!(
            compilation.diagnostics.is_empty(),
            "{}",
            compilation.diagnostics.render()
        );
        let snapshot = compilation.snapshot.unwrap();
        let https = snapshot.settings.https.as_ref().unwrap();
        assert_eq!(https.listen, "127.0.0.1:9443".parse().unwrap());
        assert_eq!(https.client_ca.as_deref(), Some("certs/clients.pem"));
        assert_eq!(
            https.config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        // The PEM files count among the root's files, so changing one is a
        // change of the root.
        let files: Vec<&str> = snapshot.meta.files.iter().map(|f| &*f.path).collect();
        assert_eq!(
            files,
            [
                "certs/clients.pem",
                "certs/server.key",
                "certs/server.pem",
                "flowgate.toml",
                "processes/idle.yaml"
            ]
        );
        // Debug shows file names, never key material.
        let debug = format!("{https:?}");
        assert!(debug.contains("certs/server.key"), "{debug}");
        assert!(!debug.contains("PRIVATE"), "{debug}");
    }

    #[test]
    fn a_missing_file_points_at_its_key() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let error = only_error(HTTPS, &[("certs/server.key", &server.key)]);
        assert_eq!(
            error,
            "flowgate.toml:3:8 there is no file `certs/server.pem`"
        );
        let error = only_error(HTTPS, &[("certs/server.pem", &server.cert)]);
        assert_eq!(
            error,
            "flowgate.toml:4:7 there is no file `certs/server.key`"
        );
    }

    #[test]
    fn a_certificate_file_without_a_certificate() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        // The key where the certificate should be.
        let error = only_error(
            HTTPS,
            &[
                ("certs/server.pem", &server.key),
                ("certs/server.key", &server.key),
            ],
        );
        assert_eq!(
            error,
            "flowgate.toml:3:8 `certs/server.pem` holds no certificate"
        );
        let error = only_error(
            HTTPS,
            &[
                (
                    "certs/server.pem",
                    "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                ),
                ("certs/server.key", &server.key),
            ],
        );
        assert!(
            error.ends_with("is not a valid PEM file: a block is not valid base64"),
            "{error}"
        );
    }

    #[test]
    fn a_key_file_without_a_key() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let error = only_error(
            HTTPS,
            &[
                ("certs/server.pem", &server.cert),
                ("certs/server.key", &server.cert),
            ],
        );
        assert_eq!(
            error,
            "flowgate.toml:4:7 `certs/server.key` holds no private key"
        );
        // An unclosed block says so without quoting the key.
        let cut = &server.key[..server.key.len() / 2];
        let error = only_error(
            HTTPS,
            &[
                ("certs/server.pem", &server.cert),
                ("certs/server.key", cut),
            ],
        );
        assert!(error.contains("has no `-----END` line"), "{error}");
        let secret = cut.lines().nth(1).unwrap();
        assert!(!error.contains(secret));
    }

    #[test]
    fn a_key_of_another_certificate() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let other = ca.server("another");
        let compilation = compile_files(&[
            ("flowgate.toml", HTTPS),
            ("certs/server.pem", &server.cert),
            ("certs/server.key", &other.key),
        ]);
        assert!(compilation.snapshot.is_none());
        let errors = errors(&compilation);
        assert_eq!(
            errors,
            [
                "flowgate.toml:4:7 the private key in `certs/server.key` does not belong to the certificate in `certs/server.pem`"
            ]
        );
        // Nothing of either key reaches the diagnostics.
        let rendered = compilation.diagnostics.render();
        for key in [&server.key, &other.key] {
            let body = key.lines().nth(1).unwrap();
            assert!(!rendered.contains(body), "{rendered}");
        }
    }

    #[test]
    fn a_client_ca_file_without_a_certificate() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let settings = format!("{HTTPS}client_ca = \"certs/clients.pem\"\n");
        let error = only_error(
            &settings,
            &[
                ("certs/server.pem", &server.cert),
                ("certs/server.key", &server.key),
                ("certs/clients.pem", "# no CA here yet\n"),
            ],
        );
        assert_eq!(
            error,
            "flowgate.toml:5:13 `certs/clients.pem` holds no CA certificate"
        );
    }

    #[test]
    fn listen_mistakes() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let files = [
            ("certs/server.pem", server.cert.as_str()),
            ("certs/server.key", server.key.as_str()),
        ];
        let error = only_error(&HTTPS.replace("127.0.0.1:9443", "localhost"), &files);
        assert!(
            error.starts_with("flowgate.toml:2:10 `localhost` is not a listen address"),
            "{error}"
        );
        let error = only_error(&HTTPS.replace("127.0.0.1:9443", ""), &files);
        assert_eq!(error, "flowgate.toml:2:10 `[server.https] listen` is empty");
        let settings = format!("[server]\nlisten = \"127.0.0.1:9443\"\n{HTTPS}");
        let error = only_error(&settings, &files);
        assert_eq!(
            error,
            "flowgate.toml:4:10 the HTTPS listener cannot share the address of `[server] listen`"
        );
        let settings = format!(
            "[admin]\nlisten = \"127.0.0.1:9443\"\n{}",
            HTTPS.replace("127.0.0.1:9443", "0.0.0.0:9443")
        );
        let error = only_error(&settings, &files);
        assert_eq!(
            error,
            "flowgate.toml:4:10 the HTTPS listener cannot share the address of `[admin] listen`"
        );
    }

    #[test]
    fn paths_stay_in_the_root_unless_absolute() {
        let ca = Ca::new("test CA");
        let server = ca.server("flowgate test");
        let error = only_error(
            &HTTPS.replace("certs/server.pem", "../server.pem"),
            &[("certs/server.key", &server.key)],
        );
        assert!(
            error.contains("`../server.pem` leaves the config root"),
            "{error}"
        );

        let outside = tempfile::tempdir().unwrap();
        let cert = outside.path().join("server.pem");
        std::fs::write(&cert, &server.cert).unwrap();
        let settings = HTTPS.replace("certs/server.pem", &cert.display().to_string());
        let compilation = compile_files(&[
            ("flowgate.toml", &settings),
            ("certs/server.key", &server.key),
        ]);
        let snapshot = compilation
            .snapshot
            .expect("an absolute path outside the root");
        assert!(
            snapshot
                .meta
                .files
                .iter()
                .any(|f| f.path == cert.display().to_string())
        );
    }

    #[test]
    fn an_expired_certificate_is_a_warning() {
        let ca = Ca::new("test CA");
        // A client certificate serves well enough to test the dates.
        let old = ca.client("old", true);
        let compilation = compile_files(&[
            ("flowgate.toml", HTTPS),
            ("certs/server.pem", &old.cert),
            ("certs/server.key", &old.key),
        ]);
        assert!(compilation.snapshot.is_some());
        assert_eq!(compilation.diagnostics.warning_count(), 1);
        let warning = compilation.diagnostics.iter().next().unwrap();
        assert_eq!(
            warning.message,
            "the certificate in `certs/server.pem` expired on 2021-01-01"
        );
    }
}
