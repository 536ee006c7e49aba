//! Security controls, one file each. Each file opens with the attack it stops.

pub mod cors;
pub mod headers;
