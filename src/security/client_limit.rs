//! A bound on the requests one client address has in progress at once.
//!
//! Stops a single address from occupying the server with many slow requests
//! (each one trickling its body up to the read deadline): rate limits count
//! requests *started* per second and cannot see requests that never finish.
//! Beyond `MAX_REQUESTS_PER_CLIENT` the address gets 429 and the connection is
//! closed; other addresses are unaffected. The address is the one
//! `client_ip.rs` resolves (the trusted-proxy rule applies).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use super::client_ip::TrustedProxies;
use super::client_ip::limit_key;
use crate::error::ApiError;

/// Requests in progress per client address; stored as app data.
pub struct InFlight {
    max_per_client: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl InFlight {
    pub fn new(max_per_client: usize) -> Self {
        Self {
            max_per_client,
            counts: Arc::default(),
        }
    }

    /// Takes a slot for `client`, or `None` when it already has the maximum.
    fn enter(&self, client: IpAddr) -> Option<Slot> {
        let mut counts = self.counts.lock().ok()?;
        let count = counts.entry(client).or_insert(0);
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        Some(Slot {
            client,
            counts: self.counts.clone(),
        })
    }
}

/// Gives its slot back when the request ends, however it ends (a client that
/// disconnects drops the request future, and with it the slot).
struct Slot {
    client: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.lock()
            && let Some(count) = counts.get_mut(&self.client)
        {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

pub async fn limit_in_flight(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let in_flight = req.app_data::<web::Data<InFlight>>().cloned();
    let client = req
        .app_data::<web::Data<TrustedProxies>>()
        .and_then(|proxies| proxies.of_request(&req))
        // IPv6 by /64, like the rate limits: one host holds a whole /64.
        .map(limit_key);
    let (Some(in_flight), Some(client)) = (in_flight, client) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Some(_slot) = in_flight.enter(client) else {
        tracing::warn!(client = %client, "too many requests in progress from one address");
        let mut response = ApiError::TooManyRequests {
            retry_after_secs: 1,
        }
        .error_response();
        // Its connection would otherwise stay open for the next slow request.
        response
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(req.into_response(response));
    };
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_per_address_and_come_back() {
        let in_flight = InFlight::new(2);
        let a: IpAddr = "198.51.100.1".parse().unwrap();
        let b: IpAddr = "198.51.100.2".parse().unwrap();
        let first = in_flight.enter(a).unwrap();
        let _second = in_flight.enter(a).unwrap();
        assert!(in_flight.enter(a).is_none(), "a third request from a");
        assert!(in_flight.enter(b).is_some(), "b is unaffected");
        drop(first);
        assert!(in_flight.enter(a).is_some(), "a slot came back");
    }
}
