//! flowgate: declarative integration processes served as web services.
//!
//! The data path, one direction (see `ARCHITECTURE.md`):
//! files → [`config`] (raw types) → [`compile`] → [`snapshot::Snapshot`] →
//! [`server`] (route, access, [`pipeline`]) → response → [`executions`]
//! (records, written off the request path).

#![forbid(unsafe_code)]

pub mod access;
pub mod admin;
mod background;
pub mod compile;
pub mod config;
pub mod contract;
pub mod diag;
pub mod doc;
pub mod executions;
pub mod logging;
pub mod metrics;
pub mod outbound;
pub mod pipeline;
pub mod process_tests;
pub mod profile;
pub mod reload;
pub mod report;
pub mod routes;
pub mod server;
pub mod snapshot;
pub mod soap;
pub mod template;
#[cfg(test)]
pub(crate) mod test_pki;
pub mod units;
