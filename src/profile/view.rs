//! What a template can reach through `doc` in a document of a profile, for
//! checking template paths when they are compiled (`template::check`).
//!
//! This is the shape `read` gives (SPEC §2.2), not the one `map` writes: for
//! an XSD, a map holding the document element; an element of a simple type
//! is a value; a complex one a map of its children, `@attributes` and
//! `#text`; an element that may repeat is always a list. A lookup either
//! reaches a place, is never there (a name the profile does not declare,
//! a name looked up in a list), or is open: it may or may not be there,
//! or could be anything, and is not followed.

use serde_json::Value as Json;

use super::json::JsonProfile;
use super::xsd::{Content, ElementRef, TypeRef, XmlProfile};
use super::{Profile, Schema};

/// A place in the value of a document of a profile.
#[derive(Clone, Copy)]
pub enum Place<'p> {
    /// The documents of a batch (`docs`), each of the profile.
    Documents(&'p Profile),
    /// A whole XML document: a map holding its document element.
    XmlDocument(&'p XmlProfile),
    /// One occurrence of an element.
    XmlElement(&'p XmlProfile, ElementRef),
    /// The occurrences of an element that may repeat.
    XmlList(&'p XmlProfile, ElementRef),
    /// The value at a schema of a JSON profile.
    Json(&'p JsonProfile, &'p Json),
}

/// Where a lookup leads.
pub enum Lookup<'p> {
    Found(Place<'p>),
    /// Maybe there, maybe not, or anything: not followed.
    Open,
    /// Never there: what the value is instead, and the names it has.
    Never {
        what: String,
        names: Vec<String>,
    },
}

impl Profile {
    /// Where `doc` is in a document of this profile.
    pub fn document_place(&self) -> Place<'_> {
        match self.schema() {
            Schema::Xml(xsd) => Place::XmlDocument(xsd),
            Schema::Json(json) => Place::Json(json, json.schema()),
        }
    }
}

impl<'p> Place<'p> {
    /// `place.name` (or `place['name']`).
    pub fn key(self, name: &str) -> Lookup<'p> {
        match self {
            Place::Documents(profile) => match name.parse::<usize>() {
                Ok(_) => Lookup::Found(profile.document_place()),
                Err(_) => Lookup::Never {
                    what: "`docs` is the list of documents: take one (`docs[0]`) or loop over it"
                        .to_owned(),
                    names: Vec::new(),
                },
            },
            Place::XmlDocument(xsd) => {
                let root = xsd.root();
                if root.name() == name {
                    Lookup::Found(Place::XmlElement(xsd, xsd.root_ref()))
                } else {
                    Lookup::Never {
                        what: format!("the document holds only `{}`", root.name()),
                        names: vec![root.name().to_owned()],
                    }
                }
            }
            Place::XmlElement(xsd, element) => xml_key(xsd, element, name),
            Place::XmlList(xsd, element) => match name.parse::<usize>() {
                Ok(_) => Lookup::Found(Place::XmlElement(xsd, element)),
                Err(_) => Lookup::Never {
                    what: format!(
                        "`{}` may repeat, so its value is a list: take one (`[0]`) or loop over it",
                        xsd.element(element).name()
                    ),
                    names: Vec::new(),
                },
            },
            Place::Json(json, schema) => {
                let Some(schema) = json.resolve(schema) else {
                    return Lookup::Open;
                };
                let properties = schema.get("properties").and_then(Json::as_object);
                if let Some(property) = properties.and_then(|p| p.get(name)) {
                    return Lookup::Found(Place::Json(json, property));
                }
                let closed = schema.get("additionalProperties") == Some(&Json::Bool(false))
                    && schema.get("patternProperties").is_none();
                if !closed {
                    return Lookup::Open;
                }
                Lookup::Never {
                    what: "the object takes no other properties".to_owned(),
                    names: properties
                        .into_iter()
                        .flat_map(|p| p.keys().cloned())
                        .collect(),
                }
            }
        }
    }

    /// `place[n]` for a number `n`.
    pub fn index(self) -> Lookup<'p> {
        match self {
            Place::Documents(profile) => Lookup::Found(profile.document_place()),
            Place::XmlList(xsd, element) => Lookup::Found(Place::XmlElement(xsd, element)),
            Place::Json(json, schema) => match json.resolve(schema) {
                Some(schema) if schema.get("prefixItems").is_none() => schema
                    .get("items")
                    .filter(|items| items.is_object())
                    .map_or(Lookup::Open, |items| {
                        Lookup::Found(Place::Json(json, items))
                    }),
                _ => Lookup::Open,
            },
            Place::XmlDocument(_) | Place::XmlElement(..) => Lookup::Open,
        }
    }
}

fn xml_key<'p>(xsd: &'p XmlProfile, element: ElementRef, name: &str) -> Lookup<'p> {
    let decl = xsd.element(element);
    // A value of a simple type: what a lookup in it gives is the engine's business.
    let TypeRef::Complex(complex) = decl.type_ref() else {
        return Lookup::Open;
    };
    let complex = xsd.complex_type(complex);
    let attributes = complex
        .attributes()
        .iter()
        .map(|a| format!("@{}", a.name()));
    let text = (complex.is_mixed() || matches!(complex.content(), Content::Simple(_)))
        .then(|| "#text".to_owned());
    let known = |xsd_names: Vec<String>| Lookup::Never {
        what: format!("`{}` has no `{name}`", decl.name()),
        names: xsd_names,
    };
    if let Some(attribute) = name.strip_prefix('@') {
        return if complex.reads_undeclared_attributes()
            || complex.attributes().iter().any(|a| a.name() == attribute)
        {
            Lookup::Open
        } else {
            known(attributes.collect())
        };
    }
    if name == "#text" {
        return if text.is_some() {
            Lookup::Open
        } else {
            known(Vec::new())
        };
    }
    if complex.child_names().any(|child| child == name) {
        return match complex.child(name) {
            Some(child) if complex.child_repeats(name) => Lookup::Found(Place::XmlList(xsd, child)),
            Some(child) => Lookup::Found(Place::XmlElement(xsd, child)),
            None => Lookup::Open,
        };
    }
    if complex.reads_undeclared_elements() {
        return Lookup::Open;
    }
    known(
        complex
            .child_names()
            .map(str::to_owned)
            .chain(attributes)
            .chain(text)
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests;
