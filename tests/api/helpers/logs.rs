//! An in-memory copy of everything the process logs, for the log-hygiene test.

use std::io::Write;
use std::sync::Mutex;

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// `MakeWriter` that appends to the capture (and echoes when `TEST_LOG=1`).
pub struct Capture;

pub struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut captured) = CAPTURED.lock() {
            captured.extend_from_slice(buf);
        }
        if std::env::var("TEST_LOG").is_ok_and(|v| v != "0") {
            print!("{}", String::from_utf8_lossy(buf));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter
    }
}

/// Everything logged so far.
pub fn captured() -> String {
    CAPTURED
        .lock()
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .unwrap_or_default()
}
