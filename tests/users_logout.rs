//! `users logout`: one DELETE /users/{userId}/token per row, by id or email.

mod common;

use common::*;
use zoombulk_sandbox::User;

const CMD: [&str; 2] = ["users", "logout"];

#[tokio::test(flavor = "multi_thread")]
async fn each_row_revokes_its_users_sso_token_and_unknown_users_fail() {
    let sandbox = start(unlimited()).await;
    let ann = sandbox
        .store()
        .insert_user(User::new("ann@example.com", "Ann", "Lee"))
        .unwrap();
    sandbox
        .store()
        .insert_user(User::new("bob@example.com", "Bob", "Ray"))
        .unwrap();
    let dir = tempdir();
    let text = format!(
        "user_id,email\n{},\n,BOB@example.com\n,nobody@example.com\n,not-an-email\n",
        ann.id
    );
    let input = write(dir.path(), "leavers.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["updated", "updated", "failed", "invalid"]);
    assert_eq!(rows[2]["error_code"], "1001", "{:?}", rows[2]);
    for email in ["ann@example.com", "bob@example.com"] {
        assert_eq!(
            sandbox
                .store()
                .user_by_email(email)
                .unwrap()
                .sso_token_revocations,
            1
        );
    }
    assert_eq!(sandbox.stats().requests_to("DELETE /users/{userId}/token"), 3);

    let out = zoombulk(&sandbox, &["validate", "users-logout", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stdout(&out).contains("row 4"), "{}", stdout(&out));
}
