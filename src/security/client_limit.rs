//! A bound on the requests one client address has in progress at once.
//!
//! Stops a single address from occupying the server with many slow requests
//! (each one trickling its body up to the read deadline): rate limits count
//! requests *started* per second and cannot see requests that never finish.
//! Beyond `MAX_REQUESTS_PER_CLIENT` the address gets 429 and the connection is
//! closed; other addresses are unaffected. A request whose body was not read
//! to the end also ends its connection, so an unread body cannot be trickled
//! after the response, outside both the slot and the body deadline. The address is the one
//! `client_ip.rs` resolves (the trusted-proxy rule applies).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use crate::http::request_id::map_response;

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
            .set_connection_type(ConnectionType::Close);
        return Ok(req.into_response(response));
    };
    let (req, body) = track_body(req);
    map_response(next.call(req).await, |mut response| {
        // A body the handler did not read (a 401, a 415, a route that takes
        // none) would be drained after the response with no deadline and no
        // slot. Keeping the unread body alive until the response is sent makes
        // the server close the connection instead of draining it.
        match body.and_then(|body| body.borrow_mut().take()) {
            Some(unread) => {
                response
                    .head_mut()
                    .set_connection_type(ConnectionType::Close);
                response.map_body(|_, body| BoxBody::new(HoldingUnread { body, unread }))
            }
            None => response,
        }
    })
}

/// A response body that keeps the unread request body alive until it has
/// been sent: while the request body is alive (not dropped) the server closes
/// the connection after the response; once dropped, it would drain it.
struct HoldingUnread {
    body: BoxBody,
    #[allow(dead_code)]
    unread: Payload,
}

impl MessageBody for HoldingUnread {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

type SharedBody = Rc<RefCell<Option<Payload>>>;

/// Hands the handler a stream over the request's body that leaves the body
/// itself with us; reading it to the end gives it up (`None` in the cell).
fn track_body(mut req: ServiceRequest) -> (ServiceRequest, Option<SharedBody>) {
    let headers = req.headers();
    let announced = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if !announced {
        return (req, None);
    }
    let shared: SharedBody = Rc::new(RefCell::new(Some(req.take_payload())));
    let cell = shared.clone();
    let tracked = futures_util::stream::poll_fn(move |cx| {
        let mut slot = cell.borrow_mut();
        let Some(payload) = slot.as_mut() else {
            return Poll::Ready(None);
        };
        match payload.poll_next_unpin(cx) {
            Poll::Ready(None) => {
                *slot = None;
                Poll::Ready(None)
            }
            other => other,
        }
    });
    let boxed: Pin<Box<dyn futures_util::Stream<Item = Result<web::Bytes, PayloadError>>>> =
        Box::pin(tracked);
    req.set_payload(Payload::from(boxed));
    (req, Some(shared))
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
