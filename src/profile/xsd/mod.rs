//! XML profiles: the XSD subset of SPEC §7.
