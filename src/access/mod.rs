//! Who may call a route: users, credentials, address allowlists, CORS.
//!
//! Everything here is compiled into the snapshot and checked per request in
//! the order of SPEC §4: authentication, IP allowlists (route and user),
//! user/role/process permission.

pub mod cert;
pub mod net;

use std::net::IpAddr;

use net::Networks;

/// Who may use a route, apart from authentication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// `None`: any address.
    pub allow_ips: Option<Networks>,
}

impl AccessPolicy {
    pub fn admits_ip(&self, addr: IpAddr) -> bool {
        self.allow_ips
            .as_ref()
            .is_none_or(|nets| nets.contains(addr))
    }
}
