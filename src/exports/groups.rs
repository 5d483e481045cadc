//! `zoombulk groups export`: every group of the account with its members, one row
//! per member (`GET /groups`, then `GET /groups/{groupId}/members`, all pages). A
//! group with no members is one row with empty member cells, so it is not lost.

use futures::TryStreamExt;
use serde_json::Value;

use super::{ExportError, Report, Table, columns, plan, run_export, text};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::groups::ExportArgs as Args;
use crate::zoom::groups::{GROUPS_PAGE_SIZE, Group, MEMBERS_PAGE_SIZE};
use crate::zoom::{Call, Category};

pub const COLUMNS: &[&str] = &[
    "group_id",
    "group_name",
    "total_members",
    "member_id",
    "email",
    "first_name",
    "last_name",
    "type",
];

/// Free text (guarded in CSV).
const TEXT_COLUMNS: &[&str] = &["group_name", "first_name", "last_name"];
/// JSON numbers in JSONL.
const NUMBER_COLUMNS: &[&str] = &["total_members", "type"];

fn groups_call() -> Call {
    Call::get("/groups", Category::Medium).query("page_size", GROUPS_PAGE_SIZE.to_string())
}

fn members_call(group_id: &str) -> Call {
    let segment = crate::zoom::users::url_segment(group_id);
    Call::get(format!("/groups/{segment}/members"), Category::Medium)
        .query("page_size", MEMBERS_PAGE_SIZE.to_string())
}

/// One output row: the group's cells, then the member's (empty for a group with none).
fn row(group: &Group, member: Option<&Value>) -> Vec<String> {
    let m = |k: &str| member.map_or_else(String::new, |m| text(m.get(k)));
    vec![
        group.id.clone(),
        group.name.clone(),
        group.total_members.to_string(),
        m("id"),
        m("email"),
        m("first_name"),
        m("last_name"),
        m("type"),
    ]
}

pub async fn command(_args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_export(
        ctx,
        "groups export",
        &columns(COLUMNS, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| {
            let call = groups_call();
            let groups = plan::total_records(client, &call).await?;
            Ok(plan::Plan {
                calls: vec![
                    (
                        plan::pages(groups, u64::from(GROUPS_PAGE_SIZE)),
                        plan::describe(&call),
                        Category::Medium,
                    ),
                    (
                        groups,
                        format!(
                            "GET /groups/{{groupId}}/members?page_size={MEMBERS_PAGE_SIZE} (at least one per group)"
                        ),
                        Category::Medium,
                    ),
                ],
                notes: vec![format!("{groups} groups to export (counted with one request)")],
            })
        },
        async |client, table: &mut Table| {
            // The groups first (at most 5,000 in an account), then each one's members.
            let groups = client.list_groups().await?;
            for group in &groups {
                let mut members = std::pin::pin!(client.paginate(members_call(&group.id), "members"));
                let mut any = false;
                while let Some(member) = members.try_next().await? {
                    table.row(&row(group, Some(&member)))?;
                    any = true;
                }
                if !any {
                    table.row(&row(group, None))?;
                }
            }
            Ok::<_, ExportError>(Report {
                lines: vec![format!("{} groups", groups.len())],
                problems: 0,
            })
        },
    )
    .await
}
