//! Documents and their formats: the units a process works on.

pub mod xml;
