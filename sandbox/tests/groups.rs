//! Groups, the profile fields of `PATCH /users/{userId}` and `POST /users/features`
//! (FACTS: Groups, Users).

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn create_user(a: &Api, email: &str) -> String {
    let (s, body) = a.post("/users", user_body("custCreate", email)).await;
    assert_eq!(s, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn group_id(a: &Api, name: &str) -> String {
    a.sandbox.store().group_by_name(name).unwrap().id
}

#[tokio::test]
async fn seeded_groups_are_listed_with_member_counts_and_user_group_ids_agree() {
    let a = api(seeded()).await;
    let (s, body) = a.get("/groups?page_size=2").await;
    assert_eq!(s, 200);
    assert_eq!(body["total_records"], 4);
    assert_eq!(body["groups"].as_array().unwrap().len(), 2);
    let token = body["next_page_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    let (_, rest) = a
        .get(&format!("/groups?page_size=2&next_page_token={token}"))
        .await;
    let mut all: Vec<Value> = body["groups"].as_array().unwrap().clone();
    all.extend(rest["groups"].as_array().unwrap().iter().cloned());
    let names: Vec<&str> = all.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Sales", "Engineering", "Support", "Marketing"]);
    assert_eq!(rest["next_page_token"], "");
    let sales = &all[0];
    let members = a.sandbox.store().members_of(sales["id"].as_str().unwrap());
    assert!(!members.is_empty(), "some seeded users are in Sales");
    assert_eq!(sales["total_members"], members.len());
    let (_, user) = a.get(&format!("/users/{}", members[0].id)).await;
    assert_eq!(user["group_ids"], json!([sales["id"]]));
    let (_, list) = a.get("/users?page_size=2000").await;
    let listed = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(members[0].id))
        .unwrap()
        .clone();
    assert_eq!(listed["group_ids"], json!([sales["id"]]));
    // Zoom clamps a page size above the maximum rather than refusing it.
    let (s, _) = a.get("/groups?page_size=301").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn groups_are_created_fetched_and_names_stay_unique() {
    let a = api(bare()).await;
    let (s, g) = a.post("/groups", json!({"name": "Interns"})).await;
    assert_eq!(s, 201);
    assert_eq!(g["name"], "Interns");
    assert_eq!(g["total_members"], 0);
    let id = g["id"].as_str().unwrap();
    let (s, got) = a.get(&format!("/groups/{id}")).await;
    assert_eq!((s.as_u16(), got.clone()), (200, g.clone()));
    assert_error(
        &a.post("/groups", json!({"name": "Interns"})).await,
        409,
        4132,
        "The group name \"Interns\" is already in use.",
    );
    assert_error(
        &a.get("/groups/nope").await,
        404,
        4130,
        "A group with this nope does not exist.",
    );
}

#[tokio::test]
async fn members_are_added_thirty_at_most_id_winning_over_email_and_removed() {
    let a = api(bare()).await;
    let sales = group_id(&a, "Sales").await;
    let ada = create_user(&a, "ada@example.com").await;
    let bob = create_user(&a, "bob@example.com").await;
    let path = format!("/groups/{sales}/members");
    // `id` wins: bob's email with ada's id adds ada only.
    let (s, body) = a
        .post(
            &path,
            json!({"members": [{"id": ada, "email": "bob@example.com"}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["ids"], ada.as_str());
    assert!(body["added_at"].as_str().unwrap().ends_with('Z'));
    let (_, body) = a
        .post(&path, json!({"members": [{"email": "BOB@example.com"}]}))
        .await;
    assert_eq!(body["ids"], bob.as_str());
    let (_, listed) = a.get(&format!("{path}?page_size=1")).await;
    assert_eq!(listed["total_records"], 2);
    assert_eq!(listed["members"][0]["email"], "ada@example.com");
    assert!(!listed["next_page_token"].as_str().unwrap().is_empty());
    let (_, clamped) = a.get(&format!("{path}?page_size=2001")).await;
    assert_eq!(clamped["page_size"], 2000);
    let (_, user) = a.get(&format!("/users/{bob}")).await;
    assert_eq!(user["group_ids"], json!([sales]));

    let many: Vec<Value> = (0..31)
        .map(|i| json!({"email": format!("u{i}@example.com")}))
        .collect();
    assert_error(
        &a.post(&path, json!({"members": many})).await,
        400,
        300,
        "You can add a maximum of 30 members at a time.",
    );
    assert_error(
        &a.post("/groups/nope/members", json!({"members": [{"id": ada}]}))
            .await,
        404,
        4130,
        "A group with this nope does not exist.",
    );

    let (s, _) = a
        .send(Method::DELETE, &format!("{path}/bob@example.com"), Value::Null)
        .await;
    assert_eq!(s, 204);
    assert!(a.sandbox.store().user_by_id(&bob).unwrap().group_ids.is_empty());
    assert_error(
        &a.send(Method::DELETE, &format!("{path}/{bob}"), Value::Null)
            .await,
        404,
        4131,
        "Group member does not exist.",
    );
}

#[tokio::test]
async fn pending_users_join_through_patch_group_id_not_the_members_call() {
    let a = api(bare()).await;
    let sales = group_id(&a, "Sales").await;
    a.post("/users", user_body("create", "pend@example.com")).await;
    let (_, body) = a
        .post(
            &format!("/groups/{sales}/members"),
            json!({"members": [{"email": "pend@example.com"}]}),
        )
        .await;
    assert_eq!(body["ids"], "", "a pending user is not added by the members call");
    let (s, _) = a
        .send(
            Method::PATCH,
            "/users/pend@example.com",
            json!({"group_id": sales}),
        )
        .await;
    assert_eq!(s, 204);
    let pending = a.sandbox.store().user_by_email("pend@example.com").unwrap();
    assert_eq!(pending.group_ids, [sales]);
    assert_error(
        &a.send(
            Method::PATCH,
            "/users/pend@example.com",
            json!({"group_id": "nope"}),
        )
        .await,
        404,
        4130,
        "Group does not exist: nope.",
    );
}

#[tokio::test]
async fn patch_stores_every_profile_field_and_get_returns_them() {
    let a = api(bare()).await;
    let id = create_user(&a, "ada@example.com").await;
    create_user(&a, "boss@example.com").await;
    let body = json!({
        "dept": "Engineering", "manager": "boss@example.com", "job_title": "Engineer",
        "location": "London", "company": "Example Corp", "cost_center": "CC-12",
        "phone_numbers": [{"code": "+44", "country": "GB", "label": "Mobile", "number": "7700900123"}],
        "pronouns": "she/her", "pronouns_option": 2, "timezone": "Europe/London", "language": "en-GB",
        "custom_attributes": [{"name": "Badge", "value": "42"}],
        "about_me": "Counting engines", "linkedin_url": "https://www.linkedin.com/in/ada",
        "division_ids": ["div1"], "zoom_one_type": 16,
    });
    let (s, b) = a.send(Method::PATCH, &format!("/users/{id}"), body).await;
    assert_eq!(s, 204, "{b}");
    let (_, u) = a.get(&format!("/users/{id}")).await;
    for (k, v) in [
        ("dept", json!("Engineering")),
        ("manager", json!("boss@example.com")),
        ("job_title", json!("Engineer")),
        ("location", json!("London")),
        ("company", json!("Example Corp")),
        ("cost_center", json!("CC-12")),
        ("pronouns", json!("she/her")),
        ("pronouns_option", json!(2)),
        ("timezone", json!("Europe/London")),
        ("language", json!("en-GB")),
        ("about_me", json!("Counting engines")),
        ("linkedin_url", json!("https://www.linkedin.com/in/ada")),
        ("division_ids", json!(["div1"])),
        ("zoom_one_type", json!(16)),
        (
            "phone_numbers",
            json!([{"code": "+44", "country": "GB", "label": "Mobile", "number": "7700900123"}]),
        ),
    ] {
        assert_eq!(u[k], v, "{k}");
    }
    assert_eq!(u["custom_attributes"][0]["name"], "Badge");
    assert_eq!(u["custom_attributes"][0]["value"], "42");
}

#[tokio::test]
async fn patch_refuses_what_zoom_refuses() {
    let a = api(bare()).await;
    let id = create_user(&a, "ada@example.com").await;
    let path = format!("/users/{id}");
    let phone = json!({"code": "+1", "country": "US", "label": "Mobile", "number": "5550100"});
    let attr = json!({"name": "A", "value": "1"});
    for (body, field) in [
        (
            json!({"phone_numbers": [phone, phone, phone, phone]}),
            "phone_numbers",
        ),
        (
            json!({"custom_attributes": [attr, attr, attr, attr, attr, attr]}),
            "custom_attributes",
        ),
        (json!({"pronouns_option": 4}), "pronouns_option"),
        (json!({"job_title": "x".repeat(129)}), "job_title"),
        (json!({"company": "x".repeat(256)}), "company"),
        (json!({"location": "x".repeat(257)}), "location"),
        (json!({"manager": "not an email"}), "manager"),
    ] {
        let got = a.send(Method::PATCH, &path, body.clone()).await;
        assert_error(&got, 400, 300, "Validation Failed.");
        assert!(got.1["errors"].to_string().contains(field), "{body}: {}", got.1);
    }
    assert_error(
        &a.send(Method::PATCH, &path, json!({"type": 2, "zoom_one_type": 16}))
            .await,
        400,
        300,
        "You can't change the \"type\" or \"plan_united_type\" or \"zoom_one_type\" at the same time.",
    );
    assert_error(
        &a.send(
            Method::PATCH,
            &path,
            json!({"linkedin_url": "https://example.com/ada"}),
        )
        .await,
        400,
        300,
        "The `linkedin_url` field is illegal. The URL must contain `linkedin.com`.",
    );
    assert_error(
        &a.send(Method::PATCH, &path, json!({"manager": "nobody@example.com"}))
            .await,
        400,
        300,
        "The manager must be the email address of a user in this account.",
    );
}

#[tokio::test]
async fn features_are_set_thirty_users_a_call_once_per_ten_seconds() {
    let a = api(bare()).await;
    let ada = create_user(&a, "ada@example.com").await;
    let body = json!({"feature_type": "webinar", "feature_value": "1",
                      "users": [{"id": ada}, {"email": "ghost@example.com"}]});
    let (s, got) = a.post("/users/features", body.clone()).await;
    assert_eq!(s, 201, "{got}");
    assert_eq!(got["success_user_ids"], json!([ada]));
    assert_eq!(
        got["fail_details"],
        json!([{"user_ids": ["ghost@example.com"], "reason": "Users not found"}])
    );
    let (_, user) = a.get(&format!("/users/{ada}")).await;
    assert_eq!(user["feature"]["webinar"], "1");
    assert_eq!(
        a.sandbox.store().user_by_id(&ada).unwrap().features["webinar"],
        "1"
    );

    // A second call within 10 s: 429 with Retry-After, nothing applied.
    let r = a
        .req(Method::POST, "/users/features")
        .json(&json!({"feature_type": "large_meeting", "feature_value": "32", "users": [{"id": ada}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    assert!(
        !a.sandbox
            .store()
            .user_by_id(&ada)
            .unwrap()
            .features
            .contains_key("large_meeting")
    );
}

#[tokio::test]
async fn features_check_the_value_table_and_the_user_count() {
    let a = api(bare()).await;
    // Each request below is refused (400) but still takes the 10 s slot, so the checks
    // that need to reach validation run on fresh sandboxes.
    let bad_value = a
        .post(
            "/users/features",
            json!({"feature_type": "webinar", "feature_value": "500", "users": [{"email": "a@example.com"}]}),
        )
        .await;
    assert_error(&bad_value, 400, 300, "Invalid parameter: feature_value");
    let b = api(bare()).await;
    let bad_type = b
        .post(
            "/users/features",
            json!({"feature_type": "teleport", "feature_value": "1", "users": [{"email": "a@example.com"}]}),
        )
        .await;
    assert_error(&bad_type, 400, 300, "Invalid parameter: feature_type");
    let c = api(bare()).await;
    let users: Vec<Value> = (0..31)
        .map(|i| json!({"email": format!("u{i}@example.com")}))
        .collect();
    let too_many = c
        .post(
            "/users/features",
            json!({"feature_type": "webinar", "feature_value": "1", "users": users}),
        )
        .await;
    assert_error(&too_many, 400, 300, "Invalid parameter: users");
}

#[tokio::test]
async fn features_say_no_need_to_update_when_the_value_is_already_set() {
    let a = api(bare()).await;
    let ada = create_user(&a, "ada@example.com").await;
    a.sandbox
        .store()
        .set_user_feature(&ada, "zoom_whiteboard", "true");
    let (_, got) = a
        .post(
            "/users/features",
            json!({"feature_type": "zoom_whiteboard", "feature_value": "true", "users": [{"id": ada}]}),
        )
        .await;
    assert_eq!(got["success_user_ids"], json!([]));
    assert_eq!(
        got["fail_details"],
        json!([{"user_ids": [ada], "reason": "No need to update"}])
    );
}
