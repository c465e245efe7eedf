//! SOAP 1.1 and 1.2 messages: reading a request envelope, writing a
//! response envelope or a fault.
//!
//! Only the envelope is SOAP's business here; what the wrapper holds is a
//! process's input, read and validated by the same code as on the simple
//! and REST URLs. The message shapes (wrapper names, list elements) are
//! those of [`crate::contract`], which the WSDL publishes. Reading goes
//! through the one XML scanner ([`crate::doc::xml`]), so a `<!DOCTYPE`, an
//! entity or a nesting past `max_xml_depth` is refused here as everywhere.

mod envelope;
mod write;

pub(crate) use envelope::read_envelope_with;
pub use envelope::{Envelope, EnvelopeError, Payload, read_envelope};
pub use write::{Fault, FaultCode, fault_envelope, response_envelope};

use crate::contract::{SOAP11_ENVELOPE, SOAP12_ENVELOPE};

/// The SOAP version of an endpoint: `/ws/soap` is 1.1, `/ws/soap12` is 1.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Soap11,
    Soap12,
}

impl Version {
    /// The endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            Version::Soap11 => crate::contract::SOAP11_PATH,
            Version::Soap12 => crate::contract::SOAP12_PATH,
        }
    }

    /// The envelope namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            Version::Soap11 => SOAP11_ENVELOPE,
            Version::Soap12 => SOAP12_ENVELOPE,
        }
    }

    /// The content type of its messages, requests and responses alike.
    pub fn media_type(self) -> &'static str {
        match self {
            Version::Soap11 => "text/xml",
            Version::Soap12 => "application/soap+xml",
        }
    }

    /// The content type flowgate answers with.
    pub fn content_type(self) -> &'static str {
        match self {
            Version::Soap11 => "text/xml; charset=utf-8",
            Version::Soap12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// Whether a request's `Content-Type` is this version's. SOAP 1.1
    /// clients sometimes send `application/xml`; that is taken too.
    pub fn accepts(self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match self {
            Version::Soap11 => essence == "text/xml" || essence == "application/xml",
            Version::Soap12 => essence == "application/soap+xml",
        }
    }

    fn other(self) -> Version {
        match self {
            Version::Soap11 => Version::Soap12,
            Version::Soap12 => Version::Soap11,
        }
    }

    /// The `actor` (1.1) or `role` (1.2) values that address flowgate, the
    /// ultimate receiver; a header block aimed elsewhere is not ours to
    /// understand.
    fn targets_us(self, actor: Option<&str>) -> bool {
        match (self, actor) {
            (_, None) => true,
            (Version::Soap11, Some(actor)) => {
                actor.is_empty() || actor == "http://schemas.xmlsoap.org/soap/actor/next"
            }
            (Version::Soap12, Some(role)) => {
                role.is_empty()
                    || role == "http://www.w3.org/2003/05/soap-envelope/role/next"
                    || role == "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
            }
        }
    }

    /// The header attribute naming who a block is for.
    fn actor_attribute(self) -> &'static str {
        match self {
            Version::Soap11 => "actor",
            Version::Soap12 => "role",
        }
    }
}

/// A namespace-qualified element name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QName {
    /// `None` for an element in no namespace.
    pub namespace: Option<String>,
    pub local: String,
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{{{namespace}}}{}", self.local),
            None => f.write_str(&self.local),
        }
    }
}

#[cfg(test)]
mod tests;
