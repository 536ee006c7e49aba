//! `rampart admin …`: account administration from the command line. The
//! password is read from a prompt (no echo) or one line of standard input,
//! never from argv, where it would leak into shell history and `ps`.

use std::io::{BufRead, IsTerminal};

use secrecy::SecretString;

use crate::audit::AuditContext;
use crate::config::Settings;
use crate::db;
use crate::startup::Services;
use crate::users::domain::{Email, Role};
use crate::users::store;

pub async fn create_admin(
    settings: Settings,
    email: &str,
    display_name: &str,
) -> anyhow::Result<()> {
    let password = read_password()?;
    let db = db::connect(&settings.database).await?;
    let services = Services::new(&settings, db)?;
    let ctx = AuditContext {
        user_agent: Some("rampart-cli".into()),
        ..AuditContext::default()
    };
    let user = services
        .auth
        .register(&ctx, email, password, display_name, Role::Admin)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))?;
    println!("created admin {} ({})", user.email, user.id);
    Ok(())
}

pub async fn promote(settings: Settings, email: &str) -> anyhow::Result<()> {
    let email =
        Email::parse(email, "email").map_err(|e| anyhow::anyhow!("--email {}", e.message))?;
    let db = db::connect(&settings.database).await?;
    if !store::set_role(&db, email.as_str(), Role::Admin.as_str()).await? {
        anyhow::bail!("no account with e-mail {email}");
    }
    println!("{email} is now an admin");
    Ok(())
}

/// One housekeeping pass, the same the server runs periodically.
pub async fn prune(settings: Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings.database).await?;
    let report = crate::housekeeping::run_once(&db, &settings.housekeeping).await?;
    println!("housekeeping: {report}");
    Ok(())
}

fn read_password() -> anyhow::Result<SecretString> {
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password (15–128 characters): ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        // Only the line terminator is removed: passwords are never trimmed.
        line.strip_suffix('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .unwrap_or(&line)
            .to_owned()
    };
    Ok(SecretString::from(line))
}

fn describe(error: &crate::error::ApiError) -> String {
    let problem = error.problem();
    let rules: Vec<String> = problem
        .errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect();
    if rules.is_empty() {
        problem.detail
    } else {
        rules.join("; ")
    }
}
