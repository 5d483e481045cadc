//! Users: create rules and errors, the invite cap, listing and pagination, get, update,
//! delete, password, status and SSO token.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use zoombulk_sandbox::User;

#[tokio::test]
async fn create_returns_201_with_zooms_fields_and_content_location() {
    let a = api(bare()).await;
    let r = a
        .req(Method::POST, "/users")
        .json(&json!({"action": "custCreate", "user_info": {"email": "Ada@Example.com", "type": 2, "first_name": "Ada", "last_name": "Lovelace"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-ratelimit-category"], "Light");
    assert_eq!(r.headers()["x-ratelimit-type"], "QPS");
    assert_eq!(r.headers()["x-ratelimit-limit"], "10000");
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    assert_eq!(location, format!("{}/users/{id}", a.sandbox.base_url()));
    assert_eq!(
        body,
        json!({"id": id, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "type": 2})
    );
    let user = a.sandbox.store().user_by_email("ADA@example.com").unwrap();
    assert_eq!(
        (user.id.as_str(), user.status.as_str(), user.created_via.as_str()),
        (id, "active", "custCreate")
    );
    assert_eq!(a.sandbox.stats().users_created_by_email["ada@example.com"], 1);
}

#[tokio::test]
async fn create_action_makes_a_pending_user_listed_without_id_but_fetchable() {
    let a = api(bare()).await;
    let (s, created) = a.post("/users", user_body("create", "pend@example.com")).await;
    assert_eq!(s, 201);
    assert_eq!(
        a.sandbox
            .store()
            .user_by_email("pend@example.com")
            .unwrap()
            .status,
        "pending"
    );
    let (_, list) = a.get("/users?status=pending").await;
    assert_eq!(list["total_records"], 1);
    assert_eq!(list["users"][0]["email"], "pend@example.com");
    assert!(
        list["users"][0].get("id").is_none(),
        "no id for pending users in the list"
    );
    let (s, one) = a.get("/users/pend@example.com").await;
    assert_eq!(s, 200);
    assert_eq!(one["id"], created["id"]);
    assert_eq!(one["status"], "pending");
    let (_, active) = a.get("/users").await;
    assert_eq!(
        active["total_records"], 1,
        "default status=active: only the owner"
    );
}

#[tokio::test]
async fn autocreate_ssocreate_are_active_and_the_password_is_kept() {
    let a = api(bare()).await;
    let mut body = user_body("autoCreate", "auto@example.com");
    body["user_info"]["password"] = json!("Tr0ub4dor-Xy");
    assert_eq!(a.post("/users", body).await.0, 201);
    assert!(
        a.sandbox
            .store()
            .password_matches("auto@example.com", "Tr0ub4dor-Xy")
    );
    assert!(!a.sandbox.store().password_matches("auto@example.com", "other"));
    let mut sso = user_body("ssoCreate", "sso@example.com");
    sso["user_info"]["type"] = json!(99);
    assert_eq!(a.post("/users", sso).await.0, 201);
    let u = a.sandbox.store().user_by_email("sso@example.com").unwrap();
    assert_eq!((u.status.as_str(), u.user_type), ("active", 99));
}

#[tokio::test]
async fn every_create_rule_has_its_error() {
    let a = api(bare()).await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"user_info": {"email": "a@example.com", "type": 1}}),
            "action",
            "This field is required.",
        ),
        (
            json!({"action": "invite", "user_info": {"email": "a@example.com", "type": 1}}),
            "action",
            "Invalid field.",
        ),
        (
            json!({"action": "create"}),
            "user_info",
            "This field is required.",
        ),
        (
            json!({"action": "create", "user_info": {"type": 1}}),
            "user_info.email",
            "This field is required.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "not-an-email", "type": 1}}),
            "user_info.email",
            "Invalid field.",
        ),
        (
            json!({"action": "create", "user_info": {"email": format!("{}@example.com", "a".repeat(120)), "type": 1}}),
            "user_info.email",
            "Length of this field must be less than or equal to 128.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com"}}),
            "user_info.type",
            "This field is required.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": "2"}}),
            "user_info.type",
            "Invalid field.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 5}}),
            "user_info.type",
            "Invalid field.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 99}}),
            "user_info.type",
            "Invalid field.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 1, "first_name": "x".repeat(65)}}),
            "user_info.first_name",
            "Length of this field must be less than or equal to 64.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 1, "last_name": "y".repeat(65)}}),
            "user_info.last_name",
            "Length of this field must be less than or equal to 64.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 1, "first_name": "一二三四五六"}}),
            "user_info.first_name",
            "Cannot contain more than 5 Chinese characters.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 1, "display_name": "d".repeat(129)}}),
            "user_info.display_name",
            "Length of this field must be less than or equal to 128.",
        ),
        (
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 1, "dept": "Sales"}}),
            "user_info.dept",
            "Unrecognized field.",
        ),
    ];
    for (body, field, message) in cases {
        let got = a.post("/users", body.clone()).await;
        assert_validation(&got, field, message);
    }
    let on_prem = a
        .post(
            "/users",
            json!({"action": "create", "user_info": {"email": "a@example.com", "type": 3}}),
        )
        .await;
    assert_error(&on_prem, 400, 300, "Your account can't set user type as On-prem.");
    for pw in [
        None,
        Some("Ab1"),
        Some("Abcdefghij"),
        Some("abcdefg12"),
        Some("AAAAAAAA"),
        Some("12345678"),
        Some("Abcdefgh"),
    ] {
        let mut body = user_body("autoCreate", "pw@example.com");
        if let Some(pw) = pw {
            body["user_info"]["password"] = json!(pw);
        }
        assert_error(
            &a.post("/users", body).await,
            400,
            300,
            "Invalid parameter: password",
        );
    }
    for text in ["", "{", "[1,2]", "\"text\""] {
        assert_error(
            &a.raw(Method::POST, "/users", text).await,
            400,
            300,
            "Request Body should be a valid JSON object.",
        );
    }
    assert_eq!(a.sandbox.store().user_count(), 1, "nothing was created");
}

#[tokio::test]
async fn an_existing_email_is_409_1005_in_any_case_and_never_created_twice() {
    let a = api(bare()).await;
    assert_eq!(
        a.post("/users", user_body("create", "kim@example.com")).await.0,
        201
    );
    let got = a.post("/users", user_body("custCreate", "KIM@Example.com")).await;
    assert_error(
        &got,
        409,
        1005,
        "Email \"KIM@Example.com\" has already been used.",
    );
    // Concurrent creates of one new email: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let http = a.http.clone();
        let url = format!("{}/users", a.sandbox.base_url());
        let token = a.token.clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&user_body("custCreate", "race@example.com"))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15);
    let stats = a.sandbox.stats();
    assert_eq!(stats.users_created_by_email["race@example.com"], 1);
    assert_eq!(stats.max_creations_per_email(), 1);
}

#[tokio::test]
async fn the_daily_invite_cap_is_a_429_with_daily_headers_for_create_only() {
    let mut cfg = bare();
    cfg.limits.daily_user_invites = 2;
    let a = api(cfg).await;
    for i in 0..2 {
        assert_eq!(
            a.post("/users", user_body("create", &format!("i{i}@example.com")))
                .await
                .0,
            201
        );
    }
    let r = a
        .req(Method::POST, "/users")
        .json(&user_body("create", "i2@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers().clone();
    assert_eq!(h["x-ratelimit-type"], "Daily-limit");
    assert_eq!(h["x-ratelimit-category"], "Light");
    assert_eq!(h["x-ratelimit-limit"], "2");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let retry = httpdate::parse_http_date(h["retry-after"].to_str().unwrap()).unwrap();
    let reset = chrono::DateTime::<chrono::Utc>::from(retry);
    let expected = (chrono::Utc::now().date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(reset, expected, "Retry-After is the next 00:00 UTC");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"code": 429, "message": "You have exceeded the daily rate limit (2) of user invite requests permitted for this account. You may resume these requests at GMT 00:00:00."})
    );
    // Other actions are not invites; raising the cap lets invites through again.
    assert_eq!(
        a.post("/users", user_body("custCreate", "c@example.com")).await.0,
        201
    );
    a.sandbox.store().set_daily_user_invites(3);
    assert_eq!(
        a.post("/users", user_body("create", "i2@example.com")).await.0,
        201
    );
    assert_eq!(a.sandbox.stats().rate_limited["light"], 1);
    assert!(a.sandbox.store().user_by_email("i2@example.com").is_some());
}

#[tokio::test]
async fn listing_pages_through_every_user_once_with_zooms_pagination_fields() {
    let mut cfg = seeded();
    cfg.seed_users = 250;
    let a = api(cfg).await;
    let store_active: Vec<User> = a
        .sandbox
        .store()
        .users()
        .into_iter()
        .filter(|u| u.status == "active")
        .collect();
    let (s, first) = a.get("/users?page_size=100").await;
    assert_eq!(s, 200);
    assert_eq!(first["total_records"], store_active.len());
    assert_eq!(first["page_size"], 100);
    assert_eq!(first["page_number"], 1);
    assert_eq!(first["page_count"], store_active.len().div_ceil(100));
    let mut seen = Vec::new();
    let mut page = first;
    let mut pages = 0;
    loop {
        pages += 1;
        for u in page["users"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_string());
            assert_eq!(u["status"], "active");
        }
        let token = page["next_page_token"].as_str().unwrap().to_string();
        if token.is_empty() {
            break;
        }
        // A user created mid-export does not disturb the pages already planned.
        if pages == 1 {
            a.post("/users", user_body("custCreate", "mid@example.com")).await;
        }
        page = a
            .get(&format!("/users?page_size=100&next_page_token={token}"))
            .await
            .1;
        assert_eq!(page["page_number"], pages + 1);
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice");
    assert_eq!(
        seen.len(),
        store_active.len() + 1,
        "every active user, the newcomer at the end"
    );
    assert_eq!(
        seen.last().unwrap(),
        &a.sandbox.store().user_by_email("mid@example.com").unwrap().id
    );
    let expected: Vec<&String> = store_active.iter().map(|u| &u.id).collect();
    assert_eq!(
        seen[..expected.len()].iter().collect::<Vec<_>>(),
        expected,
        "creation order"
    );
}

#[tokio::test]
async fn page_size_defaults_to_30_and_clamps_to_2000_and_filters_apply() {
    let mut cfg = seeded();
    cfg.seed_users = 2100;
    let a = api(cfg).await;
    let (_, p) = a.get("/users").await;
    assert_eq!(
        (p["page_size"].as_u64(), p["users"].as_array().unwrap().len()),
        (Some(30), 30)
    );
    let (_, p) = a.get("/users?page_size=5000").await;
    assert_eq!(p["page_size"], 2000);
    assert_eq!(
        p["users"].as_array().unwrap().len(),
        2000.min(p["total_records"].as_u64().unwrap() as usize)
    );
    assert_error(
        &a.get("/users?page_size=abc").await,
        400,
        300,
        "Invalid parameter: page_size",
    );
    assert_error(
        &a.get("/users?status=gone").await,
        400,
        300,
        "Invalid parameter: status",
    );
    let (_, inactive) = a.get("/users?status=inactive&page_size=300").await;
    let expected = a
        .sandbox
        .store()
        .users()
        .iter()
        .filter(|u| u.status == "inactive")
        .count();
    assert!(expected > 0);
    assert_eq!(inactive["total_records"], expected);
    let (_, admins) = a.get("/users?role_id=1&page_size=300").await;
    let expected = a
        .sandbox
        .store()
        .users()
        .iter()
        .filter(|u| u.status == "active" && u.role_id == "1")
        .count();
    assert_eq!(admins["total_records"], expected);
    assert!(
        admins["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["role_id"] == "1")
    );
}

#[tokio::test]
async fn page_tokens_are_opaque_scoped_and_expire() {
    let mut cfg = seeded();
    cfg.page_token_ttl = Duration::from_millis(800);
    let a = api(cfg).await;
    let (_, p) = a.get("/users?page_size=5").await;
    let token = p["next_page_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty() && !token.contains('|'));
    let (s, again) = a
        .get(&format!("/users?page_size=5&next_page_token={token}"))
        .await;
    assert_eq!(s, 200);
    let (_, replay) = a
        .get(&format!("/users?page_size=5&next_page_token={token}"))
        .await;
    assert_eq!(
        again["users"], replay["users"],
        "a token may be replayed after a lost response"
    );
    let got = a
        .get(&format!("/users?status=inactive&next_page_token={token}"))
        .await;
    assert_error(&got, 400, 300, "The next page token is invalid or expired.");
    assert_error(
        &a.get("/users?next_page_token=bogus").await,
        400,
        300,
        "The next page token is invalid or expired.",
    );
    tokio::time::sleep(Duration::from_millis(850)).await;
    let got = a
        .get(&format!("/users?page_size=5&next_page_token={token}"))
        .await;
    assert_error(&got, 400, 300, "The next page token is invalid or expired.");
}

#[tokio::test]
async fn get_user_by_id_email_or_me_and_404_1001() {
    let a = api(seeded()).await;
    let owner = a.sandbox.store().owner().unwrap();
    let (s, me) = a.get("/users/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["id"], owner.id);
    assert_eq!(me["role_id"], "0");
    assert_eq!(me["type"], 2);
    assert_eq!(me["account_id"], "sandbox");
    let (_, by_email) = a.get(&format!("/users/{}", owner.email.to_uppercase())).await;
    assert_eq!(by_email["id"], owner.id);
    let (_, by_id) = a.get(&format!("/users/{}", owner.id)).await;
    assert_eq!(by_id["email"], owner.email);
    assert_error(
        &a.get("/users/nobody@example.com").await,
        404,
        1001,
        "User does not exist: nobody@example.com.",
    );
    assert_error(
        &a.get("/users/zzzzzzzzzzzzzzzzzzzzzz").await,
        404,
        1001,
        "User does not exist: zzzzzzzzzzzzzzzzzzzzzz.",
    );
}

#[tokio::test]
async fn patch_validates_then_updates_with_204() {
    let a = api(bare()).await;
    a.post("/users", user_body("custCreate", "pat@example.com")).await;
    let path = "/users/pat@example.com";
    let (s, body) = a
        .send(Method::PATCH, path, json!({"first_name": "Pat", "dept": "Legal", "host_key": "123456", "pmi": 3456789012u64, "job_title": "Counsel", "use_pmi": true}))
        .await;
    assert_eq!((s.as_u16(), body), (204, Value::Null));
    let u = a.sandbox.store().user_by_email("pat@example.com").unwrap();
    assert_eq!(
        (
            u.first_name.as_str(),
            u.dept.as_str(),
            u.host_key.as_str(),
            u.pmi,
            u.use_pmi
        ),
        ("Pat", "Legal", "123456", 3456789012, true)
    );
    for (body, field, message) in [
        (json!({"host_key": "12345"}), "host_key", "Invalid field."),
        (json!({"host_key": "12345678901"}), "host_key", "Invalid field."),
        (json!({"host_key": "12ab56"}), "host_key", "Invalid field."),
        (json!({"pmi": 123456789}), "pmi", "Invalid field."),
        (json!({"pmi": "3456789012"}), "pmi", "Invalid field."),
        (
            json!({"first_name": "x".repeat(65)}),
            "first_name",
            "Length of this field must be less than or equal to 64.",
        ),
        (
            json!({"last_name": "y".repeat(65)}),
            "last_name",
            "Length of this field must be less than or equal to 64.",
        ),
        (
            json!({"email": "new@example.com"}),
            "email",
            "Unrecognized field.",
        ),
        (json!({"type": 7}), "type", "Invalid field."),
    ] {
        assert_validation(&a.send(Method::PATCH, path, body).await, field, message);
    }
    assert_error(
        &a.send(Method::PATCH, path, json!({"type": 3})).await,
        400,
        300,
        "Your account can't set user type as On-prem.",
    );
    assert_error(
        &a.raw(Method::PATCH, path, "{oops").await,
        400,
        300,
        "Request Body should be a valid JSON object.",
    );
    assert_error(
        &a.send(Method::PATCH, "/users/ghost@example.com", json!({"dept": "X"}))
            .await,
        404,
        1001,
        "User does not exist: ghost@example.com.",
    );
    assert_eq!(
        a.sandbox
            .store()
            .user_by_email("pat@example.com")
            .unwrap()
            .first_name,
        "Pat",
        "failed patches change nothing"
    );
}

#[tokio::test]
async fn password_status_and_token_endpoints() {
    let a = api(bare()).await;
    a.post("/users", user_body("custCreate", "sam@example.com")).await;
    let p = "/users/sam@example.com/password";
    assert_eq!(
        a.send(Method::PUT, p, json!({"password": "Qw8-otherPass"}))
            .await
            .0,
        204
    );
    assert!(
        a.sandbox
            .store()
            .password_matches("sam@example.com", "Qw8-otherPass")
    );
    assert_error(
        &a.send(Method::PUT, p, json!({"password": "Qw8-otherPass"})).await,
        400,
        300,
        "Your new password can not match the old password.",
    );
    assert_error(
        &a.send(Method::PUT, p, json!({"password": "Ab1"})).await,
        400,
        1124,
        "Have at least 8 characters",
    );
    assert_error(
        &a.send(Method::PUT, p, json!({"password": "abcdefg12"})).await,
        400,
        1128,
        "Include both Upper case and Lower case characters",
    );
    assert_error(
        &a.send(Method::PUT, p, json!({"password": "11111111"})).await,
        400,
        1130,
        "Password can't use the same character.",
    );
    assert_validation(
        &a.send(Method::PUT, p, json!({})).await,
        "password",
        "This field is required.",
    );
    assert_error(
        &a.send(
            Method::PUT,
            "/users/x@example.com/password",
            json!({"password": "Qw8-fine-Pass"}),
        )
        .await,
        404,
        1001,
        "User does not exist: x@example.com.",
    );

    let s = "/users/sam@example.com/status";
    assert_eq!(
        a.send(Method::PUT, s, json!({"action": "deactivate"})).await.0,
        204
    );
    assert_eq!(
        a.sandbox.store().user_by_email("sam@example.com").unwrap().status,
        "inactive"
    );
    assert_eq!(a.get("/users?status=inactive").await.1["total_records"], 1);
    assert_eq!(a.send(Method::PUT, s, json!({"action": "activate"})).await.0, 204);
    assert_eq!(
        a.sandbox.store().user_by_email("sam@example.com").unwrap().status,
        "active"
    );
    assert_error(
        &a.send(Method::PUT, s, json!({"action": "suspend"})).await,
        400,
        300,
        "Invalid parameter: action",
    );
    assert_error(
        &a.send(Method::PUT, "/users/me/status", json!({"action": "deactivate"}))
            .await,
        400,
        200,
        "Zoom Room and Admin users' status cannot be activated or deactivated.",
    );

    let r = a
        .req(Method::DELETE, "/users/sam@example.com/token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        a.sandbox
            .store()
            .user_by_email("sam@example.com")
            .unwrap()
            .sso_token_revocations,
        1
    );
    let r = a
        .req(Method::DELETE, "/users/nobody@example.com/token")
        .send()
        .await
        .unwrap();
    assert_error(
        &read(r).await,
        404,
        1001,
        "User does not exist: nobody@example.com.",
    );
}

#[tokio::test]
async fn delete_with_action_and_transfer_email() {
    let a = api(seeded()).await;
    let store = a.sandbox.store();
    let owner = store.owner().unwrap();
    let recording = store
        .recordings()
        .into_iter()
        .find(|r| r.host_id != owner.id)
        .unwrap();
    let host = store.user_by_id(&recording.host_id).unwrap();
    a.post("/users", user_body("custCreate", "gone@example.com"))
        .await;

    let del = |path: String| a.req(Method::DELETE, &path).send();
    let got = read(
        del(format!(
            "/users/{}?transfer_email=ghost@example.com&transfer_recording=true",
            host.id
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_error(&got, 404, 1001, "User does not exist: ghost@example.com.");
    let got = read(del(format!("/users/{}?action=erase", host.id)).await.unwrap()).await;
    assert_error(&got, 400, 300, "Invalid parameter: action");
    let got = read(
        del(format!("/users/{}?transfer_email={}", host.id, host.email))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.1["code"], 300);
    let r = del(format!(
        "/users/{}?action=delete&transfer_email={}&transfer_recording=true",
        host.id, owner.email
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    assert!(store.user_by_id(&host.id).is_none());
    assert!(
        store
            .recordings()
            .iter()
            .filter(|m| m.uuid == recording.uuid)
            .all(|m| m.host_id == owner.id),
        "recordings moved"
    );
    let r = del("/users/gone@example.com".to_string()).await.unwrap();
    assert_eq!(r.status(), 204, "default action disassociate");
    assert_error(
        &read(del("/users/gone@example.com".to_string()).await.unwrap()).await,
        404,
        1001,
        "User does not exist: gone@example.com.",
    );
    // The email is free again afterwards.
    assert_eq!(
        a.post("/users", user_body("custCreate", "gone@example.com"))
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn store_helpers_let_tests_arrange_users() {
    let sandbox = Sandbox::start(bare()).await.unwrap();
    let mut u = User::new("Pre@Example.com", "Pre", "Made");
    u.status = "inactive".into();
    let u = sandbox.store().insert_user(u).unwrap();
    assert_eq!(u.email, "pre@example.com");
    assert_eq!(sandbox.store().user_by_id(&u.id).unwrap().status, "inactive");
    assert!(
        sandbox
            .store()
            .insert_user(User::new("pre@example.com", "", ""))
            .is_err()
    );
    assert_eq!(sandbox.store().user_count(), 2);
}

#[tokio::test]
async fn same_seed_same_account() {
    let a = Sandbox::start(seeded()).await.unwrap();
    let b = Sandbox::start(seeded()).await.unwrap();
    let key = |s: &Sandbox| {
        s.store()
            .users()
            .into_iter()
            .map(|u| (u.id, u.email, u.first_name, u.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b));
    assert_eq!(
        a.store().meetings().iter().map(|m| m.id).collect::<Vec<_>>(),
        b.store().meetings().iter().map(|m| m.id).collect::<Vec<_>>()
    );
    let users = a.store().users();
    assert_eq!(users.len(), 61);
    for status in ["active", "inactive", "pending"] {
        assert!(
            users.iter().any(|u| u.status == status),
            "seed has {status} users"
        );
    }
    assert!(
        users
            .iter()
            .any(|u| !u.first_name.is_ascii() || !u.last_name.is_ascii()),
        "unicode names"
    );
    let mut other = seeded();
    other.seed = 8;
    let c = Sandbox::start(other).await.unwrap();
    assert_ne!(key(&a), key(&c));
}
