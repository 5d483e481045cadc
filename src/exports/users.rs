//! `zoombulk users export`: every user of the account, all pages of `GET /users`.

use futures::TryStreamExt;

use super::{ExportError, Report, Table, cells, columns, plan, run_export};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::users::ExportArgs as Args;
use crate::zoom::users::USERS_PAGE_SIZE;
use crate::zoom::{Call, Category};

pub const COLUMNS: &[&str] = &[
    "id",
    "email",
    "first_name",
    "last_name",
    "display_name",
    "type",
    "status",
    "role_id",
    "dept",
    "group_ids",
    "timezone",
    "language",
    "pmi",
    "verified",
    "phone_number",
    "employee_unique_id",
    "user_created_at",
    "last_login_time",
    "last_client_version",
];

/// Free text (guarded in CSV); ids, emails, phone numbers and codes are written as they are.
const TEXT_COLUMNS: &[&str] = &["first_name", "last_name", "display_name", "dept"];
/// JSON numbers in JSONL.
const NUMBER_COLUMNS: &[&str] = &["type", "pmi", "verified"];

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let mut call = Call::get("/users", Category::Medium).query("page_size", USERS_PAGE_SIZE.to_string());
    if let Some(status) = &args.status {
        call = call.query("status", status.as_str());
    }
    if let Some(role) = &args.role_id {
        call = call.query("role_id", role.clone());
    }
    run_export(
        ctx,
        "users export",
        &columns(COLUMNS, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| plan::listing(client, &call, u64::from(USERS_PAGE_SIZE), "users").await,
        async |client, table: &mut Table| {
            let mut users = std::pin::pin!(client.paginate(call.clone(), "users"));
            while let Some(user) = users.try_next().await? {
                table.row(&cells(&user, COLUMNS))?;
            }
            Ok::<_, ExportError>(Report::default())
        },
    )
    .await
}
