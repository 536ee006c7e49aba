//! HTTP plumbing shared by every feature: request ids and problem rendering,
//! the JSON body extractor, query/path error mapping and the 404/405 fallback.

pub mod extract;
pub mod fallback;
pub mod json;
pub mod pagination;
pub mod request_id;

pub use json::ApiJson;
pub use request_id::RequestId;
