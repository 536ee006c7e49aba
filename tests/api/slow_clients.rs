//! Slow clients: a body has a read deadline, and one address can have only so
//! many requests in progress, so a flood of slow requests cannot take the
//! server away from everyone else. Driven over raw TCP, as an attacker would.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{Backend, TestApp};

fn server(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

/// Sends the head of a login whose 100-byte body will come slowly (or never).
async fn start_slow_login(app: &TestApp, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(server(app)).await.expect("connect");
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection (or `limit` passes).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> String {
    let mut received = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_trickled_body_is_cut_at_the_deadline() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("BODY_READ_TIMEOUT_MS".into(), "1000".into());
    })
    .await
    else {
        return;
    };
    let started = Instant::now();
    let mut stream = start_slow_login(&app, "127.0.0.1").await;
    // One byte every 300 ms: each byte is on time, the body as a whole is not.
    let trickle = async {
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if stream.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3), trickle)
        .await
        .ok();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "expected a 408, got {answer:?}"
    );
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(
        took < Duration::from_secs(8),
        "the connection lived {took:?}"
    );
}

#[tokio::test]
async fn a_slow_flood_from_one_address_does_not_lock_out_another() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("BODY_READ_TIMEOUT_MS".into(), "3000".into());
        vars.insert("MAX_REQUESTS_PER_CLIENT".into(), "8".into());
    })
    .await
    else {
        return;
    };
    // The attacker opens 40 slow requests from 127.0.0.1 and sends nothing more.
    let mut flood = Vec::new();
    for _ in 0..40 {
        flood.push(start_slow_login(&app, "127.0.0.1").await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Another address is served at once.
    let client = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let started = Instant::now();
    let other = client.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(other.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));

    // The flooding address itself is turned away while its slots are full.
    let refused = app.get("/health/live").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));

    // Beyond the cap, requests were refused and closed at once; the ones
    // that got a slot end at the body deadline.
    let mut timed_out = 0;
    let mut turned_away = 0;
    for stream in &mut flood {
        let answer = read_until_closed(stream, Duration::from_secs(6)).await;
        if answer.starts_with("HTTP/1.1 408") {
            timed_out += 1;
        } else if answer.starts_with("HTTP/1.1 429") {
            turned_away += 1;
        } else {
            panic!("unexpected answer to a slow request: {answer:?}");
        }
    }
    assert_eq!((timed_out, turned_away), (8, 32));
    assert_eq!(
        app.get("/health/live").await.status(),
        200,
        "service recovers"
    );
}

/// A body the handler never reads (here: a chunked body on `GET /health/live`)
/// would be drained after the response with no deadline; the server hangs up
/// instead of waiting for the rest.
#[tokio::test]
async fn an_unread_body_ends_its_connection() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let mut stream = TcpStream::connect(server(&app)).await.expect("connect");
    let head = "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\
                Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut received))
        .await
        .is_ok();
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(
        closed,
        "the connection stayed open to drain a trickled body"
    );
}
