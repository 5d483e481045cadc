//! `zoombulk registrants export`: registrants of one meeting or webinar.

use futures::TryStreamExt;
use serde_json::Value;

use super::{ExportError, Report, Table, cells, columns, plan, run_export};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::registrants::ExportArgs as Args;
use crate::zoom::{Call, Category};

pub const COLUMNS: &[&str] = &[
    "id",
    "email",
    "first_name",
    "last_name",
    "status",
    "create_time",
    "join_url",
    "address",
    "city",
    "state",
    "zip",
    "country",
    "phone",
    "industry",
    "job_title",
    "org",
    "no_of_employees",
    "purchasing_time_frame",
    "role_in_purchase_process",
    "comments",
    "custom_questions",
];

/// `title=value` pairs joined by `;`.
fn custom_questions(registrant: &Value) -> String {
    registrant
        .get("custom_questions")
        .and_then(Value::as_array)
        .map(|qs| {
            qs.iter()
                .map(|q| format!("{}={}", super::text(q.get("title")), super::text(q.get("value"))))
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

/// Free text (guarded in CSV); ids, emails, URLs, phone numbers and codes are written as they are.
const TEXT_COLUMNS: &[&str] = &[
    "first_name",
    "last_name",
    "address",
    "city",
    "state",
    "industry",
    "job_title",
    "org",
    "comments",
    "custom_questions",
];

/// Registrants come 300 a page (Zoom's maximum).
const PAGE_SIZE: u64 = 300;

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let path = match (args.meeting, args.webinar) {
        (Some(id), _) => format!("/meetings/{id}/registrants"),
        (None, Some(id)) => format!("/webinars/{id}/registrants"),
        (None, None) => return Err(RunError::usage("give --meeting ID or --webinar ID")),
    };
    let mut call = Call::get(path, Category::Medium).query("page_size", PAGE_SIZE.to_string());
    if let Some(status) = &args.status {
        call = call.query("status", status.as_str());
    }
    run_export(
        ctx,
        "registrants export",
        &columns(COLUMNS, TEXT_COLUMNS, &[]),
        async |client| plan::listing(client, &call, PAGE_SIZE, "registrants").await,
        async |client, table: &mut Table| {
            let mut registrants = std::pin::pin!(client.paginate(call.clone(), "registrants"));
            while let Some(r) = registrants.try_next().await? {
                let mut row = cells(&r, &COLUMNS[..COLUMNS.len() - 1]);
                row.push(custom_questions(&r));
                table.row(&row)?;
            }
            Ok::<_, ExportError>(Report::default())
        },
    )
    .await
}
