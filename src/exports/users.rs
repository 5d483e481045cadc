//! `zoombulk users export`: every user of the account, all pages of `GET /users`,
//! with their groups by name (one `GET /groups` listing). `--include profile` adds
//! the fields only `GET /users/{userId}` has (one Light request per user, several in
//! flight), `--include custom_attributes` the custom attributes. The columns are
//! named as `users update` reads them, so an export can be edited and fed back.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::{ExportError, Report, Table, columns, plan, run_export, text};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::users::{ExportArgs as Args, ExportInclude};
use crate::zoom::users::{USERS_PAGE_SIZE, user_path};
use crate::zoom::{ApiError, Call, Category, Client};

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
    "group",
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

/// With `--include profile`: what only `GET /users/{userId}` says.
pub const PROFILE_COLUMNS: &[&str] = &[
    "job_title",
    "company",
    "location",
    "manager",
    "cost_center",
    "pronouns",
    "pronouns_option",
    "phone",
    "use_pmi",
    "vanity_name",
    "cms_user_id",
];

/// With `--include custom_attributes`: `name=value` pairs joined by `;`.
pub const CUSTOM_COLUMN: &str = "custom_attributes";

/// Free text (guarded in CSV); ids, emails, phone numbers and codes are written as they are.
const TEXT_COLUMNS: &[&str] = &[
    "first_name",
    "last_name",
    "display_name",
    "dept",
    "group",
    "job_title",
    "company",
    "location",
    "cost_center",
    "pronouns",
    CUSTOM_COLUMN,
];
/// JSON numbers in JSONL.
const NUMBER_COLUMNS: &[&str] = &["type", "pmi", "verified", "pronouns_option"];

/// `GET /users/{userId}` requests in flight at once with `--include profile` (the
/// limiter paces them; rows stay in listing order).
const DETAIL_CONCURRENCY: usize = 8;

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let mut call = Call::get("/users", Category::Medium).query("page_size", USERS_PAGE_SIZE.to_string());
    if let Some(status) = &args.status {
        call = call.query("status", status.as_str());
    }
    if let Some(role) = &args.role_id {
        call = call.query("role_id", role.clone());
    }
    let profile = args.include.contains(&ExportInclude::Profile);
    let custom = args.include.contains(&ExportInclude::CustomAttributes);
    if custom {
        call = call.query("include_fields", "custom_attributes");
    }
    let mut names: Vec<&str> = COLUMNS.to_vec();
    if profile {
        names.extend(PROFILE_COLUMNS);
    }
    if custom {
        names.push(CUSTOM_COLUMN);
    }
    let names = &names;
    run_export(
        ctx,
        "users export",
        &columns(names, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| {
            let mut plan = plan::listing(client, &call, u64::from(USERS_PAGE_SIZE), "users").await?;
            plan.calls
                .push((1, "GET /groups (group names)".into(), Category::Medium));
            if profile {
                let users = plan::total_records(client, &call).await?;
                plan.calls.push((
                    users,
                    "GET /users/{userId} (--include profile)".into(),
                    Category::Light,
                ));
            }
            Ok(plan)
        },
        async |client, table: &mut Table| {
            let (groups, mut report) = group_names(client).await?;
            let users = client.paginate(call.clone(), "users");
            let mut rows = std::pin::pin!(
                users
                    .map(|user| async {
                        let user = user?;
                        let detail = if profile {
                            details(client, &user).await?
                        } else {
                            None
                        };
                        Ok::<_, ApiError>(cells(&user, detail.as_ref(), &groups, names))
                    })
                    .buffered(if profile { DETAIL_CONCURRENCY } else { 1 })
            );
            let mut missing = 0u64;
            while let Some((row, gone)) = rows.try_next().await? {
                missing += u64::from(gone);
                table.row(&row)?;
            }
            if missing > 0 {
                report.lines.push(format!(
                    "{missing} users left the account while the export ran; their profile cells are empty"
                ));
            }
            Ok::<_, ExportError>(report)
        },
    )
    .await
}

/// Group id → name, from one listing. An account without groups (Zoom answers
/// 400/200 on plans below Pro) exports without names, and says so.
async fn group_names(client: &Client) -> Result<(HashMap<String, String>, Report), ExportError> {
    let mut report = Report::default();
    let groups = match client.list_groups().await {
        Ok(groups) => groups,
        Err(ApiError::Zoom {
            status: 400 | 404,
            message,
            ..
        }) => {
            report.lines.push(format!(
                "group names left empty: Zoom did not list the groups ({message})"
            ));
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    Ok((groups.into_iter().map(|g| (g.id, g.name)).collect(), report))
}

/// `GET /users/{userId}` of a listed user; `None` when they left meanwhile (404).
async fn details(client: &Client, user: &Value) -> Result<Option<Value>, ApiError> {
    let key = match text(user.get("id")) {
        id if !id.is_empty() => id,
        _ => text(user.get("email")),
    };
    let call = Call::get(user_path(&key), Category::Light);
    match client.send(&call).await {
        Ok(response) => Ok(Some(response.json()?)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A user's row, and whether their details were wanted but gone.
fn cells(
    user: &Value,
    detail: Option<&Value>,
    groups: &HashMap<String, String>,
    names: &[&str],
) -> (Vec<String>, bool) {
    let profile_wanted = names.contains(&"job_title");
    let row = names
        .iter()
        .map(|&name| {
            let from = detail.unwrap_or(user);
            match name {
                "group" => group_cell(user, groups),
                "phone" => detail.map(phone_cell).unwrap_or_default(),
                "vanity_name" => detail.map(vanity_name).unwrap_or_default(),
                CUSTOM_COLUMN => custom_cell(user),
                _ if PROFILE_COLUMNS.contains(&name) => detail.map(|d| text(d.get(name))).unwrap_or_default(),
                _ => text(from.get(name).or_else(|| user.get(name))),
            }
        })
        .collect();
    (row, profile_wanted && detail.is_none())
}

/// The user's groups by name (`;`-joined), as `users update`'s `group` column reads
/// them; an id Zoom did not list stays an id.
fn group_cell(user: &Value, groups: &HashMap<String, String>) -> String {
    user.get("group_ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .map(|id| {
                    let id = text(Some(id));
                    groups.get(&id).cloned().unwrap_or(id)
                })
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

/// `phone_numbers` as the `phone` column reads them: `Mobile: +1 5550100; +44 …`.
fn phone_cell(detail: &Value) -> String {
    detail
        .get("phone_numbers")
        .and_then(Value::as_array)
        .map(|phones| {
            phones
                .iter()
                .map(|p| {
                    let (label, code, number) =
                        (text(p.get("label")), text(p.get("code")), text(p.get("number")));
                    let code = if code.is_empty() || code.starts_with('+') {
                        code
                    } else {
                        format!("+{code}")
                    };
                    let number = format!("{code} {number}");
                    if label.is_empty() {
                        number
                    } else {
                        format!("{label}: {number}")
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// `vanity_url` (`https://zoom.us/my/NAME`) back to the name `PATCH` takes.
fn vanity_name(detail: &Value) -> String {
    let url = text(detail.get("vanity_url"));
    url.rsplit_once("/my/")
        .map_or(url.clone(), |(_, name)| name.to_string())
}

/// `custom_attributes` as `name=value` pairs joined by `;`.
fn custom_cell(user: &Value) -> String {
    user.get("custom_attributes")
        .and_then(Value::as_array)
        .map(|attrs| {
            attrs
                .iter()
                .map(|a| format!("{}={}", text(a.get("name")), text(a.get("value"))))
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phones_groups_and_vanity_names_read_as_users_update_writes_them() {
        let detail = json!({
            "phone_numbers": [{"code": "+1", "country": "US", "label": "Mobile", "number": "5550100"},
                              {"code": "44", "country": "GB", "number": "7700900123"}],
            "vanity_url": "https://zoom.us/my/ada.l",
        });
        assert_eq!(phone_cell(&detail), "Mobile: +1 5550100; +44 7700900123");
        assert_eq!(vanity_name(&detail), "ada.l");
        let groups = HashMap::from([("g1".to_string(), "Sales".to_string())]);
        let user = json!({"group_ids": ["g1", "gone"], "custom_attributes": [{"key": "k", "name": "Badge", "value": "42"}]});
        assert_eq!(group_cell(&user, &groups), "Sales;gone");
        assert_eq!(custom_cell(&user), "Badge=42");
    }
}
