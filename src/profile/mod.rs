//! Profiles: the contracts of web services (SPEC §7).
//!
//! A profile is an XSD (`profiles/NAME.xsd`) or a JSON Schema
//! (`profiles/NAME.schema.json`). It validates what comes in, shapes what
//! `map` builds, and types the values templates see.

pub mod infer;
pub mod json;
pub mod xsd;

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::Value;

use crate::doc::{MediaType, ParseLimits};
use json::JsonProfile;
use xsd::XmlProfile;

/// One problem with a document, at a path into it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

/// A compiled profile with its name; cloning shares it.
#[derive(Clone, Debug)]
pub struct Profile {
    name: Arc<str>,
    schema: Schema,
}

#[derive(Clone, Debug)]
pub enum Schema {
    Xml(Arc<XmlProfile>),
    Json(Arc<JsonProfile>),
}

impl Profile {
    pub fn new(name: &str, schema: Schema) -> Profile {
        Profile {
            name: name.into(),
            schema,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn media(&self) -> MediaType {
        match self.schema {
            Schema::Xml(_) => MediaType::Xml,
            Schema::Json(_) => MediaType::Json,
        }
    }

    /// Parses and validates a body into its template value.
    pub fn read(&self, body: &[u8], limits: &ParseLimits) -> Result<Value, Vec<Violation>> {
        match &self.schema {
            Schema::Xml(profile) => {
                let text = std::str::from_utf8(body).map_err(|_| {
                    vec![Violation {
                        path: String::new(),
                        message: "the document is not UTF-8".to_owned(),
                    }]
                })?;
                profile.read(text, &limits.xml())
            }
            Schema::Json(profile) => profile.read(body, limits.max_json_depth),
        }
    }

    /// Writes a template value as a document of this profile, validated.
    pub fn write(&self, value: &Value) -> Result<String, Vec<Violation>> {
        match &self.schema {
            Schema::Xml(profile) => profile.write(value),
            Schema::Json(profile) => profile.write(value),
        }
    }

    /// The same profile (not only an equal one).
    pub fn is(&self, other: &Profile) -> bool {
        match (&self.schema, &other.schema) {
            (Schema::Xml(a), Schema::Xml(b)) => Arc::ptr_eq(a, b),
            (Schema::Json(a), Schema::Json(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The profiles of a root, by name.
#[derive(Debug, Default)]
pub struct Profiles(HashMap<String, Profile>);

impl Profiles {
    pub fn insert(&mut self, profile: Profile) {
        self.0.insert(profile.name().to_owned(), profile);
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Violations as one message for a log line.
pub fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            if v.path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", v.path, v.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
