//! `zoombulk groups export` end to end: the real binary against the sandbox's groups.

mod common;

use common::*;
use zoombulk_sandbox::User;

/// One row per member; a group without members is one row; the rows match the
/// sandbox's store; the file lands whole.
#[tokio::test(flavor = "multi_thread")]
async fn groups_export_lists_every_group_with_its_members() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    let pilots = store.insert_group("Pilots").expect("new group");
    let empty = store.insert_group("Nobody Here").expect("new group");
    for (email, groups) in [
        ("ada@example.com", vec![pilots.id.clone()]),
        ("amelia@example.com", vec![pilots.id.clone()]),
        ("loner@example.com", vec![]),
    ] {
        let mut user = User::new(email, "First", "Last");
        user.group_ids = groups;
        store.insert_user(user).expect("new user");
    }
    let dir = tempdir();
    let out = dir.path().join("groups.csv");
    let args = ["groups", "export", "--out", out.to_str().unwrap()];
    let o = run_fast(&sandbox, &args, 0, "groups export").await;
    assert!(stderr(&o).contains("groups"), "{}", stderr(&o));
    let rows = read_results(&out);

    let groups = store.groups();
    let expected_rows: usize = groups.iter().map(|g| store.members_of(&g.id).len().max(1)).sum();
    assert_eq!(
        rows.len(),
        expected_rows,
        "one row per member, one per empty group"
    );
    for g in &groups {
        let mine: Vec<_> = rows.iter().filter(|r| r["group_id"] == g.id).collect();
        assert!(mine.iter().all(|r| r["group_name"] == g.name));
        let members = store.members_of(&g.id);
        if members.is_empty() {
            assert_eq!(mine.len(), 1, "{}", g.name);
            assert_eq!(
                (mine[0]["member_id"].as_str(), mine[0]["email"].as_str()),
                ("", "")
            );
            assert_eq!(mine[0]["total_members"], "0");
            continue;
        }
        for m in &members {
            let row = mine
                .iter()
                .find(|r| r["member_id"] == m.id)
                .unwrap_or_else(|| panic!("{} in {}", m.email, g.name));
            assert_eq!(row["email"], m.email);
            assert_eq!(row["first_name"], m.first_name);
            assert_eq!(row["last_name"], m.last_name);
            assert_eq!(row["type"], m.user_type.to_string());
        }
    }
    let pilots_rows: Vec<_> = rows.iter().filter(|r| r["group_name"] == "Pilots").collect();
    assert_eq!(pilots_rows.len(), 2);
    assert!(rows.iter().any(|r| r["group_id"] == empty.id));
    assert!(!rows.iter().any(|r| r["email"] == "loner@example.com"));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temp file left");

    // --dry-run counts the groups and writes nothing.
    let dry = dir.path().join("dry.csv");
    let args = ["groups", "export", "--dry-run", "--out", dry.to_str().unwrap()];
    let o = run_fast(&sandbox, &args, 0, "groups export --dry-run").await;
    assert!(
        stderr(&o).contains(&format!("{} groups to export", groups.len())),
        "{}",
        stderr(&o)
    );
    assert!(!dry.exists());
}
