//! Deleting cloud recordings (to the trash or for good), the trash listings and
//! recovery, with FACTS' codes and the UUID double-encoding rule.

mod common;

use chrono::{Duration, Utc};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use zoombulk_sandbox::{RecordingFile, RecordingMeeting};

/// One recording of the owner: an MP4 with an id and a CC file without one.
fn recording(a: &Api, uuid: &str, id: u64, ended: chrono::DateTime<Utc>) -> RecordingMeeting {
    let host = a.sandbox.store().users()[0].id.clone();
    let file = |id: Option<&str>, file_type: &str| RecordingFile {
        id: id.map(str::to_string),
        download_id: String::new(),
        file_type: file_type.into(),
        file_extension: "MP4".into(),
        file_size: 1000,
        recording_type: id.map(|_| "shared_screen_with_speaker_view".to_string()),
        recording_start: ended - Duration::minutes(30),
        recording_end: ended,
        deleted_time: None,
    };
    a.sandbox.store().insert_recording(RecordingMeeting {
        uuid: uuid.into(),
        id,
        host_id: host,
        topic: "Quarterly".into(),
        meeting_type: 2,
        start_time: ended - Duration::minutes(30),
        timezone: "UTC".into(),
        duration: 30,
        trashed: false,
        recording_files: vec![file(Some("file-mp4"), "MP4"), file(None, "CC")],
    })
}

async fn listing(a: &Api, query: &str) -> Vec<Value> {
    let today = Utc::now().date_naive();
    let (s, body) = a
        .get(&format!(
            "/accounts/me/recordings?from={}&to={}&{query}",
            today - chrono::Days::new(2),
            today.succ_opt().unwrap()
        ))
        .await;
    assert_eq!(s, 200, "{body}");
    body["meetings"].as_array().unwrap().clone()
}

async fn delete(a: &Api, path: &str) -> (reqwest::StatusCode, Value) {
    read(a.req(Method::DELETE, path).send().await.unwrap()).await
}

#[tokio::test]
async fn a_meeting_goes_to_the_trash_is_listed_there_and_comes_back() {
    let a = api(bare()).await;
    let m = recording(&a, "abcDEF123==", 81_000_000_001, Utc::now() - Duration::hours(3));
    assert_eq!(listing(&a, "").await.len(), 1);

    let got = delete(&a, "/meetings/abcDEF123%3D%3D/recordings?action=trash").await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    assert!(listing(&a, "").await.is_empty(), "gone from the live listing");
    // from/to do not apply to the trash listing.
    let (s, body) = a
        .get("/accounts/me/recordings?trash=true&from=2001-01-01&to=2001-01-02")
        .await;
    assert_eq!(s, 200);
    let trash = body["meetings"].as_array().unwrap();
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[0]["uuid"], m.uuid);
    assert!(trash[0]["recording_files"][0]["deleted_time"].is_string());
    assert!(
        listing(&a, "trash=true&trash_type=recording_file")
            .await
            .is_empty()
    );

    // Trashing again: nothing left to trash.
    assert_error(
        &delete(&a, "/meetings/abcDEF123%3D%3D/recordings").await,
        404,
        3301,
        "There is no recording for this meeting.",
    );
    let got = a
        .send(
            Method::PUT,
            "/meetings/abcDEF123%3D%3D/recordings/status",
            json!({"action": "recover"}),
        )
        .await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    let live = listing(&a, "").await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["recording_files"].as_array().unwrap().len(), 2);
    assert_error(
        &a.send(
            Method::PUT,
            "/meetings/abcDEF123%3D%3D/recordings/status",
            json!({"action": "recover"}),
        )
        .await,
        404,
        3301,
        "There is no recording for this meeting.",
    );
    let bad = a
        .send(
            Method::PUT,
            "/meetings/abcDEF123%3D%3D/recordings/status",
            json!({"action": "restore"}),
        )
        .await;
    assert_eq!(bad.0, 400);
    assert_eq!(bad.1["code"], 300);
}

#[tokio::test]
async fn one_file_is_trashed_by_its_id_and_a_permanent_delete_frees_the_download() {
    let a = api(bare()).await;
    let m = recording(&a, "fileWise==", 81_000_000_002, Utc::now() - Duration::hours(3));
    let got = delete(&a, "/meetings/81000000002/recordings/file-mp4?action=trash").await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    let live = listing(&a, "").await;
    assert_eq!(
        live[0]["recording_files"].as_array().unwrap().len(),
        1,
        "the CC file stays"
    );
    let trashed = listing(&a, "trash=true&trash_type=recording_file").await;
    assert_eq!(trashed.len(), 1);
    assert_eq!(trashed[0]["recording_files"][0]["id"], "file-mp4");
    assert!(
        listing(&a, "trash=true").await.is_empty(),
        "no whole meeting in the trash"
    );

    let got = a
        .send(
            Method::PUT,
            "/meetings/fileWise%3D%3D/recordings/file-mp4/status",
            json!({"action": "recover"}),
        )
        .await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    assert_eq!(
        listing(&a, "").await[0]["recording_files"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // For good: the file's download is gone too.
    let download = m.recording_files[0].download_id.clone();
    assert!(a.sandbox.recording_file_bytes(&download).is_some());
    let got = delete(&a, "/meetings/81000000002/recordings/file-mp4?action=delete").await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    assert!(a.sandbox.recording_file_bytes(&download).is_none());
    assert_error(
        &delete(&a, "/meetings/81000000002/recordings/file-mp4").await,
        404,
        3301,
        "There is no recording for this meeting.",
    );
    let got = delete(&a, "/meetings/81000000002/recordings?action=delete").await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    assert!(a.sandbox.store().recordings().is_empty());
    assert!(listing(&a, "trash=true").await.is_empty());

    let bad = delete(&a, "/meetings/81000000002/recordings?action=shred").await;
    assert_error(&bad, 400, 300, "Invalid parameter: action");
}

#[tokio::test]
async fn an_uncompleted_recording_file_cannot_be_deleted() {
    let a = api(bare()).await;
    recording(
        &a,
        "running==",
        81_000_000_003,
        Utc::now() + Duration::minutes(20),
    );
    assert_error(
        &delete(&a, "/meetings/81000000003/recordings/file-mp4").await,
        400,
        3303,
        "You can not delete an uncompleted meeting.",
    );
}

#[tokio::test]
async fn a_uuid_with_slashes_must_be_encoded_twice() {
    let a = api(bare()).await;
    recording(
        &a,
        "/ab//cd+ef==",
        81_000_000_004,
        Utc::now() - Duration::hours(3),
    );
    // Encoded once, the slashes are read away (`//x` as `x`): no such recording.
    assert_error(
        &delete(&a, "/meetings/%2Fab%2F%2Fcd%2Bef%3D%3D/recordings").await,
        404,
        3301,
        "There is no recording for this meeting.",
    );
    assert_eq!(listing(&a, "").await.len(), 1);
    let got = delete(&a, "/meetings/%252Fab%252F%252Fcd%252Bef%253D%253D/recordings").await;
    assert_eq!(got.0, 204, "{:?}", got.1);
    assert!(listing(&a, "").await.is_empty());
}

#[tokio::test]
async fn deleting_recordings_needs_the_recording_write_scope() {
    let mut cfg = bare();
    cfg.deny_scopes = vec!["recording:write:admin".into()];
    let a = api(cfg).await;
    recording(&a, "scoped==", 81_000_000_005, Utc::now() - Duration::hours(3));
    assert_error(
        &delete(&a, "/meetings/81000000005/recordings").await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[recording:write:admin].",
    );
    assert_eq!(
        listing(&a, "").await.len(),
        1,
        "listing needs only the read scope"
    );
}
