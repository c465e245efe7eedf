//! XML profiles: the XSD subset of SPEC §7.
//!
//! Placeholder signatures until the XSD compiler lands; nothing here is reachable.

use std::sync::Arc;

use minijinja::Value;

use super::Violation;
use crate::diag::{Diagnostics, SourceFile};
use crate::doc::xml::XmlLimits;

#[derive(Debug)]
pub struct XmlProfile;

pub fn compile(files: &[Arc<SourceFile>]) -> (Vec<(String, Arc<XmlProfile>)>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    for file in files {
        diagnostics.push(file.error(
            crate::config::node::Span::point(0),
            "XSD profiles are being built",
        ));
    }
    (Vec::new(), diagnostics)
}

#[derive(Debug, Clone, Copy)]
pub struct ElementRef;

impl XmlProfile {
    pub fn read(&self, _text: &str, _limits: &XmlLimits) -> Result<Value, Vec<Violation>> {
        Err(Vec::new())
    }
    pub fn write(&self, _value: &Value) -> Result<String, Vec<Violation>> {
        Err(Vec::new())
    }
    pub fn element_at(&self, _path: &[&str]) -> Option<ElementRef> {
        None
    }
    pub fn read_at(
        &self,
        _element: ElementRef,
        _text: &str,
        _limits: &XmlLimits,
    ) -> Result<Value, Vec<Violation>> {
        Err(Vec::new())
    }
}
