//! The tracing subscriber: pretty, human logs in development and one JSON object
//! per line in production. Shared by the binary and the test harness.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::config::LogFormat;

/// The target of audit events (`crate::audit`).
pub const AUDIT_TARGET: &str = "audit";

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
            .event_format(JsonLines(
                tracing_subscriber::fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            ))
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// One JSON object per line. An audit event's `detail` (JSON text, see
/// `Audit::record`) is embedded as an object, so a log pipeline can query
/// `detail.session_id` instead of parsing a string inside the line.
struct JsonLines(Format<Json>);

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != AUDIT_TARGET {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match embed_detail(&line) {
            Some(embedded) => writeln!(writer, "{embedded}"),
            None => writer.write_str(&line),
        }
    }
}

fn embed_detail(line: &str) -> Option<String> {
    let mut object: serde_json::Value = serde_json::from_str(line).ok()?;
    let detail = object.get_mut("detail")?;
    *detail = serde_json::from_str(detail.as_str()?).ok()?;
    serde_json::to_string(&object).ok()
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

#[cfg(test)]
mod tests {
    use super::embed_detail;

    #[test]
    fn audit_detail_is_embedded_as_json() {
        let line = r#"{"kind":"logged_out","detail":"{\"session_id\":\"s1\"}"}"#;
        let embedded: serde_json::Value =
            serde_json::from_str(&embed_detail(line).unwrap()).unwrap();
        assert_eq!(embedded["detail"]["session_id"], "s1");
        assert_eq!(embedded["kind"], "logged_out");
        // Lines without a JSON `detail` are written as they are.
        assert_eq!(embed_detail(r#"{"kind":"x"}"#), None);
        assert_eq!(embed_detail(r#"{"detail":"not json"}"#), None);
    }
}
