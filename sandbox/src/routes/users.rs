//! Users: create (four actions), list, get, update, delete, password, status, SSO token.
//!
//! Long on purpose: one file per resource family, like Zoom's own API reference.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::{ApiResult, flag, json, json_object, no_content, query_map, ts};
use crate::MAX_USERS_PAGE_SIZE;
use crate::app::AppState;
use crate::errors::{
    ApiError, FIELD_INVALID, FIELD_REQUIRED, MSG_NO_PRIVILEGE, MSG_ON_PREM, Problems, invite_cap_message,
};
use crate::limits::{Category, daily_error};
use crate::model::{CustomAttribute, PhoneNumber, User, display_name};
use crate::pages::page_count;
use crate::store::{CreateUserError, Removal, Transfers};
use crate::validate::feature_value_ok;
use crate::validate::{
    DISPLAY_NAME_MAX, DISPLAY_NAME_MAX_CHINESE, Fields, NAME_MAX, NAME_MAX_CHINESE, password_problem,
};

const ACTIONS: &[&str] = &["create", "autoCreate", "custCreate", "ssoCreate"];

/// `user_info` fields of the 2026 Users spec.
const USER_INFO_FIELDS: &[&str] = &[
    "email",
    "type",
    "first_name",
    "last_name",
    "display_name",
    "password",
    "feature",
    "plan_united_type",
    "division_ids",
    "license_info_list",
];

/// `PATCH /users/{userId}` fields of the 2026 Users spec.
const PATCH_FIELDS: &[&str] = &[
    "cms_user_id",
    "company",
    "custom_attributes",
    "dept",
    "first_name",
    "group_id",
    "division_ids",
    "host_key",
    "job_title",
    "cost_center",
    "language",
    "last_name",
    "location",
    "manager",
    "phone_country",
    "phone_number",
    "phone_numbers",
    "pmi",
    "pronouns",
    "pronouns_option",
    "timezone",
    "type",
    "use_pmi",
    "vanity_name",
    "display_name",
    "zoom_one_type",
    "plan_united_type",
    "feature",
    "about_me",
    "linkedin_url",
    "license_info_list",
];

fn invalid_password() -> ApiError {
    ApiError::invalid_parameter("password")
}

/// Checks `type` for an action: 3 has its own message, 99 is for `ssoCreate` only.
fn check_type(user_type: i64, sso: bool, field: &str) -> Result<u8, ApiError> {
    match user_type {
        1 | 2 | 4 => Ok(user_type as u8),
        99 if sso => Ok(99),
        3 => Err(ApiError::bad_request(300, MSG_ON_PREM)),
        _ => Err(ApiError::validation(vec![crate::errors::FieldError {
            field: field.to_string(),
            message: FIELD_INVALID.to_string(),
        }])),
    }
}

pub async fn create(State(app): State<AppState>, body: Bytes) -> ApiResult {
    let body = json_object(&body)?;
    let mut problems = Problems::default();
    let mut top = Fields::new(&body, "", &mut problems);
    top.only(&["action", "user_info"]);
    let action = top.required_string("action", None);
    if let Some(a) = &action
        && !ACTIONS.contains(&a.as_str())
    {
        top.bad("action", FIELD_INVALID);
    }
    let info = top.object("user_info");
    if info.is_none() && !top.has("user_info") {
        top.bad("user_info", FIELD_REQUIRED);
    }
    let empty = Map::new();
    let mut f = Fields::new(info.unwrap_or(&empty), "user_info", &mut problems);
    if info.is_some() {
        f.only(USER_INFO_FIELDS);
    }
    let email = f.email("email", true);
    let first_name = f
        .name("first_name", NAME_MAX, NAME_MAX_CHINESE, false)
        .unwrap_or_default();
    let last_name = f
        .name("last_name", NAME_MAX, NAME_MAX_CHINESE, false)
        .unwrap_or_default();
    let display = f.name("display_name", DISPLAY_NAME_MAX, DISPLAY_NAME_MAX_CHINESE, false);
    let user_type = f.integer("type");
    if info.is_some() && !f.has("type") {
        f.bad("type", FIELD_REQUIRED);
    }
    let password = f.string("password", None);
    f.object("feature");
    f.string("plan_united_type", None);
    f.array("division_ids");
    f.array("license_info_list");
    problems.into_result()?;
    let (Some(action), Some(email), Some(user_type)) = (action, email, user_type) else {
        return Err(ApiError::bad_json());
    };
    let user_type = check_type(user_type, action == "ssoCreate", "user_info.type")?;
    let password = if action == "autoCreate" {
        match password {
            Some(pw) if password_problem(&pw).is_none() => Some(pw),
            _ => return Err(invalid_password()),
        }
    } else {
        None
    };

    let mut user = User::new(&email, &first_name, &last_name);
    if let Some(d) = display.filter(|d| !d.is_empty()) {
        user.display_name = d;
    }
    user.user_type = user_type;
    user.status = if action == "create" { "pending" } else { "active" }.to_string();
    user.verified = u8::from(action != "create");
    user.created_via = action.clone();
    user.created_at = Utc::now();
    user.pmi =
        2_000_000_000 + crate::rng::draw(app.cfg.seed, "pmi", app.store.user_count() as u64) % 7_999_999_999;
    match app.store.create_user(user, password) {
        Ok(user) => {
            let mut response = json(
                StatusCode::CREATED,
                json!({
                    "id": user.id,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": user.email,
                    "type": user.user_type,
                }),
            );
            let location = format!("{}/v2/users/{}", app.api_origin, user.id);
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::CONTENT_LOCATION, v);
            }
            Ok(response)
        }
        Err(CreateUserError::Exists) => Err(ApiError::new(
            StatusCode::CONFLICT,
            1005,
            format!("Email \"{email}\" has already been used."),
        )),
        Err(CreateUserError::InviteCap(cap)) => {
            Err(daily_error(Category::Light, cap, &invite_cap_message(cap)))
        }
    }
}

/// A user as `GET /users` lists it: no id while pending (FACTS).
fn list_json(u: &User, host_key: bool, custom_attributes: bool) -> Value {
    let mut v = json!({
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": u.display_name,
        "email": u.email,
        "type": u.user_type,
        "pmi": u.pmi,
        "timezone": u.timezone,
        "verified": u.verified,
        "dept": u.dept,
        "created_at": ts(u.created_at),
        "user_created_at": ts(u.created_at),
        "language": u.language,
        "phone_number": u.phone_number,
        "status": u.status,
        "role_id": u.role_id,
        "group_ids": u.group_ids,
        "employee_unique_id": u.employee_unique_id,
    });
    if let Some(obj) = v.as_object_mut() {
        if u.status != "pending" {
            obj.insert("id".into(), json!(u.id));
        }
        if let Some(t) = u.last_login_time {
            obj.insert("last_login_time".into(), json!(ts(t)));
        }
        if !u.last_client_version.is_empty() {
            obj.insert("last_client_version".into(), json!(u.last_client_version));
        }
        if host_key {
            obj.insert("host_key".into(), json!(u.host_key));
        }
        if custom_attributes {
            obj.insert("custom_attributes".into(), json!(u.custom_attributes));
        }
    }
    v
}

fn role_name(role_id: &str) -> &'static str {
    match role_id {
        "0" => "Owner",
        "1" => "Admin",
        _ => "Member",
    }
}

fn full_json(u: &User, account_id: &str) -> Value {
    let mut v = json!({
        "id": u.id,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": u.display_name,
        "email": u.email,
        "type": u.user_type,
        "role_name": role_name(&u.role_id),
        "pmi": u.pmi,
        "use_pmi": u.use_pmi,
        "personal_meeting_url": format!("https://zoom.us/j/{}", u.pmi),
        "timezone": u.timezone,
        "verified": u.verified,
        "dept": u.dept,
        "created_at": ts(u.created_at),
        "user_created_at": ts(u.created_at),
        "last_client_version": u.last_client_version,
        "pic_url": "",
        "language": u.language,
        "phone_number": u.phone_number,
        "status": u.status,
        "role_id": u.role_id,
        "account_id": account_id,
        "account_number": 1_000_000_000u64 + (crate::rng::mix(account_id.len() as u64) % 999_999_999),
        "cluster": "us05",
        "job_title": u.job_title,
        "company": u.company,
        "location": u.location,
        "cms_user_id": u.cms_user_id,
        "manager": u.manager,
        "pronouns": u.pronouns,
        "pronouns_option": u.pronouns_option,
        "vanity_url": if u.vanity_name.is_empty() { String::new() } else { format!("https://zoom.us/my/{}", u.vanity_name) },
        "group_ids": u.group_ids,
        "im_group_ids": [],
        "jid": format!("{}@xmpp.zoom.us", u.id.to_lowercase()),
        "employee_unique_id": u.employee_unique_id,
        "custom_attributes": u.custom_attributes,
        "login_types": [if u.created_via == "ssoCreate" { 101 } else { 100 }],
    });
    let more = json!({
        "cost_center": u.cost_center,
        "phone_numbers": u.phone_numbers,
        "phone_country": u.phone_country,
        "division_ids": u.division_ids,
        "plan_united_type": u.plan_united_type,
        "zoom_one_type": u.zoom_one_type,
        "about_me": u.about_me,
        "linkedin_url": u.linkedin_url,
        // Not in the 2026 user schema (Zoom shows features under the user's settings):
        // the sandbox shows what `POST /users/features` set here, for tests and exports.
        "feature": u.features,
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), more) {
        obj.extend(more);
    }
    if let (Some(obj), Some(t)) = (v.as_object_mut(), u.last_login_time) {
        obj.insert("last_login_time".into(), json!(ts(t)));
    }
    v
}

pub async fn list(State(app): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult {
    let q = query_map(raw);
    let status = q
        .get("status")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("active");
    if !matches!(status, "active" | "inactive" | "pending") {
        return Err(ApiError::invalid_parameter("status"));
    }
    let role_id = q.get("role_id").map(String::as_str).filter(|s| !s.is_empty());
    let include = q.get("include_fields").map(String::as_str).unwrap_or("");
    let include: Vec<&str> = include
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if include
        .iter()
        .any(|f| !matches!(*f, "custom_attributes" | "host_key"))
    {
        return Err(ApiError::invalid_parameter("include_fields"));
    }
    let scope = format!("users|{status}|{}", role_id.unwrap_or(""));
    let pages = app.store.pages();
    let req = pages.begin(&q, &scope, MAX_USERS_PAGE_SIZE)?;
    let page = app.store.list_users(status, role_id, &req);
    let token = pages.next(&scope, page.last, page.more, req.page_number);
    let (host_key, custom) = (
        include.contains(&"host_key"),
        include.contains(&"custom_attributes"),
    );
    let users: Vec<Value> = page.rows.iter().map(|u| list_json(u, host_key, custom)).collect();
    Ok(json(
        StatusCode::OK,
        json!({
            "page_count": page_count(page.total, req.page_size),
            "page_number": req.page_number,
            "page_size": req.page_size,
            "total_records": page.total,
            "next_page_token": token,
            "users": users,
        }),
    ))
}

pub async fn get_one(State(app): State<AppState>, Path(user_id): Path<String>) -> ApiResult {
    let user = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    Ok(json(StatusCode::OK, full_json(&user, &app.cfg.account_id)))
}

/// Everything a PATCH may change, validated before anything is applied.
#[derive(Default)]
struct Patch {
    strings: Vec<(&'static str, String)>,
    user_type: Option<i64>,
    pmi: Option<i64>,
    use_pmi: Option<bool>,
    pronouns_option: Option<i64>,
    custom_attributes: Option<Vec<CustomAttribute>>,
    phone_numbers: Option<Vec<PhoneNumber>>,
    division_ids: Option<Vec<String>>,
    zoom_one_type: Option<i64>,
    group_id: Option<String>,
    zoom_phone: Option<bool>,
}

/// Phone numbers a user may have (2026 spec `maxItems`).
const MAX_PHONE_NUMBERS: usize = 3;
/// Custom attributes a user may have (2026 spec `maxItems`).
const MAX_CUSTOM_ATTRIBUTES: usize = 5;
const PHONE_LABELS: &[&str] = &["Mobile", "Office", "Home", "Fax"];
/// FACTS' text for a type change together with a licence field.
pub const MSG_TYPE_WITH_PLAN: &str =
    "You can't change the \"type\" or \"plan_united_type\" or \"zoom_one_type\" at the same time.";
/// When `manager` names nobody in the account (verify: Zoom's code and text are not
/// documented; FACTS says send an e-mail of a user in the account).
pub const MSG_MANAGER_UNKNOWN: &str = "The manager must be the email address of a user in this account.";

fn read_patch(body: &Map<String, Value>) -> Result<Patch, ApiError> {
    let mut problems = Problems::default();
    let mut f = Fields::new(body, "", &mut problems);
    f.only(PATCH_FIELDS);
    let mut patch = Patch::default();
    let limited: [(&'static str, Option<usize>); 15] = [
        ("dept", None),
        ("timezone", None),
        ("language", None),
        ("vanity_name", None),
        ("cms_user_id", None),
        ("job_title", Some(128)),
        ("company", Some(255)),
        ("location", Some(256)),
        ("phone_number", None),
        ("pronouns", None),
        ("about_me", Some(150)),
        ("cost_center", None),
        ("phone_country", None),
        ("plan_united_type", None),
        ("linkedin_url", None),
    ];
    for (key, max) in limited {
        if let Some(v) = f.string(key, max) {
            patch.strings.push((key, v));
        }
    }
    for (key, max, chinese) in [
        ("first_name", NAME_MAX, NAME_MAX_CHINESE),
        ("last_name", NAME_MAX, NAME_MAX_CHINESE),
        ("display_name", DISPLAY_NAME_MAX, DISPLAY_NAME_MAX_CHINESE),
    ] {
        if let Some(v) = f.name(key, max, chinese, false) {
            patch.strings.push((key, v));
        }
    }
    if let Some(m) = f.email("manager", false) {
        patch.strings.push(("manager", m));
    }
    if let Some(hk) = f.string("host_key", None) {
        if (6..=10).contains(&hk.len()) && hk.bytes().all(|b| b.is_ascii_digit()) {
            patch.strings.push(("host_key", hk));
        } else {
            f.bad("host_key", FIELD_INVALID);
        }
    }
    if let Some(pmi) = f.integer("pmi") {
        if (1_000_000_000..=9_999_999_999).contains(&pmi) {
            patch.pmi = Some(pmi);
        } else {
            f.bad("pmi", FIELD_INVALID);
        }
    }
    if let Some(url) = f.string("linkedin_url", None)
        && !url.is_empty()
        && !url.contains("linkedin.com")
    {
        return Err(ApiError::bad_request(
            300,
            "The `linkedin_url` field is illegal. The URL must contain `linkedin.com`.",
        ));
    }
    patch.use_pmi = f.boolean("use_pmi");
    patch.user_type = f.integer("type");
    if let Some(p) = f.integer("pronouns_option") {
        if (1..=3).contains(&p) {
            patch.pronouns_option = Some(p);
        } else {
            f.bad("pronouns_option", FIELD_INVALID);
        }
    }
    if let Some(items) = f.array("custom_attributes") {
        if items.len() > MAX_CUSTOM_ATTRIBUTES {
            f.bad("custom_attributes", FIELD_INVALID);
        }
        let mut attrs = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = |k: &str| {
                item.get(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            // An attribute is named by its `key` or its `name` (verify: the spec shows
            // both; a spreadsheet knows only the name).
            match (item.is_object(), key("key"), key("name"), key("value")) {
                (true, k, name, Some(value)) if k.is_some() || name.is_some() => {
                    attrs.push(CustomAttribute {
                        key: k.unwrap_or_else(|| format!("cbf_{}", name.clone().unwrap_or_default())),
                        name: name.unwrap_or_default(),
                        value,
                    })
                }
                _ => f.bad(&format!("custom_attributes[{i}]"), FIELD_INVALID),
            }
        }
        patch.custom_attributes = Some(attrs);
    }
    if let Some(items) = f.array("phone_numbers") {
        if items.len() > MAX_PHONE_NUMBERS {
            f.bad("phone_numbers", FIELD_INVALID);
        }
        let mut phones = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let phone = PhoneNumber {
                code: text("code"),
                country: text("country"),
                label: text("label"),
                number: text("number"),
            };
            let label_ok = phone.label.is_empty() || PHONE_LABELS.contains(&phone.label.as_str());
            let number_ok = !phone.number.is_empty()
                && phone
                    .number
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
            if item.is_object() && label_ok && number_ok {
                phones.push(phone);
            } else {
                f.bad(&format!("phone_numbers[{i}]"), FIELD_INVALID);
            }
        }
        patch.phone_numbers = Some(phones);
    }
    if let Some(items) = f.array("division_ids") {
        let ids: Vec<String> = items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        if ids.len() != items.len() || ids.len() > 1 {
            f.bad("division_ids", FIELD_INVALID);
        }
        patch.division_ids = Some(ids);
    }
    patch.group_id = f.string("group_id", None).filter(|g| !g.is_empty());
    f.array("license_info_list");
    if let Some(feature) = f.object("feature") {
        match feature.get("zoom_phone") {
            None => {}
            Some(Value::Bool(b)) => patch.zoom_phone = Some(*b),
            Some(_) => f.bad("feature.zoom_phone", FIELD_INVALID),
        }
    }
    patch.zoom_one_type = f.integer("zoom_one_type");
    problems.into_result()?;
    let plan_fields = body.contains_key("plan_united_type") || body.contains_key("zoom_one_type");
    if patch.user_type.is_some() && plan_fields {
        return Err(ApiError::bad_request(300, MSG_TYPE_WITH_PLAN));
    }
    Ok(patch)
}

pub async fn update(State(app): State<AppState>, Path(user_id): Path<String>, body: Bytes) -> ApiResult {
    let body = json_object(&body)?;
    let current = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    let patch = read_patch(&body)?;
    let user_type = match patch.user_type {
        Some(t) => Some(check_type(t, current.created_via == "ssoCreate", "type")?),
        None => None,
    };
    if let Some((_, manager)) = patch.strings.iter().find(|(k, _)| *k == "manager")
        && !manager.is_empty()
        && app.store.find_user(manager).is_none()
    {
        return Err(ApiError::bad_request(300, MSG_MANAGER_UNKNOWN));
    }
    if let Some(g) = &patch.group_id
        && !app.store.group_exists(g)
    {
        return Err(ApiError::not_found(4130, format!("Group does not exist: {g}.")));
    }
    let applied = app.store.update_user(&user_id, |u| {
        for (key, value) in patch.strings {
            let slot = match key {
                "first_name" => &mut u.first_name,
                "last_name" => &mut u.last_name,
                "display_name" => &mut u.display_name,
                "dept" => &mut u.dept,
                "timezone" => &mut u.timezone,
                "language" => &mut u.language,
                "vanity_name" => &mut u.vanity_name,
                "cms_user_id" => &mut u.cms_user_id,
                "job_title" => &mut u.job_title,
                "company" => &mut u.company,
                "location" => &mut u.location,
                "phone_number" => &mut u.phone_number,
                "pronouns" => &mut u.pronouns,
                "manager" => &mut u.manager,
                "host_key" => &mut u.host_key,
                "about_me" => &mut u.about_me,
                "cost_center" => &mut u.cost_center,
                "phone_country" => &mut u.phone_country,
                "plan_united_type" => &mut u.plan_united_type,
                "linkedin_url" => &mut u.linkedin_url,
                _ => continue,
            };
            *slot = value;
        }
        if u.display_name.is_empty() {
            u.display_name = display_name(&u.first_name, &u.last_name);
        }
        if let Some(t) = user_type {
            u.user_type = t;
        }
        if let Some(pmi) = patch.pmi.and_then(|p| u64::try_from(p).ok()) {
            u.pmi = pmi;
        }
        if let Some(b) = patch.use_pmi {
            u.use_pmi = b;
        }
        if let Some(p) = patch.pronouns_option.and_then(|p| u8::try_from(p).ok()) {
            u.pronouns_option = p;
        }
        if let Some(attrs) = patch.custom_attributes {
            u.custom_attributes = attrs;
        }
        if let Some(phones) = patch.phone_numbers {
            u.phone_numbers = phones;
        }
        if let Some(ids) = patch.division_ids {
            u.division_ids = ids;
        }
        if let Some(t) = patch.zoom_one_type {
            u.zoom_one_type = t;
        }
        if let Some(b) = patch.zoom_phone {
            u.features.insert("zoom_phone".into(), b.to_string());
        }
        // FACTS: `group_id` is how a pending user joins a group; the sandbox takes it
        // from any user.
        if let Some(g) = patch.group_id
            && !u.group_ids.contains(&g)
        {
            u.group_ids.push(g);
        }
        Ok::<(), ApiError>(())
    });
    match applied {
        None => Err(ApiError::user_not_found(&user_id)),
        Some(result) => result.map(|()| no_content()),
    }
}

pub async fn remove(
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = query_map(raw);
    let action = q
        .get("action")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("disassociate");
    if !matches!(action, "disassociate" | "delete") {
        return Err(ApiError::invalid_parameter("action"));
    }
    // Every transfer option of the 2026 spec; each must be true or false.
    let transfers = Transfers {
        meetings: flag(&q, "transfer_meeting", false)?,
        webinars: flag(&q, "transfer_webinar", false)?,
        recordings: flag(&q, "transfer_recording", false)?,
        whiteboards: flag(&q, "transfer_whiteboard", false)?,
        clips: flag(&q, "transfer_clipfiles", false)?,
        notes: flag(&q, "transfer_notes", false)?,
        visitors: flag(&q, "transfer_visitors", false)?,
        docs: flag(&q, "transfer_docs", false)?,
    };
    flag(&q, "encrypted_email", false)?;
    let user = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    if app.store.is_owner(&user_id) {
        return Err(ApiError::bad_request(200, MSG_NO_PRIVILEGE));
    }
    let transfer_to = q
        .get("transfer_email")
        .map(String::as_str)
        .filter(|s| !s.is_empty());
    let mut target_email = None;
    if let Some(target) = transfer_to {
        let target_user = app
            .store
            .find_user(target)
            .ok_or_else(|| ApiError::user_not_found(target))?;
        if target_user.id == user.id {
            return Err(ApiError::bad_request(
                300,
                "The transfer-to email address cannot be the same as the unlinked or deleted user's email address.",
            ));
        }
        target_email = Some(target_user.email);
    }
    // Without a transfer user nothing moves, whatever the flags say.
    let transfers = if target_email.is_some() {
        transfers
    } else {
        Transfers::default()
    };
    if app.store.delete_user(&user.id, transfer_to, transfers) {
        app.store.note_removal(Removal {
            user_id: user.id,
            email: user.email,
            action: action.to_string(),
            transfer_email: target_email,
            transfers,
        });
        Ok(no_content())
    } else {
        Err(ApiError::user_not_found(&user_id))
    }
}

pub async fn password(State(app): State<AppState>, Path(user_id): Path<String>, body: Bytes) -> ApiResult {
    let body = json_object(&body)?;
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    f.only(&["password"]);
    let pw = f.required_string("password", None);
    problems.into_result()?;
    let user = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    let pw = pw.unwrap_or_default();
    if let Some(problem) = password_problem(&pw) {
        let (code, message) = problem.code_and_message();
        return Err(ApiError::bad_request(code, message));
    }
    if app.store.password_matches(&user.id, &pw) {
        return Err(ApiError::bad_request(
            300,
            "Your new password can not match the old password.",
        ));
    }
    app.store.set_password(&user.id, &pw);
    Ok(no_content())
}

pub async fn status(State(app): State<AppState>, Path(user_id): Path<String>, body: Bytes) -> ApiResult {
    let body = json_object(&body)?;
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    f.only(&["action"]);
    let action = f.required_string("action", None);
    problems.into_result()?;
    let action = action.unwrap_or_default();
    if !matches!(action.as_str(), "activate" | "deactivate") {
        return Err(ApiError::invalid_parameter("action"));
    }
    let user = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    if app.store.is_owner(&user.id) {
        return Err(ApiError::bad_request(
            200,
            "Zoom Room and Admin users' status cannot be activated or deactivated.",
        ));
    }
    if user.status == "pending" {
        return Err(ApiError::bad_request(
            300,
            format!(
                "The user {} has not accepted the invitation yet; a pending user cannot be {action}d.",
                user.email
            ),
        ));
    }
    let target = if action == "activate" {
        "active"
    } else {
        "inactive"
    };
    app.store.update_user(&user.id, |u| {
        u.status = target.to_string();
        Ok::<(), ApiError>(())
    });
    Ok(no_content())
}

pub async fn revoke_token(State(app): State<AppState>, Path(user_id): Path<String>) -> ApiResult {
    let applied = app.store.update_user(&user_id, |u| {
        u.sso_token_revocations += 1;
        Ok::<(), ApiError>(())
    });
    match applied {
        Some(_) => Ok(no_content()),
        None => Err(ApiError::user_not_found(&user_id)),
    }
}

/// Users one `POST /users/features` may name (FACTS).
pub const MAX_FEATURE_USERS: usize = 30;

/// `POST /users/features`: one call per 10 s account-wide (else 429 with `Retry-After`),
/// at most 30 users, the value checked against FACTS' table.
pub async fn features(State(app): State<AppState>, body: Bytes) -> ApiResult {
    if let Err(wait) = app.store.take_features_slot() {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, 429, crate::errors::MSG_QPS)
                .with_header(
                    crate::limits::H_CATEGORY,
                    HeaderValue::from_static(Category::Medium.header_value()),
                )
                .with_header(
                    crate::limits::H_TYPE,
                    HeaderValue::from_static(crate::limits::TYPE_QPS),
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from(secs.max(1))),
        );
    }
    let body = json_object(&body)?;
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    f.only(&["feature_type", "feature_value", "users", "subscription_id"]);
    let feature_type = f.required_string("feature_type", None);
    let feature_value = f.required_string("feature_value", None);
    f.string("subscription_id", None);
    let users = f.user_keys("users");
    problems.into_result()?;
    let (Some(kind), Some(value)) = (feature_type, feature_value) else {
        return Err(ApiError::bad_json());
    };
    if users.is_empty() || users.len() > MAX_FEATURE_USERS {
        return Err(ApiError::invalid_parameter("users"));
    }
    match feature_value_ok(&kind, &value) {
        None => return Err(ApiError::invalid_parameter("feature_type")),
        Some(false) => return Err(ApiError::invalid_parameter("feature_value")),
        Some(true) => {}
    }
    let outcome = app.store.set_features(&users, |u| {
        let changed = u.features.get(&kind) != Some(&value);
        match kind.as_str() {
            "user_type" => {
                let t = if value == "1" { 1 } else { 2 };
                let was = u.user_type;
                u.user_type = t;
                u.features.insert(kind.clone(), value.clone());
                return was != t;
            }
            "plan_united_type" => u.plan_united_type = value.clone(),
            "zoom_one_type" => u.zoom_one_type = value.parse().unwrap_or(0),
            _ => {}
        }
        u.features.insert(kind.clone(), value.clone());
        changed
    });
    let fail_details: Vec<Value> = outcome
        .fail_details
        .iter()
        .map(|(reason, ids)| json!({"user_ids": ids, "reason": reason}))
        .collect();
    Ok(json(
        StatusCode::CREATED,
        json!({"success_user_ids": outcome.success_user_ids, "fail_details": fail_details}),
    ))
}
