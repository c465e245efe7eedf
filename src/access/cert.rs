//! Client certificates as names a user can be mapped by.
//!
//! A verified client certificate is known by its subject (`CN=acme-client,
//! O=Acme`) and by its subject alternative names (`DNS:acme.example.com`,
//! `email:ops@acme.example`, `URI:spiffe://acme/gw`, `IP:203.0.113.9`).
//! `cert_subject` in `[users.NAME]` is written in the same forms; both sides
//! are reduced to one canonical key, so `CN = acme, O = Acme` (OpenSSL's
//! display) and `O=Acme,CN=acme` (RFC 4514 order) name the same subject.

use std::net::IpAddr;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The names of a client certificate that passed verification at the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The subject as it reads, `CN=acme-client, O=Acme`.
    pub subject: String,
    /// The canonical key of the subject, then one per alternative name, in
    /// the certificate's order: the order users are looked up in.
    pub keys: Vec<String>,
}

impl ClientCertificate {
    /// Reads the names of a DER certificate; `None` if it does not parse.
    pub fn from_der(der: &[u8]) -> Option<ClientCertificate> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let registry = x509_parser::objects::oid_registry();
        let mut pairs = Vec::new();
        for attribute in cert.subject().iter_attributes() {
            let name = x509_parser::objects::oid2abbrev(attribute.attr_type(), registry)
                .map(str::to_owned)
                .unwrap_or_else(|_| attribute.attr_type().to_id_string());
            let value = attribute.as_str().ok()?;
            pairs.push((name, value.to_owned()));
        }
        let subject = pairs
            .iter()
            .map(|(name, value)| format!("{name}={}", escape(value)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut keys = vec![dn_key(pairs)];
        if let Ok(Some(names)) = cert.subject_alternative_name() {
            for name in &names.value.general_names {
                let key = match name {
                    GeneralName::DNSName(dns) => format!("dns:{}", dns.to_ascii_lowercase()),
                    GeneralName::RFC822Name(email) => format!("email:{email}"),
                    GeneralName::URI(uri) => format!("uri:{uri}"),
                    GeneralName::IPAddress(bytes) => match ip_from_bytes(bytes) {
                        Some(ip) => format!("ip:{ip}"),
                        None => continue,
                    },
                    _ => continue,
                };
                keys.push(key);
            }
        }
        Some(ClientCertificate { subject, keys })
    }
}

/// The canonical key of a `cert_subject` as written in `[users.NAME]`.
pub fn subject_key(text: &str) -> Result<String, String> {
    let text = text.trim();
    if let Some((kind, value)) = text.split_once(':')
        && !kind.contains('=')
    {
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("`{text}` names no value after `{kind}:`"));
        }
        return match kind.to_ascii_lowercase().as_str() {
            "dns" => Ok(format!("dns:{}", value.to_ascii_lowercase())),
            "email" => Ok(format!("email:{value}")),
            "uri" => Ok(format!("uri:{value}")),
            "ip" => value
                .parse::<IpAddr>()
                .map(|ip| format!("ip:{ip}"))
                .map_err(|_| format!("`{value}` is not an IP address")),
            _ => Err(format!(
                "`{kind}:` is not a kind of alternative name; write `DNS:`, `email:`, `URI:` or `IP:`, or a subject like `CN=acme-client`"
            )),
        };
    }
    let mut pairs = Vec::new();
    for part in split_unescaped(text) {
        let Some((name, value)) = part.split_once('=') else {
            return Err(format!(
                "`{}` is not `NAME=value`; write a subject like `CN=acme-client, O=Acme`",
                part.trim()
            ));
        };
        let (name, value) = (name.trim(), unescape(value.trim()));
        if name.is_empty() || value.is_empty() {
            return Err(format!("`{}` has an empty name or value", part.trim()));
        }
        pairs.push((name.to_owned(), value));
    }
    if pairs.is_empty() {
        return Err("the subject is empty".to_owned());
    }
    Ok(dn_key(pairs))
}

/// Attribute names upper-cased, pairs sorted, values escaped: the same
/// subject in any order and spacing gives the same key.
fn dn_key(mut pairs: Vec<(String, String)>) -> String {
    for (name, _) in &mut pairs {
        *name = name.to_ascii_uppercase();
    }
    pairs.sort();
    let parts: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", escape(value)))
        .collect();
    format!("dn:{}", parts.join(","))
}

/// Splits at `,` and `+` that are not escaped with `\`.
fn split_unescaped(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' | '+' => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, ',' | '+' | '\\' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_the_same_in_any_order_and_spacing() {
        let openssl = subject_key("CN = acme-client, O = Acme").unwrap();
        let rfc4514 = subject_key("O=Acme,CN=acme-client").unwrap();
        let lower = subject_key("cn=acme-client, o=Acme").unwrap();
        assert_eq!(openssl, rfc4514);
        assert_eq!(openssl, lower);
        // Values are compared exactly, and every attribute counts.
        assert_ne!(openssl, subject_key("CN=Acme-client, O=Acme").unwrap());
        assert_ne!(openssl, subject_key("CN=acme-client").unwrap());
    }

    #[test]
    fn escaped_separators_stay_in_the_value() {
        let key = subject_key(r"CN=Smith\, John, O=Acme").unwrap();
        assert_eq!(key, r"dn:CN=Smith\, John,O=Acme");
        assert_ne!(key, subject_key("CN=Smith, CN=John, O=Acme").unwrap());
    }

    #[test]
    fn alternative_names() {
        assert_eq!(
            subject_key("DNS:Gw.Acme.Example").unwrap(),
            "dns:gw.acme.example"
        );
        assert_eq!(subject_key("IP:2001:db8::1").unwrap(), "ip:2001:db8::1");
        assert_eq!(
            subject_key("URI:spiffe://acme/gw").unwrap(),
            "uri:spiffe://acme/gw"
        );
        assert!(subject_key("IP:nope").is_err());
        assert!(subject_key("XYZ:thing").unwrap_err().contains("DNS:"));
        assert!(subject_key("acme").unwrap_err().contains("NAME=value"));
        assert!(subject_key("").is_err());
    }

    #[test]
    fn a_certificate_is_known_by_its_subject_and_alternative_names() {
        let mut params = rcgen::CertificateParams::new(vec!["gw.acme.example".to_owned()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "acme-client");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme, Inc");
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress("203.0.113.9".parse().unwrap()));
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let client = ClientCertificate::from_der(cert.der()).unwrap();
        assert_eq!(client.subject, r"CN=acme-client, O=Acme\, Inc");
        assert_eq!(
            client.keys,
            vec![
                subject_key(r"O=Acme\, Inc, CN=acme-client").unwrap(),
                subject_key("DNS:gw.acme.example").unwrap(),
                subject_key("IP:203.0.113.9").unwrap(),
            ]
        );
        assert!(ClientCertificate::from_der(b"not a certificate").is_none());
    }
}
