//! Profiles: the contracts of web services (SPEC §7).
//!
//! A profile is an XSD (`profiles/NAME.xsd`) or a JSON Schema
//! (`profiles/NAME.schema.json`). It validates what comes in, shapes what
//! `map` builds, and types the values templates see.

pub mod infer;
pub mod xsd;
