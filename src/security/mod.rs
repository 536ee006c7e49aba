//! Security controls, one file each. Each file opens with the attack it stops.

pub mod client_ip;
pub mod client_limit;
pub mod cors;
pub mod hash_pool;
pub mod headers;
pub mod password;
pub mod password_policy;
pub mod rate_limit;
pub mod refresh_token;
pub mod tokens;
