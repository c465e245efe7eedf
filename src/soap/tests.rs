use super::*;
use crate::doc::xml::XmlLimits;

const ENV11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const ENV12: &str = "http://www.w3.org/2003/05/soap-envelope";

fn limits() -> XmlLimits {
    XmlLimits::with_depth(64)
}

fn envelope(namespace: &str, header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><s:Envelope xmlns:s="{namespace}" xmlns:o="urn:example:order">{header}<s:Body>{body}</s:Body></s:Envelope>"#
    )
}

fn read(version: Version, text: &str) -> Result<Envelope, EnvelopeError> {
    read_envelope(text, version, &limits())
}

fn malformed(version: Version, text: &str) -> String {
    match read(version, text) {
        Err(EnvelopeError::Malformed(message)) => message,
        other => panic!("expected a malformed envelope, got {other:?}"),
    }
}

#[test]
fn the_wrapper_names_the_operation_and_its_children_stand_alone() {
    let text = envelope(
        ENV11,
        "<s:Header><t:Trace xmlns:t=\"urn:trace\">42</t:Trace></s:Header>",
        r#"<ws:createOrder xmlns:ws="urn:flowgate:ws">
             <o:Order id="7"><o:Id>A-1</o:Id></o:Order>
             <Note>plain</Note>
           </ws:createOrder>"#,
    );
    let envelope = read(Version::Soap11, &text).unwrap();
    assert_eq!(
        envelope.operation,
        QName {
            namespace: Some("urn:flowgate:ws".to_owned()),
            local: "createOrder".to_owned()
        }
    );
    // Each payload element carries the inherited declarations its names
    // use, so it reads the same on its own; the others stay behind.
    let texts: Vec<&str> = envelope.payload.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        envelope.payload[0].name.namespace.as_deref(),
        Some("urn:example:order")
    );
    assert_eq!(envelope.payload[1].name.namespace, None);
    assert_eq!(
        texts,
        [
            r#"<o:Order xmlns:o="urn:example:order" id="7"><o:Id>A-1</o:Id></o:Order>"#.to_owned(),
            "<Note>plain</Note>".to_owned(),
        ]
    );
}

/// Notes what a payload handler is told.
#[derive(Default)]
struct Events(Vec<String>);

impl<'a> crate::doc::xml::Handler<'a> for Events {
    fn start(
        &mut self,
        tag: &crate::doc::xml::StartTag<'a>,
        _attrs: &[crate::doc::xml::Attr<'a>],
        _namespaces: &crate::doc::xml::Namespaces<'a>,
    ) {
        self.0.push(format!("<{} {}", tag.local, tag.depth));
    }
    fn text(&mut self, text: crate::doc::xml::Text<'a>) {
        if let crate::doc::xml::Text::Raw(raw) = text {
            self.0.push(raw.trim().to_owned());
        }
    }
    fn end(&mut self, depth: usize, _end: usize) {
        self.0.push(format!("> {depth}"));
    }
}

#[test]
fn a_payload_handler_reads_the_first_child_in_the_same_scan() {
    let text = envelope(
        ENV11,
        "<s:Header><h:Trace xmlns:h=\"urn:trace\">42</h:Trace></s:Header>",
        r#"<ws:createOrder xmlns:ws="urn:flowgate:ws"><ws:OrderList><o:Order><o:Id>A-1</o:Id></o:Order></ws:OrderList><Note>n</Note></ws:createOrder>"#,
    );
    let mut asked = Vec::new();
    let (read, events) = read_envelope_with(&text, Version::Soap11, &limits(), |wrapper, child| {
        asked.push(format!("{} {}", wrapper.local, child.local));
        Some(Events::default())
    })
    .unwrap();
    // Asked once, for the first child only; its events at their depths in
    // the envelope, the child's own start and end included.
    assert_eq!(asked, ["createOrder OrderList"]);
    assert_eq!(
        events.unwrap().0,
        [
            "<OrderList 4",
            "<Order 5",
            "<Id 6",
            "A-1",
            "> 6",
            "> 5",
            "> 4"
        ]
    );
    // The payload lists every child, as without a handler.
    assert_eq!(
        read,
        read_envelope(&text, Version::Soap11, &limits()).unwrap()
    );
    let (_, none) =
        read_envelope_with(&text, Version::Soap11, &limits(), |_, _| None::<Events>).unwrap();
    assert!(none.is_none());
}

#[test]
fn an_empty_wrapper_has_no_payload() {
    let text = envelope(ENV12, "", "<ws:getPing xmlns:ws=\"urn:flowgate:ws\"/>");
    let envelope = read(Version::Soap12, &text).unwrap();
    assert_eq!(envelope.operation.local, "getPing");
    assert!(envelope.payload.is_empty());
}

#[test]
fn the_other_version_is_a_version_mismatch() {
    let text = envelope(ENV12, "", "<op/>");
    match read(Version::Soap11, &text) {
        Err(EnvelopeError::VersionMismatch {
            envelope: Some(Version::Soap12),
            message,
        }) => {
            assert!(message.contains("send it to /ws/soap12"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let text = envelope(ENV11, "", "<op/>");
    assert!(matches!(
        read(Version::Soap12, &text),
        Err(EnvelopeError::VersionMismatch {
            envelope: Some(Version::Soap11),
            ..
        })
    ));
    // An Envelope no SOAP version has is a mismatch too, for either version.
    for (version, text) in [
        (Version::Soap11, envelope("urn:bogus", "", "<op/>")),
        (Version::Soap12, envelope("urn:bogus", "", "<op/>")),
        (
            Version::Soap11,
            "<Envelope><Body><op/></Body></Envelope>".to_owned(),
        ),
    ] {
        match read(version, &text) {
            Err(EnvelopeError::VersionMismatch {
                envelope: None,
                message,
            }) => assert!(message.contains("which is no SOAP version's"), "{message}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // Another element than an Envelope is no envelope at all.
    assert!(matches!(
        read(Version::Soap11, "<s:Body xmlns:s=\"urn:bogus\"/>"),
        Err(EnvelopeError::Malformed(_))
    ));
}

#[test]
fn must_understand_blocks_addressed_to_us_are_refused() {
    let block = |attrs: &str| {
        envelope(
            ENV11,
            &format!(
                "<s:Header><w:Security xmlns:w=\"urn:wsse\" {attrs}>x</w:Security></s:Header>"
            ),
            "<op/>",
        )
    };
    let security = QName {
        namespace: Some("urn:wsse".to_owned()),
        local: "Security".to_owned(),
    };
    assert_eq!(
        read(Version::Soap11, &block("s:mustUnderstand=\"1\"")),
        Err(EnvelopeError::MustUnderstand(vec![security.clone()]))
    );
    let next = "s:actor=\"http://schemas.xmlsoap.org/soap/actor/next\"";
    assert_eq!(
        read(
            Version::Soap11,
            &block(&format!("s:mustUnderstand=\"1\" {next}"))
        ),
        Err(EnvelopeError::MustUnderstand(vec![security]))
    );
    // Not marked, marked off, for another actor, or the attribute in no
    // namespace: nothing to understand.
    for attrs in [
        "",
        "s:mustUnderstand=\"0\"",
        "s:mustUnderstand=\"1\" s:actor=\"urn:somebody-else\"",
        "mustUnderstand=\"1\"",
    ] {
        assert!(read(Version::Soap11, &block(attrs)).is_ok(), "{attrs}");
    }

    let text = envelope(
        ENV12,
        "<s:Header><w:Security xmlns:w=\"urn:wsse\" s:mustUnderstand=\"true\" s:role=\"http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver\"/></s:Header>",
        "<op/>",
    );
    assert!(matches!(
        read(Version::Soap12, &text),
        Err(EnvelopeError::MustUnderstand(_))
    ));
}

#[test]
fn a_must_understand_that_is_no_boolean_is_malformed() {
    for (version, namespace) in [(Version::Soap11, ENV11), (Version::Soap12, ENV12)] {
        let block = |value: &str| {
            envelope(
                namespace,
                &format!(
                    "<s:Header><x:H xmlns:x=\"urn:x\" s:mustUnderstand=\"{value}\"/></s:Header>"
                ),
                "<op/>",
            )
        };
        for value in ["TRUE", "yes", "2", "", "1 1", "False"] {
            let message = malformed(version, &block(value));
            assert!(
                message.contains(&format!(
                    "the header block `{{urn:x}}H` has mustUnderstand=\"{value}\": it must be true, false, 1 or 0"
                )),
                "{message}"
            );
        }
        for value in ["true", "1", " 1 ", "\ttrue\n"] {
            assert!(
                matches!(
                    read(version, &block(value)),
                    Err(EnvelopeError::MustUnderstand(_))
                ),
                "{value:?}"
            );
        }
        for value in ["false", "0", " false "] {
            assert!(read(version, &block(value)).is_ok(), "{value:?}");
        }
    }
}

#[test]
fn envelopes_of_the_wrong_shape_say_what_is_wrong() {
    let v = Version::Soap11;
    assert!(malformed(v, "<Order/>").contains("not a SOAP envelope: its root element is `Order`"));
    assert!(malformed(v, &format!("<s:Envelope xmlns:s=\"{ENV11}\"/>")).contains("has no Body"));
    let empty = malformed(v, &envelope(ENV11, "", ""));
    assert!(empty.contains("the Body is empty"), "{empty}");
    // No operation is named that the root might not have.
    assert!(!empty.contains("createOrder"), "{empty}");
    assert!(malformed(v, &envelope(ENV11, "", "<a/><b/>")).contains("more than one element"));
    assert!(malformed(v, &envelope(ENV11, "", "stray<a/>")).contains("text outside"));
    assert!(
        malformed(v, &envelope(ENV11, "", "<a>stray<b/></a>"))
            .contains("the operation element `a` holds text")
    );
    assert!(
        malformed(
            v,
            &format!(
                "<s:Envelope xmlns:s=\"{ENV11}\"><s:Body><a/></s:Body><s:Header/></s:Envelope>"
            )
        )
        .contains("unexpected `{http://schemas.xmlsoap.org/soap/envelope/}Header`")
    );
    assert!(malformed(v, "<s:Envelope").contains("not well-formed XML: line 1"));
}

#[test]
fn soap_encoding_is_refused_where_the_body_would_be_read_by_it() {
    let encoded = "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"";
    for text in [
        format!("<s:Envelope xmlns:s=\"{ENV11}\" {encoded}><s:Body><op/></s:Body></s:Envelope>"),
        envelope(ENV11, "", "<op/>").replace("<s:Body>", &format!("<s:Body {encoded}>")),
        envelope(ENV11, "", &format!("<op {encoded}/>")),
        envelope(ENV11, "", &format!("<op><o:Order {encoded}/></op>")),
    ] {
        let message = malformed(Version::Soap11, &text);
        assert!(
            message.contains("encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\": SOAP encoding is not supported"),
            "{text}: {message}"
        );
    }
    let message = malformed(
        Version::Soap12,
        &envelope(ENV12, "", "<op/>").replace(
            "<s:Body>",
            "<s:Body s:encodingStyle=\"http://www.w3.org/2003/05/soap-encoding\">",
        ),
    );
    assert!(
        message.contains("`{http://www.w3.org/2003/05/soap-envelope}Body` has encodingStyle"),
        "{message}"
    );
    // An empty value claims nothing; another namespace's attribute is not
    // SOAP's; header blocks are not read.
    for text in [
        envelope(ENV11, "", "<op s:encodingStyle=\"\"/>"),
        envelope(
            ENV11,
            "",
            "<op x:encodingStyle=\"urn:x\" xmlns:x=\"urn:x\"/>",
        ),
        envelope(
            ENV11,
            &format!("<s:Header><t:Trace xmlns:t=\"urn:trace\" {encoded}/></s:Header>"),
            "<op/>",
        ),
    ] {
        assert!(read(Version::Soap11, &text).is_ok(), "{text}");
    }
}

#[test]
fn no_entity_is_expanded_and_depth_is_bounded() {
    let doctype = format!(
        "<!DOCTYPE s:Envelope [<!ENTITY x \"boom\">]>{}",
        envelope(ENV11, "", "<op>&x;</op>")
    );
    assert!(malformed(Version::Soap11, &doctype).contains("DOCTYPE"));
    let deep = envelope(
        ENV11,
        "",
        &format!("{}{}", "<a>".repeat(100), "</a>".repeat(100)),
    );
    assert!(malformed(Version::Soap11, &deep).contains("nesting deeper than 64 elements"));
}

#[test]
fn responses_wrap_documents_without_their_declarations() {
    let text = response_envelope(
        Version::Soap11,
        "urn:flowgate:ws",
        "createOrderResponse",
        Some("OrderList"),
        &[
            "<?xml version=\"1.0\"?>\n<Ack><Id>1</Id></Ack>",
            "<Ack><Id>2</Id></Ack>",
        ],
    );
    assert_eq!(
        text,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{ENV11}\"><soap:Body><ws:createOrderResponse xmlns:ws=\"urn:flowgate:ws\"><ws:OrderList><Ack><Id>1</Id></Ack><Ack><Id>2</Id></Ack></ws:OrderList></ws:createOrderResponse></soap:Body></soap:Envelope>"
        )
    );
    // What flowgate writes, it reads: the documents come back out.
    let read = read_envelope(&text, Version::Soap11, &limits()).unwrap();
    assert_eq!(read.operation.local, "createOrderResponse");
    assert_eq!(read.payload.len(), 1);
    let list = &read.payload[0].text;
    assert!(
        list.ends_with("<Ack><Id>1</Id></Ack><Ack><Id>2</Id></Ack></ws:OrderList>"),
        "{list}"
    );
}

#[test]
fn faults_in_each_version() {
    let fault = Fault {
        code: FaultCode::Client,
        reason: "order <A-1> needs approval".to_owned(),
        detail: Some("<?xml version=\"1.0\"?>\n<problem xmlns=\"urn:ietf:rfc:7807\"><status>422</status></problem>".to_owned()),
    };
    assert_eq!(
        fault_envelope(Version::Soap11, &fault),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{ENV11}\"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>order &lt;A-1&gt; needs approval</faultstring><detail><problem xmlns=\"urn:ietf:rfc:7807\"><status>422</status></problem></detail></soap:Fault></soap:Body></soap:Envelope>"
        )
    );
    let server = Fault {
        code: FaultCode::Server,
        reason: "failed".to_owned(),
        detail: None,
    };
    assert_eq!(
        fault_envelope(Version::Soap12, &server),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{ENV12}\"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">failed</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"
        )
    );
    let must = Fault {
        code: FaultCode::MustUnderstand(vec![QName {
            namespace: Some("urn:wsse".to_owned()),
            local: "Security".to_owned(),
        }]),
        reason: "not understood".to_owned(),
        detail: None,
    };
    let text = fault_envelope(Version::Soap12, &must);
    assert!(
        text.contains("<soap:Header><soap:NotUnderstood qname=\"h:Security\" xmlns:h=\"urn:wsse\"/></soap:Header>"),
        "{text}"
    );
    assert!(
        text.contains("<soap:Value>soap:MustUnderstand</soap:Value>"),
        "{text}"
    );
    assert!(
        fault_envelope(Version::Soap11, &must)
            .contains("<faultcode>soap:MustUnderstand</faultcode>")
    );
    // SOAP 1.1 keeps `detail` for the Body's errors; 1.2 allows it for any.
    let with_detail = Fault {
        detail: Some("<problem xmlns=\"urn:ietf:rfc:7807\"/>".to_owned()),
        ..must.clone()
    };
    let soap11 = fault_envelope(Version::Soap11, &with_detail);
    assert!(
        soap11.contains("<faultstring>not understood</faultstring></soap:Fault>"),
        "{soap11}"
    );
    assert!(fault_envelope(Version::Soap12, &with_detail).contains("<soap:Detail><problem"));
    // Both parse as XML.
    for text in [fault_envelope(Version::Soap11, &fault), text] {
        crate::doc::xml::check(&text, &limits()).unwrap();
    }
}

#[test]
fn a_version_mismatch_may_name_the_envelope_the_endpoint_takes() {
    let mismatch = |upgrade| Fault {
        code: FaultCode::VersionMismatch { upgrade },
        reason: "wrong version".to_owned(),
        detail: None,
    };
    // SOAP 1.2 Appendix A: a SOAP 1.1 fault with the 1.2 Upgrade block.
    let text = fault_envelope(Version::Soap11, &mismatch(Some(Version::Soap12)));
    assert_eq!(
        text,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{ENV11}\"><soap:Header><upg:Upgrade xmlns:upg=\"{ENV12}\"><upg:SupportedEnvelope qname=\"v:Envelope\" xmlns:v=\"{ENV12}\"/></upg:Upgrade></soap:Header><soap:Body><soap:Fault><faultcode>soap:VersionMismatch</faultcode><faultstring>wrong version</faultstring></soap:Fault></soap:Body></soap:Envelope>"
        )
    );
    crate::doc::xml::check(&text, &limits()).unwrap();
    let text = fault_envelope(Version::Soap12, &mismatch(Some(Version::Soap12)));
    assert!(
        text.contains(&format!("<soap:Envelope xmlns:soap=\"{ENV12}\"><soap:Header><upg:Upgrade xmlns:upg=\"{ENV12}\"><upg:SupportedEnvelope qname=\"v:Envelope\"")),
        "{text}"
    );
    assert!(
        text.contains("<soap:Value>soap:VersionMismatch</soap:Value>"),
        "{text}"
    );
    crate::doc::xml::check(&text, &limits()).unwrap();
    let text = fault_envelope(Version::Soap11, &mismatch(None));
    assert!(!text.contains("Header"), "{text}");
}

#[test]
fn content_types_by_version() {
    assert!(Version::Soap11.accepts("text/xml; charset=utf-8"));
    assert!(Version::Soap11.accepts("Application/XML"));
    assert!(!Version::Soap11.accepts("application/soap+xml"));
    assert!(Version::Soap12.accepts("application/soap+xml; charset=utf-8; action=\"x\""));
    assert!(!Version::Soap12.accepts("text/xml"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> String {
        envelope(
            ENV11,
            "<s:Header><t:Trace xmlns:t=\"urn:trace\" s:mustUnderstand=\"0\">42</t:Trace></s:Header>",
            "<ws:createOrder xmlns:ws=\"urn:flowgate:ws\"><ws:OrderList><o:Order><o:Id>A-1</o:Id></o:Order></ws:OrderList></ws:createOrder>",
        )
    }

    proptest! {
        /// Whatever a client sends, reading it ends in an envelope or an
        /// error, never a panic; and every payload item read is itself
        /// well-formed XML.
        #[test]
        fn any_bytes_read_or_refused(text in ".{0,300}") {
            if let Ok(envelope) = read(Version::Soap11, &text) {
                for item in envelope.payload {
                    prop_assert!(crate::doc::xml::check(&item.text, &limits()).is_ok());
                }
            }
        }

        /// A valid envelope with one stretch cut out or repeated.
        #[test]
        fn mutated_envelopes_read_or_refused(start in 0usize..400, len in 0usize..40, repeat in any::<bool>()) {
            let text = sample();
            let start = start.min(text.len());
            let end = (start + len).min(text.len());
            if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                return Ok(());
            }
            let mutated = if repeat {
                format!("{}{}{}", &text[..end], &text[start..end], &text[end..])
            } else {
                format!("{}{}", &text[..start], &text[end..])
            };
            for version in [Version::Soap11, Version::Soap12] {
                if let Ok(envelope) = read(version, &mutated) {
                    for item in envelope.payload {
                        prop_assert!(crate::doc::xml::check(&item.text, &limits()).is_ok(), "{}", item.text);
                    }
                }
            }
        }
    }
}
