//! The client's lookups that tell what Zoom has after a lost answer or a partly
//! applied batch: a user's `created_at`, registrants by email. Real HTTP against the
//! sandbox on loopback.

mod common;

use chrono::{SubsecRound, Utc};
use serde_json::json;
use zoombulk::zoom::auth::{Credentials, Secret};
use zoombulk::zoom::registrants::{Event, EventKind};
use zoombulk::zoom::{ApiError, Client, ClientConfig, Plan, RateTable};
use zoombulk_sandbox::{Registrant, Sandbox, SandboxConfig};

fn client(sandbox: &Sandbox) -> Client {
    let cfg = sandbox.config();
    Client::new(ClientConfig {
        base_url: sandbox.base_url(),
        base_url_explicit: true,
        credentials: Credentials::ServerToServer {
            oauth_url: sandbox.oauth_url(),
            account_id: cfg.account_id.clone(),
            client_id: cfg.client_id.clone(),
            client_secret: Secret::new(cfg.client_secret.clone()),
        },
        rates: RateTable {
            light: 1000,
            medium: 1000,
            heavy: 1000,
            ..RateTable::for_plan(Plan::Pro)
        },
        max_retries: 1,
    })
    .expect("client")
}

fn seeded() -> SandboxConfig {
    SandboxConfig {
        seed_meetings: 8,
        seed_webinars: 2,
        ..common::unlimited()
    }
}

/// A seeded scheduled meeting with automatic approval.
fn meeting(sandbox: &Sandbox) -> Event {
    let m = sandbox
        .store()
        .meetings()
        .into_iter()
        .find(|m| m.event_type == 2 && m.approval_type == 0)
        .expect("a scheduled meeting with registration");
    Event {
        kind: EventKind::Meeting,
        id: m.id,
    }
}

#[tokio::test]
async fn get_user_returns_created_at_for_active_and_pending_users() {
    let sandbox = common::start(common::unlimited()).await;
    let zoom = client(&sandbox);
    let before = Utc::now().trunc_subsecs(0);
    for (action, email) in [("custCreate", "a@example.com"), ("create", "p@example.com")] {
        let info = json!({"email": email, "type": 1, "first_name": "A"});
        zoom.create_user(action, info).await.expect("created");
    }
    let after = Utc::now();
    for (email, status) in [("a@example.com", "active"), ("P@Example.com", "pending")] {
        let user = zoom.get_user(email).await.expect("found").value;
        let t = user.created_at.expect("created_at");
        assert!(before <= t && t <= after, "{email}: {before} <= {t} <= {after}");
        assert_eq!(user.status.as_deref(), Some(status));
        assert!(user.id.is_some());
    }
    assert!(matches!(
        zoom.get_user("nobody@example.com").await,
        Err(ApiError::Zoom { status: 404, .. })
    ));
}

#[tokio::test]
async fn find_registrant_pages_through_approved_and_pending() {
    let sandbox = common::start(seeded()).await;
    let event = meeting(&sandbox);
    // More than one page (300) of approved registrants, and a few pending ones.
    for i in 0..320 {
        sandbox
            .store()
            .insert_registrant(event.id, Registrant::new(&format!("a{i}@example.com"), "A", ""))
            .expect("inserted");
    }
    let mut pending = Registrant::new("Waiting@Example.com", "W", "");
    pending.status = "pending".into();
    sandbox
        .store()
        .insert_registrant(event.id, pending)
        .expect("inserted");
    let zoom = client(&sandbox);

    let last = zoom
        .find_registrant(event, "A319@example.com")
        .await
        .expect("lookup")
        .expect("found on the second page");
    let stored = sandbox
        .store()
        .registrants(event.id)
        .into_iter()
        .find(|r| r.email == "a319@example.com")
        .expect("stored");
    assert_eq!(last.registrant_id, stored.id);
    assert_eq!(last.join_url.as_deref(), Some(stored.join_url.as_str()));
    assert_eq!(last.status, "approved");

    let w = zoom
        .find_registrant(event, "waiting@example.com")
        .await
        .expect("lookup")
        .expect("pending registrants are found too");
    assert_eq!(
        (w.status.as_str(), w.email.as_str()),
        ("pending", "Waiting@Example.com")
    );

    assert_eq!(
        zoom.find_registrant(event, "none@example.com")
            .await
            .expect("lookup"),
        None
    );
    let unknown = Event {
        kind: EventKind::Meeting,
        id: 1,
    };
    assert!(matches!(
        zoom.find_registrant(unknown, "a0@example.com").await,
        Err(ApiError::Zoom { status: 404, .. })
    ));
}

#[tokio::test]
async fn registrants_by_email_tells_what_a_lost_batch_registered() {
    let mut cfg = seeded();
    cfg.lost_write_rate = 1.0;
    let sandbox = common::start(cfg).await;
    let event = meeting(&sandbox);
    let zoom = client(&sandbox);
    let batch = vec![
        json!({"email": "One@example.com", "first_name": "One"}),
        json!({"email": "two@example.com", "first_name": "Two"}),
    ];
    let lost = zoom.add_registrants_batch(event, batch).await;
    assert!(lost.is_err(), "the answer was lost: {lost:?}");

    let found = zoom
        .registrants_by_email(event, ["one@EXAMPLE.com", "two@example.com", "three@example.com"])
        .await
        .expect("lookup");
    assert_eq!(found.len(), 2, "{found:?}");
    for r in sandbox.store().registrants(event.id) {
        if let Some(f) = found.get(&r.email.to_lowercase()) {
            assert_eq!(f.registrant_id, r.id);
            assert_eq!(f.join_url.as_deref(), Some(r.join_url.as_str()));
        }
    }
    assert!(found.contains_key("one@example.com") && !found.contains_key("three@example.com"));
    let none: [&str; 0] = [];
    assert!(
        zoom.registrants_by_email(event, none)
            .await
            .expect("no lookup")
            .is_empty()
    );
}
