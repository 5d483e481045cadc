//! Cloud recording listings (the silent one-month narrowing) and file downloads.

mod common;

use std::collections::HashSet;

use chrono::{Days, Months, NaiveDate, Utc};
use common::*;
use serde_json::Value;
use zoombulk_sandbox::{RecordingFile, RecordingMeeting};

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn in_range(m: &RecordingMeeting, from: NaiveDate, to: NaiveDate) -> bool {
    let d = m.start_time.date_naive();
    d >= from && d <= to
}

/// Every meeting in one listing, following page tokens.
async fn all_pages(a: &Api, path: &str) -> (Vec<Value>, Value) {
    let mut out = Vec::new();
    let mut token = String::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    loop {
        let (s, page) = a
            .get(&format!("{path}{sep}page_size=7&next_page_token={token}"))
            .await;
        assert_eq!(s, 200, "{page}");
        out.extend(page["meetings"].as_array().unwrap().iter().cloned());
        token = page["next_page_token"].as_str().unwrap().to_string();
        if token.is_empty() {
            return (out, page);
        }
    }
}

#[tokio::test]
async fn a_range_over_a_month_is_silently_narrowed_to_the_last_month() {
    let a = api(seeded()).await;
    let today = Utc::now().date_naive();
    let from = today - Days::new(200);
    let (meetings, last_page) = all_pages(
        &a,
        &format!("/accounts/me/recordings?from={}&to={}", day(from), day(today)),
    )
    .await;
    let effective_from = today.checked_sub_months(Months::new(1)).unwrap();
    assert_eq!(
        last_page["from"],
        day(effective_from),
        "the effective range is reported"
    );
    assert_eq!(last_page["to"], day(today));
    let expected: Vec<RecordingMeeting> = a
        .sandbox
        .store()
        .recordings()
        .into_iter()
        .filter(|m| in_range(m, effective_from, today))
        .collect();
    assert_eq!(last_page["total_records"], expected.len());
    assert_eq!(meetings.len(), expected.len());
    assert!(
        expected.len() < a.sandbox.store().recordings().len(),
        "older recordings were silently left out"
    );
    let uuids: Vec<&str> = meetings.iter().map(|m| m["uuid"].as_str().unwrap()).collect();
    assert_eq!(
        uuids,
        expected.iter().map(|m| m.uuid.as_str()).collect::<Vec<_>>(),
        "newest first, stable pages"
    );
}

#[tokio::test]
async fn month_windows_cover_every_recording_exactly_once() {
    let a = api(seeded()).await;
    let today = Utc::now().date_naive();
    let mut seen = Vec::new();
    let mut to = today;
    let stop = today - Days::new(190);
    while to > stop {
        let from = to.checked_sub_months(Months::new(1)).unwrap();
        let (meetings, page) = all_pages(
            &a,
            &format!("/accounts/me/recordings?from={}&to={}", day(from), day(to)),
        )
        .await;
        assert_eq!(page["from"], day(from), "a one-month window is not narrowed");
        seen.extend(meetings.iter().map(|m| m["uuid"].as_str().unwrap().to_string()));
        to = from - Days::new(1);
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(seen.len(), a.sandbox.store().recordings().len());
}

#[tokio::test]
async fn listing_shape_defaults_and_errors() {
    let a = api(seeded()).await;
    let today = Utc::now().date_naive();
    let (s, body) = a.get("/accounts/me/recordings").await;
    assert_eq!(s, 200);
    assert_eq!(
        (body["from"].as_str().unwrap(), body["to"].as_str().unwrap()),
        (day(today).as_str(), day(today + Days::new(1)).as_str())
    );
    for key in [
        "page_count",
        "page_size",
        "total_records",
        "next_page_token",
        "meetings",
    ] {
        assert!(body.get(key).is_some(), "{key}");
    }
    assert_error(
        &a.get("/accounts/me/recordings?from=2024-13-01").await,
        400,
        300,
        "Invalid parameter: from",
    );
    assert_error(
        &a.get("/accounts/me/recordings?to=01/02/2024").await,
        400,
        300,
        "Invalid parameter: to",
    );
    assert_error(
        &a.get("/accounts/me/recordings?from=2024-02-01&to=2024-01-01")
            .await,
        400,
        300,
        "Invalid parameter: from",
    );
    assert_error(
        &a.get("/users/ghost@example.com/recordings").await,
        404,
        1001,
        "User ghost@example.com does not exist, or does not belong to this account.",
    );

    let meetings = all_meetings(&a).await;
    assert_eq!(meetings.len(), a.sandbox.store().recordings().len());
    let m = &meetings[0];
    for key in [
        "uuid",
        "id",
        "account_id",
        "host_id",
        "topic",
        "type",
        "start_time",
        "timezone",
        "duration",
        "total_size",
        "recording_count",
        "share_url",
        "recording_files",
    ] {
        assert!(m.get(key).is_some(), "{key} in {m}");
    }
    let mut kinds = HashSet::new();
    for meeting in &meetings {
        let files = meeting["recording_files"].as_array().unwrap();
        assert_eq!(meeting["recording_count"], files.len());
        let listed: u64 = files.iter().filter_map(|f| f["file_size"].as_u64()).sum();
        assert_eq!(meeting["total_size"], listed);
        for f in files {
            let t = f["file_type"].as_str().unwrap();
            kinds.insert(t.to_string());
            assert!(f["download_url"].as_str().unwrap().starts_with(&format!(
                "http://127.0.0.1:{}/rec/download/",
                a.sandbox.addr().port()
            )));
            assert_eq!(f["meeting_id"], meeting["uuid"]);
            let detailed = ["id", "status", "file_size", "recording_type", "play_url"];
            if t == "CC" || t == "TIMELINE" {
                assert!(detailed.iter().all(|k| f.get(*k).is_none()), "{f}");
            } else {
                assert!(detailed.iter().all(|k| f.get(*k).is_some()), "{f}");
                assert_eq!(f["status"], "completed");
                assert!(f["file_size"].as_u64().unwrap() <= 300_000);
            }
        }
    }
    for k in ["MP4", "M4A", "TRANSCRIPT", "CHAT", "CC", "TIMELINE"] {
        assert!(kinds.contains(k), "{k} among {kinds:?}");
    }
}

#[tokio::test]
async fn per_user_listing_and_the_trash() {
    let a = api(seeded()).await;
    let today = Utc::now().date_naive();
    let all = a.sandbox.store().recordings();
    let host = all[0].host_id.clone();
    let from = today.checked_sub_months(Months::new(1)).unwrap();
    let (mine, _) = all_pages(
        &a,
        &format!("/users/{host}/recordings?from={}&to={}", day(from), day(today)),
    )
    .await;
    let expected = all
        .iter()
        .filter(|m| m.host_id == host && in_range(m, from, today))
        .count();
    assert_eq!(mine.len(), expected);
    assert!(mine.iter().all(|m| m["host_id"] == host.as_str()));

    let mut trashed = all[0].clone();
    trashed.uuid = "trashed-uuid==".into();
    trashed.id = 81_234_567_890;
    trashed.trashed = true;
    trashed.start_time = Utc::now() - chrono::Duration::hours(1);
    trashed.recording_files = vec![RecordingFile {
        download_id: String::new(),
        ..all[0].recording_files[0].clone()
    }];
    a.sandbox.store().insert_recording(trashed);
    let q = format!("from={}&to={}", day(today - Days::new(1)), day(today));
    let (normal, _) = all_pages(&a, &format!("/users/{host}/recordings?{q}")).await;
    assert!(normal.iter().all(|m| m["uuid"] != "trashed-uuid=="));
    let (trash, _) = all_pages(&a, &format!("/users/{host}/recordings?{q}&trash=true")).await;
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[0]["uuid"], "trashed-uuid==");
    assert_error(
        &a.get(&format!("/users/{host}/recordings?trash=maybe")).await,
        400,
        300,
        "Invalid parameter: trash",
    );
}

/// Every recording meeting in the last ~six months, one month-window at a time.
async fn all_meetings(a: &Api) -> Vec<Value> {
    let mut out = Vec::new();
    let mut to = Utc::now().date_naive();
    for _ in 0..7 {
        let from = to.checked_sub_months(Months::new(1)).unwrap();
        out.extend(
            all_pages(
                a,
                &format!("/accounts/me/recordings?from={}&to={}", day(from), day(to)),
            )
            .await
            .0,
        );
        to = from - Days::new(1);
    }
    out
}

async fn first_files(a: &Api) -> (Value, Value) {
    let meetings = all_meetings(a).await;
    let files: Vec<Value> = meetings
        .iter()
        .flat_map(|m| m["recording_files"].as_array().unwrap().clone())
        .collect();
    let mp4 = files.iter().find(|f| f["file_type"] == "MP4").unwrap().clone();
    let cc = files
        .iter()
        .find(|f| f["file_type"] == "CC" || f["file_type"] == "TIMELINE")
        .unwrap()
        .clone();
    (mp4, cc)
}

#[tokio::test]
async fn downloads_need_the_token_then_redirect_to_storage_on_another_host() {
    let a = api(seeded()).await;
    let (mp4, cc) = first_files(&a).await;
    let url = mp4["download_url"].as_str().unwrap();
    let size = mp4["file_size"].as_u64().unwrap();

    let got = read(a.http.get(url).send().await.unwrap()).await;
    assert_error(&got, 401, 124, "Invalid access token.");
    let r = a.http.get(url).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("http://localhost:{}/storage/", a.sandbox.addr().port())),
        "{location}"
    );
    let r = a
        .http
        .get(format!("{url}?access_token={}", a.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "?access_token= works too");

    // Storage refuses a forwarded Authorization header, S3 style.
    let r = a.http.get(&location).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("<Code>InvalidArgument</Code>"));
    let r = a.http.get(&location).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], size.to_string().as_str());
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let full = r.bytes().await.unwrap();
    assert_eq!(full.len() as u64, size);
    let again = a.http.get(&location).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(full, again, "deterministic bytes");

    // Resume from the middle.
    let half = size / 2;
    let r = a
        .http
        .get(&location)
        .header("range", format!("bytes={half}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes {half}-{}/{size}", size - 1).as_str()
    );
    assert_eq!(r.headers()["content-length"], (size - half).to_string().as_str());
    assert_eq!(r.bytes().await.unwrap(), full[half as usize..]);
    let r = a
        .http
        .get(&location)
        .header("range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], format!("bytes */{size}").as_str());

    // A tampered signature is refused; CC/TIMELINE files download too.
    let tampered = location.replace("sig=", "sig=0");
    assert_eq!(a.http.get(&tampered).send().await.unwrap().status(), 403);
    let r = a
        .http
        .get(cc["download_url"].as_str().unwrap())
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    let cc_location = r.headers()["location"].to_str().unwrap().to_string();
    let cc_bytes = a
        .http
        .get(&cc_location)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!cc_bytes.is_empty());
    let stats = a.sandbox.stats();
    assert_eq!(stats.requests["GET /rec/download/{fileId}"]["302"], 3);
    assert_eq!(stats.requests["GET /storage/{fileId}"]["400"], 1);
}

#[tokio::test]
async fn a_redirect_following_client_that_strips_auth_gets_the_file() {
    let a = api(seeded()).await;
    let (mp4, _) = first_files(&a).await;
    // reqwest's default policy drops Authorization when the host changes (127.0.0.1 -> localhost).
    let client = reqwest::Client::new();
    let r = client
        .get(mp4["download_url"].as_str().unwrap())
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().len() as u64,
        mp4["file_size"].as_u64().unwrap()
    );
    let got = read(
        client
            .get(format!(
                "{}/rec/download/nope",
                a.sandbox.base_url().trim_end_matches("/v2")
            ))
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.0, 404);
}

#[tokio::test]
async fn a_truncation_fault_breaks_off_the_body_and_a_range_request_resumes_it() {
    let a = api(seeded()).await;
    let (mp4, _) = first_files(&a).await;
    let url = mp4["download_url"].as_str().unwrap();
    let id = url.rsplit('/').next().unwrap();
    let expected = a.sandbox.recording_file_bytes(id).unwrap();
    assert_eq!(expected.len() as u64, mp4["file_size"].as_u64().unwrap());
    let r = a.http.get(url).bearer_auth(&a.token).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();

    a.sandbox.set_download_truncation(1.0);
    // Cut after some bytes the headers went out, promising the whole length; cut at
    // byte 0 the connection may close before them. Either way no whole body arrives.
    match a.http.get(&location).send().await {
        Err(e) => assert!(e.is_request(), "{e}"),
        Ok(r) => {
            assert_eq!(r.status(), 200);
            assert_eq!(
                r.headers()["content-length"],
                expected.len().to_string().as_str(),
                "the whole length is promised"
            );
            assert!(r.bytes().await.is_err(), "but the body breaks off");
        }
    }
    assert_eq!(a.sandbox.downloads_truncated(), 1);

    // Truncation off again: a ranged request gets exactly the rest.
    a.sandbox.set_download_truncation(0.0);
    let r = a
        .http
        .get(&location)
        .header("range", "bytes=10-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), expected[10..]);
    assert_eq!(a.sandbox.downloads_truncated(), 1);
}
