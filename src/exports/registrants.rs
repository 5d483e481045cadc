//! `zoombulk registrants export`: registrants of one meeting or webinar.

use futures::TryStreamExt;
use serde_json::Value;

use super::{ExportError, Report, Table, cells, run_export};
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

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let path = match (args.meeting, args.webinar) {
        (Some(id), _) => format!("/meetings/{id}/registrants"),
        (None, Some(id)) => format!("/webinars/{id}/registrants"),
        (None, None) => return Err(RunError::usage("give --meeting ID or --webinar ID")),
    };
    run_export(
        ctx,
        "registrants export",
        COLUMNS,
        async |client, table: &mut Table| {
            let mut call = Call::get(path, Category::Medium).query("page_size", "300");
            if let Some(status) = &args.status {
                call = call.query("status", status.as_str());
            }
            let mut registrants = std::pin::pin!(client.paginate(call, "registrants"));
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
