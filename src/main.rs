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
    /// Load demo users, products and orders (refused in production).
    Seed {
        #[arg(long, default_value_t = 10)]
        users: u32,
        #[arg(long, default_value_t = 100)]
        orders: u64,
    },
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account; the password is read from a prompt or stdin.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        display_name: String,
    },
    /// Give an existing account the admin role.
    Promote {
        #[arg(long)]
        email: String,
    },
    /// Run one housekeeping pass (expired pending orders are cancelled).
    Prune,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            print!("{}", rampart::openapi::to_pretty_json());
            std::process::ExitCode::SUCCESS
        }
        Command::Serve => report(serve().await),
        Command::Admin { command } => report(admin(command).await),
        Command::Seed { users, orders } => report(seed(users, orders).await),
    }
}

/// Failures (unsafe production configuration, unreachable database, port in
/// use, a refused password) end here with the whole cause chain.
fn report(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rampart: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn seed(users: u32, orders: u64) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    if settings.is_production() {
        anyhow::bail!("rampart seed is refused when APP_ENV=production");
    }
    let db = rampart::db::connect(&settings.database).await?;
    let started = std::time::Instant::now();
    let seeded = rampart::seed::run(&settings, &db, users, orders).await?;
    println!(
        "seeded {} users and {} orders in {:.1} s; their password is \"{}\"",
        seeded.user_ids.len(),
        seeded.orders,
        started.elapsed().as_secs_f64(),
        rampart::seed::SEED_PASSWORD
    );
    Ok(())
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    match command {
        AdminCommand::Create {
            email,
            display_name,
        } => rampart::cli::create_admin(settings, &email, &display_name).await,
        AdminCommand::Promote { email } => rampart::cli::promote(settings, &email).await,
        AdminCommand::Prune => rampart::cli::prune(settings).await,
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
