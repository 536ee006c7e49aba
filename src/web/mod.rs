//! Server-rendered HTML pages (templates/), over the same services as the API.

pub mod routes;
