//! `rampart seed`: demo data through the stores; refused in production.

use serde_json::Value;

use crate::helpers::TestApp;

on_both_backends!(seeded_data_is_served_through_the_api);

async fn seeded_data_is_served_through_the_api(app: TestApp) {
    let db = app.db().await;
    let settings = rampart::config::Settings::from_lookup(|_| None).unwrap();
    let seeded = rampart::seed::run(&settings, &db, 3, 30).await.unwrap();
    assert_eq!(seeded.orders, 30);
    let first = seeded.user_ids[0];
    let email: String = rampart::on_db!(&db, pool => {
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(first)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let pair: Value = app
        .login(&email, rampart::seed::SEED_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let token = pair["access_token"].as_str().unwrap();
    let page: Value = app
        .get_with("/api/v1/orders?limit=100", token)
        .await
        .json()
        .await
        .unwrap();
    // 30 orders round-robin over 3 users.
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    let products: Value = app
        .get("/api/v1/products?limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(products["items"].as_array().unwrap().len() >= 20);
}

#[test]
fn seeding_is_refused_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .current_dir(dir.path())
        .env_clear()
        .env("APP_ENV", "production")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db", dir.path().display()),
        )
        .env("JWT_PRIVATE_KEY", "not needed to refuse")
        .args(["seed", "--users", "1", "--orders", "1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused"));
    assert!(!dir.path().join("x.db").exists(), "nothing was written");
}
