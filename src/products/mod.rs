//! The product catalogue: public browsing (active products, `in_stock` but
//! never the stock count) and the admin's create/update.

pub mod dto;
pub mod routes;
pub mod store;
