//! The tracing subscriber: pretty, human logs in development and one JSON object
//! per line in production. Shared by the binary and the test harness.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// The filter used when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,actix_server=warn";

/// Installs the global subscriber writing to standard output.
pub fn init(format: LogFormat) {
    init_with_writer(format, std::io::stdout);
}

/// Installs the global subscriber with any writer (tests capture output this way).
/// A second call is a no-op: only one global subscriber can exist per process.
pub fn init_with_writer<W>(format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    init_with_filter(format, filter, writer);
}

/// Installs the global subscriber with an explicit filter.
pub fn init_with_filter<W>(format: LogFormat, filter: EnvFilter, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _already_installed = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Request spans for `tracing-actix-web`, carrying *our* request id (the one
/// echoed in `x-request-id` and in problem bodies) rather than a second one.
/// Only the method, route pattern and status are recorded: never the query
/// string, headers or bodies, which may hold credentials.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<crate::http::RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        tracing::info_span!(
            "http_request",
            method = %request.method(),
            route = %request.match_pattern().unwrap_or_else(|| "unmatched".into()),
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
        span.in_scope(|| tracing::info!(status = status.as_u16(), "request finished"));
    }
}
