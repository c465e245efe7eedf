//! Writing response envelopes and faults.
//!
//! Response documents go into the wrapper as they are, without their XML
//! declarations; they were validated against the response profile before.
//! The wrapper is written with a prefix (`ws:`) so that a document element
//! without a namespace stays without one. A fault's detail is the problem
//! document the simple and REST URLs would have sent, in XML.

use super::{QName, Version};
use crate::contract::SOAP12_ENVELOPE;
use crate::doc::xml::{escape, escape_lossy, without_declaration};

/// Who is at fault, in each version's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is wrong: `Client` (1.1), `Sender` (1.2).
    Client,
    /// flowgate or the process failed: `Server` (1.1), `Receiver` (1.2).
    Server,
    /// The envelope is not of the version the endpoint speaks; `upgrade`
    /// names the one it does in an `Upgrade` header block (SOAP 1.2 §5.4.7).
    VersionMismatch { upgrade: Option<Version> },
    /// Header blocks flowgate must understand but does not.
    MustUnderstand(Vec<QName>),
}

/// A fault, ready to write.
#[derive(Clone, Debug)]
pub struct Fault {
    pub code: FaultCode,
    /// `faultstring` (1.1), `Reason` (1.2): what a person reads.
    pub reason: String,
    /// The problem document, `<problem xmlns="urn:ietf:rfc:7807">…`, if any.
    pub detail: Option<String>,
}

/// The prefix of the wrapper's namespace in responses.
const PREFIX: &str = "ws";

/// `<wrapper>` (and `<list>` inside it, for `xml-list` outputs) holding
/// `documents`, in an envelope.
pub fn response_envelope(
    version: Version,
    namespace: &str,
    wrapper: &str,
    list: Option<&str>,
    documents: &[&str],
) -> String {
    let size: usize = documents.iter().map(|doc| doc.len()).sum();
    let mut out = String::with_capacity(256 + size);
    open_envelope(&mut out, version);
    out.push_str(&format!(
        "<soap:Body><{PREFIX}:{wrapper} xmlns:{PREFIX}=\"{}\">",
        escape(namespace)
    ));
    if let Some(list) = list {
        out.push_str(&format!("<{PREFIX}:{list}>"));
    }
    for document in documents {
        out.push_str(without_declaration(document));
    }
    if let Some(list) = list {
        out.push_str(&format!("</{PREFIX}:{list}>"));
    }
    out.push_str(&format!(
        "</{PREFIX}:{wrapper}></soap:Body></soap:Envelope>"
    ));
    out
}

/// A fault in an envelope of `version`.
pub fn fault_envelope(version: Version, fault: &Fault) -> String {
    let mut out = String::with_capacity(512);
    open_envelope(&mut out, version);
    let detail = fault.detail.as_deref().map(without_declaration);
    if let FaultCode::VersionMismatch {
        upgrade: Some(supported),
    } = &fault.code
    {
        upgrade(&mut out, *supported);
    }
    match version {
        Version::Soap11 => {
            let code = match &fault.code {
                FaultCode::Client => "Client",
                FaultCode::Server => "Server",
                FaultCode::VersionMismatch { .. } => "VersionMismatch",
                FaultCode::MustUnderstand(_) => "MustUnderstand",
            };
            out.push_str("<soap:Body><soap:Fault><faultcode>soap:");
            out.push_str(code);
            out.push_str("</faultcode><faultstring>");
            out.push_str(&escape_lossy(&fault.reason));
            out.push_str("</faultstring>");
            // SOAP 1.1 §4.4: `detail` is for errors of the Body, never for
            // those of header blocks; the faultstring names the blocks.
            let detail = detail.filter(|_| !matches!(fault.code, FaultCode::MustUnderstand(_)));
            if let Some(detail) = detail {
                out.push_str("<detail>");
                out.push_str(detail);
                out.push_str("</detail>");
            }
            out.push_str("</soap:Fault></soap:Body>");
        }
        Version::Soap12 => {
            if let FaultCode::MustUnderstand(blocks) = &fault.code {
                not_understood(&mut out, blocks);
            }
            let code = match &fault.code {
                FaultCode::Client => "Sender",
                FaultCode::Server => "Receiver",
                FaultCode::VersionMismatch { .. } => "VersionMismatch",
                FaultCode::MustUnderstand(_) => "MustUnderstand",
            };
            out.push_str("<soap:Body><soap:Fault><soap:Code><soap:Value>soap:");
            out.push_str(code);
            out.push_str("</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">");
            out.push_str(&escape_lossy(&fault.reason));
            out.push_str("</soap:Text></soap:Reason>");
            if let Some(detail) = detail {
                out.push_str("<soap:Detail>");
                out.push_str(detail);
                out.push_str("</soap:Detail>");
            }
            out.push_str("</soap:Fault></soap:Body>");
        }
    }
    out.push_str("</soap:Envelope>");
    out
}

fn open_envelope(out: &mut String, version: Version) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"");
    out.push_str(version.namespace());
    out.push_str("\">");
}

/// SOAP 1.2's `Upgrade` header block, in the 1.2 namespace whatever the
/// envelope's version (SOAP 1.2 Appendix A answers a 1.1 envelope with a
/// 1.1 fault that carries it): the envelope the endpoint takes.
fn upgrade(out: &mut String, supported: Version) {
    out.push_str("<soap:Header><upg:Upgrade xmlns:upg=\"");
    out.push_str(SOAP12_ENVELOPE);
    out.push_str("\"><upg:SupportedEnvelope qname=\"v:Envelope\" xmlns:v=\"");
    out.push_str(supported.namespace());
    out.push_str("\"/></upg:Upgrade></soap:Header>");
}

/// SOAP 1.2 names the blocks it did not understand in the fault's header.
fn not_understood(out: &mut String, blocks: &[QName]) {
    out.push_str("<soap:Header>");
    for block in blocks {
        match &block.namespace {
            Some(namespace) => out.push_str(&format!(
                "<soap:NotUnderstood qname=\"h:{}\" xmlns:h=\"{}\"/>",
                escape(&block.local),
                escape(namespace)
            )),
            None => out.push_str(&format!(
                "<soap:NotUnderstood qname=\"{}\"/>",
                escape(&block.local)
            )),
        }
    }
    out.push_str("</soap:Header>");
}
