//! The page-token test hook: a listing can be made to meet an expired token, and the
//! account changed between pages, at an exact page instead of after a wall-clock wait.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use zoombulk_sandbox::PageVisit;

#[tokio::test]
async fn a_page_hook_expires_the_token_and_may_change_the_account_between_pages() {
    let a = api(seeded()).await;
    let (s, first) = a.get("/users?page_size=5").await;
    assert_eq!(s, 200, "{first}");
    let token = first["next_page_token"].as_str().unwrap().to_string();
    let served: Vec<String> = first["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let gone = served[0].clone();
    a.sandbox
        .store()
        .set_page_hook(Some(Arc::new(move |store, visit: PageVisit<'_>| {
            seen.fetch_add(1, Ordering::SeqCst);
            assert!(visit.scope.starts_with("users|"), "{}", visit.scope);
            assert_eq!(visit.page_number, 2);
            store.remove_user(&gone);
            true
        })));
    let got = a
        .get(&format!("/users?page_size=5&next_page_token={token}"))
        .await;
    assert_error(&got, 400, 300, "The next page token is invalid or expired.");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(a.sandbox.store().user_by_id(&served[0]).is_none(), "removed");

    // A first page presents no token: the hook is not asked.
    let (s, again) = a.get("/users?page_size=5").await;
    assert_eq!(s, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_ne!(again["users"][0]["id"], served[0].as_str());

    // Without the hook, the same token works again (it had not really expired).
    a.sandbox.store().set_page_hook(None);
    let (s, _) = a
        .get(&format!("/users?page_size=5&next_page_token={token}"))
        .await;
    assert_eq!(s, 200);
}
