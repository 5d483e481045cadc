//! Users beyond PATCH: e-mail changes (managed domains, taken addresses, 3 per user in
//! any 24 h), profile pictures (multipart `pic_file`, JPEG/PNG, 2 MB), and the transfer
//! options of `DELETE /users/{userId}`, recorded for tests to read back.

mod common;

use chrono::{Duration, Utc};
use common::*;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use zoombulk_sandbox::{
    EMAIL_CHANGE_LIMIT, EMAIL_EXISTS, EMAIL_NOT_MANAGED, PICTURE_MAX_BYTES, Transfers, User,
};

fn add(a: &Api, email: &str) -> User {
    a.sandbox
        .store()
        .insert_user(User::new(email, "Sam", "Lee"))
        .unwrap()
}

#[tokio::test]
async fn email_change_moves_the_address_and_keeps_the_id() {
    let a = api(bare()).await;
    let sam = add(&a, "sam@example.com");
    let (s, _) = a
        .send(
            Method::PUT,
            "/users/sam@example.com/email",
            json!({"email": "Sam.Lee@example.com"}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, user) = a.get("/users/sam.lee@example.com").await;
    assert_eq!(s, 200);
    assert_eq!(user["id"], json!(sam.id));
    assert_eq!(
        a.get("/users/sam@example.com").await.0,
        404,
        "the old address is gone"
    );
    assert_eq!(a.sandbox.store().email_changes(&sam.id), 1);
}

#[tokio::test]
async fn email_change_errors() {
    let a = api(bare()).await;
    add(&a, "sam@example.com");
    add(&a, "taken@example.com");
    let put = |user: &'static str, body: serde_json::Value| {
        let path = format!("/users/{user}/email");
        let a = &a;
        async move { a.send(Method::PUT, &path, body).await }
    };
    let (s, body) = put("sam@example.com", json!({"email": "taken@example.com"})).await;
    assert_eq!(
        (s.as_u16(), body["code"].as_i64()),
        (EMAIL_EXISTS.0, Some(EMAIL_EXISTS.1))
    );
    assert_eq!(
        body["message"],
        "Email \"taken@example.com\" has already been used."
    );
    let (s, body) = put("sam@example.com", json!({"email": "sam@elsewhere.org"})).await;
    assert_eq!(
        (s.as_u16(), body["code"].as_i64()),
        (EMAIL_NOT_MANAGED.0, Some(EMAIL_NOT_MANAGED.1))
    );
    assert!(body["message"].as_str().unwrap().contains("elsewhere.org"));
    let (s, body) = put("sam@example.com", json!({"email": "not-an-email"})).await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (400, Some(300)));
    assert_eq!(body["errors"][0]["field"], "email");
    let (s, body) = put("nobody@example.com", json!({"email": "x@example.com"})).await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (404, Some(1001)));
    let (s, body) = put("me", json!({"email": "boss@example.com"})).await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (400, Some(1000)), "{body}");
    // No managed domain at all: no change anywhere.
    a.sandbox.store().set_managed_domains(&[]);
    let (s, _) = put("sam@example.com", json!({"email": "sam2@example.com"})).await;
    assert_eq!(s.as_u16(), EMAIL_NOT_MANAGED.0);
    assert!(a.sandbox.store().user_by_email("sam@example.com").is_some());
}

#[tokio::test]
async fn three_email_changes_in_any_24_hours() {
    let a = api(bare()).await;
    let sam = add(&a, "a0@example.com");
    for i in 1..=3 {
        let path = format!("/users/{}/email", sam.id);
        let (s, _) = a
            .send(Method::PUT, &path, json!({"email": format!("a{i}@example.com")}))
            .await;
        assert_eq!(s, 204, "change {i}");
    }
    let path = format!("/users/{}/email", sam.id);
    let (s, body) = a
        .send(Method::PUT, &path, json!({"email": "a4@example.com"}))
        .await;
    assert_eq!(
        (s.as_u16(), body["code"].as_i64()),
        (EMAIL_CHANGE_LIMIT.0, Some(EMAIL_CHANGE_LIMIT.1))
    );
    assert!(body["message"].as_str().unwrap().contains("24 hours"), "{body}");
    assert_eq!(
        a.sandbox.store().user_by_id(&sam.id).unwrap().email,
        "a3@example.com"
    );
    // Another user is not limited by Sam's changes; older changes age out.
    let kim = add(&a, "kim@example.com");
    let store = a.sandbox.store();
    let now = Utc::now();
    store.set_email_changes(
        &kim.id,
        &[
            now - Duration::hours(25),
            now - Duration::hours(23),
            now - Duration::hours(1),
        ],
    );
    let path = format!("/users/{}/email", kim.id);
    let (s, _) = a
        .send(Method::PUT, &path, json!({"email": "kim2@example.com"}))
        .await;
    assert_eq!(s, 204, "the 25-hour-old change no longer counts");
    let (s, _) = a
        .send(Method::PUT, &path, json!({"email": "kim3@example.com"}))
        .await;
    assert_eq!(s.as_u16(), EMAIL_CHANGE_LIMIT.0);
}

fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 0);
    bytes
}

async fn upload(a: &Api, user: &str, bytes: Vec<u8>, name: &str) -> (reqwest::StatusCode, serde_json::Value) {
    let form = Form::new().part("pic_file", Part::bytes(bytes).file_name(name.to_string()));
    let r = a
        .req(Method::POST, &format!("/users/{user}/picture"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    read(r).await
}

#[tokio::test]
async fn picture_upload_takes_jpeg_or_png_up_to_2_mb() {
    let a = api(bare()).await;
    add(&a, "sam@example.com");
    let (s, _) = upload(&a, "sam@example.com", png(5000), "me.png").await;
    assert_eq!(s, 201);
    let pic = a.sandbox.store().picture("sam@example.com").unwrap();
    assert_eq!(
        (pic.kind.as_str(), pic.bytes, pic.file_name.as_str()),
        ("png", 5000, "me.png")
    );
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.resize(100, 1);
    // The name says PNG; the bytes say JPEG: the bytes count.
    let (s, _) = upload(&a, "sam@example.com", jpeg, "me.png").await;
    assert_eq!(s, 201);
    assert_eq!(a.sandbox.store().picture("sam@example.com").unwrap().kind, "jpeg");

    for (bytes, message) in [
        (Vec::new(), "File is empty."),
        (png(PICTURE_MAX_BYTES + 1), "File size cannot exceed 2M."),
        (
            b"GIF89a....".to_vec(),
            "Only jpg/jpeg or png image file can be uploaded.",
        ),
    ] {
        let (s, body) = upload(&a, "sam@example.com", bytes, "x.png").await;
        assert_eq!((s.as_u16(), body["code"].as_i64()), (400, Some(120)), "{message}");
        assert_eq!(body["message"], message);
    }
    assert_eq!(
        upload(&a, "sam@example.com", png(PICTURE_MAX_BYTES), "big.png")
            .await
            .0,
        201
    );
    let (s, body) = upload(&a, "nobody@example.com", png(10), "x.png").await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (404, Some(1001)));
    // Not multipart at all.
    let (s, body) = a
        .send(Method::POST, "/users/sam@example.com/picture", json!({}))
        .await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (400, Some(120)));
    let stats = a.sandbox.stats();
    assert!(stats.requests_to("POST /users/{userId}/picture") >= 7);
}

#[tokio::test]
async fn delete_records_every_transfer_option_it_applied() {
    let a = api(bare()).await;
    add(&a, "leaver@example.com");
    add(&a, "heir@example.com");
    add(&a, "plain@example.com");
    let all = "transfer_meeting=true&transfer_webinar=true&transfer_recording=true&transfer_whiteboard=true\
               &transfer_clipfiles=true&transfer_notes=true&transfer_visitors=true&transfer_docs=true";
    // Each option must be a boolean.
    let (s, body) = read(
        a.req(
            Method::DELETE,
            "/users/leaver@example.com?transfer_docs=yes&transfer_email=heir@example.com",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (400, Some(300)));
    // The same user cannot receive their own data.
    let path = format!("/users/leaver@example.com?action=delete&transfer_email=LEAVER@example.com&{all}");
    let (s, body) = read(a.req(Method::DELETE, &path).send().await.unwrap()).await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (400, Some(300)));
    assert!(body["message"].as_str().unwrap().contains("cannot be the same"));
    let path = format!("/users/leaver@example.com?action=delete&transfer_email=heir@example.com&{all}");
    assert_eq!(a.req(Method::DELETE, &path).send().await.unwrap().status(), 204);
    let path = "/users/plain@example.com?transfer_whiteboard=true";
    assert_eq!(a.req(Method::DELETE, path).send().await.unwrap().status(), 204);
    let removals = a.sandbox.store().removals();
    assert_eq!(removals.len(), 2);
    assert_eq!(
        (removals[0].email.as_str(), removals[0].action.as_str()),
        ("leaver@example.com", "delete")
    );
    assert_eq!(removals[0].transfer_email.as_deref(), Some("heir@example.com"));
    let everything = Transfers {
        meetings: true,
        webinars: true,
        recordings: true,
        whiteboards: true,
        clips: true,
        notes: true,
        visitors: true,
        docs: true,
    };
    assert_eq!(removals[0].transfers, everything);
    assert_eq!(removals[1].action, "disassociate");
    assert_eq!(
        removals[1].transfers,
        Transfers::default(),
        "no transfer user: nothing moved"
    );
}
