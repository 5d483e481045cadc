//! `zoombulk meetings export`: the meetings of every user (or `--user`), all
//! pages of `GET /users/{userId}/meetings`, streamed: a few hosts' listings in
//! flight at once, written in host order.

use futures::{StreamExt, TryStreamExt, stream};
use serde_json::Value;

use super::{ExportError, Plan, Report, Table, cells, columns, run_export};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::meetings::ExportArgs as Args;
use crate::zoom::meetings::MEETINGS_PAGE_SIZE;
use crate::zoom::users::user_path;
use crate::zoom::{ApiError, Call, Category, Client};

pub const COLUMNS: &[&str] = &[
    "id",
    "uuid",
    "host_id",
    "host_email",
    "topic",
    "type",
    "start_time",
    "duration",
    "timezone",
    "agenda",
    "created_at",
    "join_url",
];
/// Free text (guarded in CSV); ids, times and URLs are written as they are.
const TEXT_COLUMNS: &[&str] = &["topic", "agenda"];
/// JSON numbers in JSONL (the id stays text: it can exceed 2^53).
const NUMBER_COLUMNS: &[&str] = &["type", "duration"];
/// Hosts whose listings are read at once (written in host order).
const HOSTS_IN_FLIGHT: usize = 8;

/// The listing of one host's meetings.
pub fn listing(host: &str, list_type: &str) -> Call {
    Call::get(format!("{}/meetings", user_path(host)), Category::Medium)
        .query("type", list_type.to_string())
        .query("page_size", MEETINGS_PAGE_SIZE.to_string())
}

/// Hosts as (id, email), sorted by id: `--user`, else every active and inactive user.
pub async fn hosts(client: &Client, user: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut hosts: Vec<(String, String)> = super::recordings::hosts(client, user)
        .await?
        .into_iter()
        .collect();
    hosts.sort();
    Ok(hosts)
}

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let list_type = args.list_type.as_query();
    run_export(
        ctx,
        "meetings export",
        &columns(COLUMNS, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| {
            let hosts = hosts(client, args.user.as_deref()).await?;
            Ok::<_, ExportError>(Plan {
                calls: vec![(
                    hosts.len() as u64,
                    format!("GET /users/{{userId}}/meetings?type={list_type} (one or more pages per host)"),
                    Category::Medium,
                )],
                notes: vec![format!(
                    "{} hosts (the users were listed to count them)",
                    hosts.len()
                )],
            })
        },
        async |client, table: &mut Table| {
            let hosts = hosts(client, args.user.as_deref()).await?;
            let listings = stream::iter(hosts).map(|(id, email)| async move {
                let meetings: Vec<Value> = client.all_pages(listing(&id, list_type), "meetings").await?;
                Ok::<_, ApiError>((email, meetings))
            });
            let mut listings = std::pin::pin!(listings.buffered(HOSTS_IN_FLIGHT));
            while let Some((email, meetings)) = listings.try_next().await? {
                for mut m in meetings {
                    if let Some(obj) = m.as_object_mut() {
                        obj.insert("host_email".into(), Value::from(email.as_str()));
                    }
                    table.row(&cells(&m, COLUMNS))?;
                }
            }
            Ok::<_, ExportError>(Report::default())
        },
    )
    .await
}
