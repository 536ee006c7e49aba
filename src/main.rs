//! The `rampart` binary: parse the command line, then hand over to the library.

use clap::{Parser, Subcommand};
use rampart::config::Settings;
use rampart::startup::Application;
use rampart::telemetry;

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "A REST API server with every API security control built in"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default when no subcommand is given).
    Serve,
    /// Print the OpenAPI document to standard output.
    Openapi,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            print!("{}", rampart::openapi::to_pretty_json());
            std::process::ExitCode::SUCCESS
        }
        Command::Serve => match serve().await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                // Start-up failures (unsafe production configuration, unreachable
                // database, port in use) end here with the whole cause chain.
                eprintln!("rampart: {error:#}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "rampart is listening");
    app.run_until_stopped().await?;
    Ok(())
}
