//! The sync drift scenario: the store and the roster differ exactly as its expectation
//! says (diffed here independently, by `users sync`'s comparison rules), the same seed
//! gives the same scenario, and the account it seeds is what `GET /users` lists.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use zoombulk_sandbox::{
    SYNC_ROSTER_FIELDS, SYNC_ROSTER_HEADER, SYNC_SCOPE_DOMAIN, Store, SyncAction, SyncExpect, SyncScenario,
    sync_field,
};

fn type_number(cell: &str) -> String {
    match cell.to_ascii_lowercase().as_str() {
        "basic" | "1" => "1".into(),
        "licensed" | "2" => "2".into(),
        other => panic!("unexpected type cell {other:?}"),
    }
}

fn group_set(cell: &str) -> String {
    let mut names: Vec<&str> = cell.split(';').map(str::trim).filter(|s| !s.is_empty()).collect();
    names.sort_unstable();
    names.join(";")
}

/// What `users sync` should plan, by the contract's rules, from the store and the roster.
fn diff(store: &Store, roster_csv: &str) -> BTreeMap<String, SyncExpect> {
    let groups = store.groups();
    let mut reader = csv::Reader::from_reader(roster_csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, SYNC_ROSTER_HEADER.map(str::to_string));
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let written = record[0].trim().to_string();
        let email = written.to_lowercase();
        let held = store.user_by_email(&email);
        let mut changes = BTreeMap::new();
        for (field, cell) in SYNC_ROSTER_FIELDS.iter().zip(record.iter()).skip(1) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue; // leave as is
            }
            let after = match *field {
                "type" => type_number(cell),
                "group" => group_set(cell),
                _ => cell.to_string(),
            };
            let before = held
                .as_ref()
                .map(|u| sync_field(u, &groups, field))
                .unwrap_or_default();
            let same = if *field == "group" {
                before.to_lowercase() == after.to_lowercase()
            } else {
                before == after
            };
            if !same {
                changes.insert(field.to_string(), (before, after));
            }
        }
        let (action, user_id) = match &held {
            None => (SyncAction::Create, String::new()),
            Some(u) if u.status == "pending" => (
                if changes.is_empty() {
                    SyncAction::Unchanged
                } else {
                    SyncAction::Update
                },
                String::new(),
            ),
            Some(u) if u.status == "inactive" => {
                changes.insert("status".into(), ("inactive".into(), "active".into()));
                (SyncAction::Activate, u.id.clone())
            }
            Some(u) if changes.is_empty() => (SyncAction::Unchanged, u.id.clone()),
            Some(u) => (SyncAction::Update, u.id.clone()),
        };
        let previous = out.insert(
            email,
            SyncExpect {
                action,
                user_id,
                roster_email: written,
                changes,
            },
        );
        assert!(previous.is_none(), "an email twice in the roster");
    }
    for u in store.users() {
        if out.contains_key(&u.email) {
            continue;
        }
        let in_scope = u
            .email
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.eq_ignore_ascii_case(SYNC_SCOPE_DOMAIN));
        let action = if u.role_id != "2" || !in_scope {
            SyncAction::Untouched
        } else {
            SyncAction::Prune {
                pending: u.status == "pending",
            }
        };
        let user_id = if u.status == "pending" {
            String::new()
        } else {
            u.id.clone()
        };
        out.insert(
            u.email.clone(),
            SyncExpect {
                action,
                user_id,
                roster_email: String::new(),
                changes: BTreeMap::new(),
            },
        );
    }
    out
}

fn count(s: &SyncScenario, pred: impl Fn(&SyncExpect) -> bool) -> usize {
    s.expected.values().filter(|e| pred(e)).count()
}

#[tokio::test]
async fn the_roster_and_the_account_differ_exactly_as_expected() {
    let sandbox = Sandbox::start(bare()).await.unwrap();
    let s = sandbox.seed_sync_drift(60, 5).unwrap();
    assert_eq!(diff(sandbox.store(), &s.roster_csv), s.expected);
    // 60 users besides the owner, and the new hires only in the roster.
    assert_eq!(sandbox.store().user_count(), 61);
    assert_eq!(s.roster_csv.lines().count(), s.roster_rows + 1);

    // Every case is there.
    for field in ["first_name", "last_name", "dept", "type", "group", "job_title"] {
        let updates = count(&s, |e| {
            e.changes.contains_key(field) && e.action == SyncAction::Update
        });
        assert!(updates >= 1, "no {field} change");
    }
    let joins = count(&s, |e| {
        e.changes
            .get("group")
            .is_some_and(|(b, a)| a.split(';').count() > b.split(';').filter(|x| !x.is_empty()).count())
    });
    let leaves = count(&s, |e| {
        e.changes
            .get("group")
            .is_some_and(|(b, a)| a.split(';').count() < b.split(';').count())
    });
    assert!(joins >= 1 && leaves >= 1);
    assert_eq!(s.with_action("create", None, false).len(), 2);
    assert!(
        s.expected
            .values()
            .any(|e| e.action == SyncAction::Create && e.roster_email.chars().any(|c| c.is_uppercase()))
    );
    // Back in the roster, with a new department too.
    assert_eq!(
        count(&s, |e| e.action == SyncAction::Activate
            && e.changes.contains_key("dept")),
        1
    );
    let store = sandbox.store();
    let status_of = |email: &str| store.user_by_email(email).unwrap().status;
    let pending_present: Vec<&String> = s
        .expected
        .iter()
        .filter(|(email, e)| {
            e.action == SyncAction::Unchanged && !e.roster_email.is_empty() && status_of(email) == "pending"
        })
        .map(|(email, _)| email)
        .collect();
    assert!(!pending_present.is_empty());
    // Leavers: one active and one pending in scope; the owner, an admin and one
    // outside the scope are never touched.
    assert_eq!(s.with_action("deactivate", Some("deactivate"), false).len(), 1);
    assert_eq!(
        s.with_action("disassociate", Some("deactivate"), false),
        s.expected
            .iter()
            .filter(|(_, e)| e.action == SyncAction::Prune { pending: true })
            .map(|(m, _)| m.as_str())
            .collect::<Vec<_>>()
    );
    let untouched: BTreeSet<String> = s
        .expected
        .iter()
        .filter(|(_, e)| e.action == SyncAction::Untouched)
        .map(|(m, _)| store.user_by_email(m).unwrap().role_id)
        .collect();
    assert_eq!(untouched, BTreeSet::from(["0".into(), "1".into(), "2".into()]));
    // Roster emails in other case, cells left empty, cells padded.
    assert!(
        count(&s, |e| {
            e.action == SyncAction::Unchanged && e.roster_email.chars().any(|c| c.is_uppercase())
        }) >= 1
    );
    assert!(s.roster_csv.lines().any(|l| l.ends_with(",,,,,,")));
    assert!(s.roster_csv.lines().any(|l| l.starts_with(' ')));
    assert!(count(&s, |e| e.action == SyncAction::Unchanged) >= 20);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_scenario_and_each_case_scales_with_the_account() {
    let a = Sandbox::start(bare()).await.unwrap();
    let b = Sandbox::start(bare()).await.unwrap();
    let c = Sandbox::start(bare()).await.unwrap();
    let (sa, sb, sc) = (
        a.seed_sync_drift(60, 5).unwrap(),
        b.seed_sync_drift(60, 5).unwrap(),
        c.seed_sync_drift(60, 6).unwrap(),
    );
    assert_eq!(sa.roster_csv, sb.roster_csv);
    assert_eq!(sa.expected, sb.expected);
    assert_ne!(sa.roster_csv, sc.roster_csv);

    let big = Sandbox::start(bare()).await.unwrap();
    let s = big.seed_sync_drift(6000, 1).unwrap();
    assert_eq!(big.store().user_count(), 6001);
    assert_eq!(diff(big.store(), &s.roster_csv), s.expected);
    // Three of each case at 6,000 users.
    assert_eq!(s.with_action("create", None, false).len(), 3 + 1);
    assert_eq!(s.with_action("deactivate", Some("deactivate"), false).len(), 3);
    assert_eq!(s.with_action("delete", Some("delete"), false).len(), 3);
    assert_eq!(s.with_action("disassociate", Some("delete"), false).len(), 3);
    assert_eq!(s.with_action("activate", None, false).len(), 3);
}

#[tokio::test]
async fn it_refuses_an_account_that_already_has_users() {
    let sandbox = Sandbox::start(SandboxConfig {
        seed_users: 3,
        ..bare()
    })
    .await
    .unwrap();
    let err = sandbox.seed_sync_drift(60, 1).unwrap_err();
    assert!(err.contains("only the owner"), "{err}");
    assert_eq!(sandbox.store().user_count(), 4);
}

#[tokio::test]
async fn the_listing_in_every_status_shows_the_whole_account() {
    let a = api(bare()).await;
    let s = a.sandbox.seed_sync_drift(60, 2).unwrap();
    let mut listed = BTreeSet::new();
    for status in ["active", "inactive", "pending"] {
        let (code, body) = a.get(&format!("/users?status={status}&page_size=2000")).await;
        assert_eq!(code, 200);
        for u in body["users"].as_array().unwrap() {
            listed.insert(u["email"].as_str().unwrap().to_string());
            // Pending users are listed without an id, as the plan leaves their user_id empty.
            let expect = &s.expected[u["email"].as_str().unwrap()];
            assert_eq!(u["id"].as_str().unwrap_or(""), expect.user_id);
        }
    }
    let account: BTreeSet<String> = s
        .expected
        .iter()
        .filter(|(_, e)| e.action != SyncAction::Create)
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(listed, account);
}
