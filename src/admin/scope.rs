//! `AdminScope`: the capability to read across owners.
//!
//! User-owned stores (orders) take either an owner id or an `&AdminScope`.
//! Only this module can make one, and it only does so for an `AdminUser`, so
//! no other code path can read another user's rows by accident (BOLA).

use crate::auth::AdminUser;

#[derive(Debug)]
pub struct AdminScope(());

impl AdminScope {
    pub(in crate::admin) fn for_admin(_admin: &AdminUser) -> Self {
        Self(())
    }
}
