//! `zoombulk users import FILE.csv`: one `POST /users` per row.
//!
//! A create that meets 409/1005 (the email is already in the account, perhaps
//! because an earlier attempt's answer was lost) becomes `exists` with the
//! existing user's id looked up, never `failed`.

use chrono::{SubsecRound, Utc};
use csv::StringRecord;
use serde_json::{Map, Value};

use super::{
    Context, DISPLAY_NAME_ALIASES, DuplicateKey, EMAIL_ALIASES, FIRST_NAME_ALIASES, Fatal, Job,
    LAST_NAME_ALIASES, USER_TYPE_ALIASES, cell, outcome_for_error, run_command, validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::users::ImportArgs as Args;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::job::{CapUse, DailyCap};
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::{self, CreateAction, FieldError, UserType};
use crate::zoom::{ApiError, Client};

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, |input| UsersImport::new(input, args)).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, |input| UsersImport::new(input, args))
}

const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("email", EMAIL_ALIASES),
    ColumnSpec::optional("first_name", FIRST_NAME_ALIASES),
    ColumnSpec::optional("last_name", LAST_NAME_ALIASES),
    ColumnSpec::optional("display_name", DISPLAY_NAME_ALIASES),
    ColumnSpec::optional("type", USER_TYPE_ALIASES),
    ColumnSpec::optional("action", &["create action"]),
    ColumnSpec::optional("password", &["initial password"]),
];

pub struct UsersImport {
    email: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    display_name: Option<usize>,
    user_type: Option<usize>,
    action: Option<usize>,
    password: Option<usize>,
    default_action: CreateAction,
    default_type: UserType,
}

/// A checked row: what the record alone does not say.
pub struct UserRow {
    action: CreateAction,
    user_type: UserType,
}

impl UsersImport {
    pub fn new(input: &InputFile, args: &Args) -> Result<UsersImport, String> {
        let default_action = CreateAction::from(args.action);
        let default_type = UserType::from(args.user_type);
        Ok(UsersImport {
            email: input.column("email"),
            first_name: input.column("first_name"),
            last_name: input.column("last_name"),
            display_name: input.column("display_name"),
            user_type: input.column("type"),
            action: input.column("action"),
            password: input.column("password"),
            default_action,
            default_type,
        })
    }

    /// The `user_info` object of `POST /users`, from a checked record.
    fn user_info(&self, record: &StringRecord, row: &UserRow) -> Value {
        let mut info = Map::new();
        info.insert("email".into(), Value::from(cell(record, self.email)));
        info.insert("type".into(), Value::from(row.user_type as u8));
        for (column, index) in [
            ("first_name", self.first_name),
            ("last_name", self.last_name),
            ("display_name", self.display_name),
            ("password", self.password),
        ] {
            let value = cell(record, index);
            if !value.is_empty() {
                info.insert(column.into(), Value::from(value));
            }
        }
        Value::Object(info)
    }
}

impl Job for UsersImport {
    type Row = UserRow;
    type BatchKey = ();
    const KIND: &'static str = "users-import";
    const KEY_NAME: &'static str = "email";

    fn columns() -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<UserRow, FieldError> {
        validate::email(cell(record, self.email))?;
        let action = match cell(record, self.action) {
            "" => self.default_action,
            a => validate::create_action(a)?,
        };
        let user_type = match cell(record, self.user_type) {
            "" => self.default_type,
            t => validate::user_type(t)?,
        };
        validate::check_type_action(user_type, action)?;
        let password = cell(record, self.password);
        validate::check_password_action(!password.is_empty(), action)?;
        if !password.is_empty() {
            validate::password(password)?;
        }
        for (column, index, max) in [
            ("first_name", self.first_name, 64),
            ("last_name", self.last_name, 64),
            ("display_name", self.display_name, 128),
        ] {
            let value = cell(record, index);
            if !value.is_empty() {
                validate::text(column, value)?;
                validate::name(column, value, max)?;
            }
        }
        Ok(UserRow { action, user_type })
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &UserRow, key: &mut DuplicateKey) -> bool {
        key.folded(cell(record, self.email));
        true
    }

    fn request_counts(&self, _record: &StringRecord, _row: &UserRow) -> [u32; 3] {
        [1, 0, 0]
    }

    fn daily_cap(&self, _record: &StringRecord, row: &UserRow) -> Option<CapUse> {
        (row.action == CreateAction::Create).then_some(CapUse::account(DailyCap::UserInvites))
    }

    fn describe(&self, record: &StringRecord, row: &UserRow) -> String {
        format!(
            "POST /users action={} {}",
            row.action.as_str(),
            cell(record, self.email)
        )
    }

    fn secret_columns(&self) -> Vec<usize> {
        self.password.into_iter().collect()
    }

    async fn run_row(&self, client: &Client, record: &StringRecord, row: UserRow) -> Result<Outcome, Fatal> {
        let info = self.user_info(record, &row);
        create(client, row.action, cell(record, self.email), info).await
    }
}

async fn create(client: &Client, action: CreateAction, email: &str, info: Value) -> Result<Outcome, Fatal> {
    // Zoom's created_at has whole seconds.
    let first_attempt = Utc::now().trunc_subsecs(0);
    let err = match client.create_user(action.as_str(), info).await {
        Ok(sent) => {
            return Ok(Outcome {
                zoom_id: Some(sent.value.id),
                http_status: Some(sent.status),
                attempts: sent.attempts,
                ..Outcome::new(Status::Created)
            });
        }
        Err(err) => err,
    };
    let exists = err.is_code(409, 1005);
    if !exists && !err.may_have_applied() {
        return outcome_for_error(&err);
    }
    // The email is in the account (409), or an earlier attempt may have created
    // the user before its answer was lost: ask Zoom before writing the row.
    let found = client.get_user(email).await;
    let lookup_attempts = match &found {
        Ok(sent) => sent.attempts,
        Err(e) => e.attempts(),
    };
    let attempts = err.attempts() + lookup_attempts;
    let user = match found {
        Ok(sent) if exists || sent.value.id.is_some() || sent.value.email.is_some() => sent.value,
        Err(lookup) if exists => {
            return Ok(Outcome {
                http_status: Some(409),
                error_code: Some("1005".into()),
                error_message: Some(format!(
                    "The email is already in the account, but looking up its id failed: {lookup}"
                )),
                attempts,
                ..Outcome::new(Status::Exists)
            });
        }
        Err(lookup) if lookup.status() != Some(404) => {
            // Whether an earlier attempt created the user is unknown: say so.
            let mut outcome = outcome_for_error(&err)?;
            outcome.attempts = attempts;
            outcome.error_message = Some(format!(
                "{} An earlier attempt may have created the user, and looking the email up failed \
                 ({lookup}): check the user in Zoom before creating them by hand.",
                outcome.error_message.unwrap_or_default()
            ));
            return Ok(outcome);
        }
        _ => {
            // Zoom does not have the user: the error stands.
            let mut outcome = outcome_for_error(&err)?;
            outcome.attempts = attempts;
            return Ok(outcome);
        }
    };
    let ours = err.may_have_applied() && user.created_at.is_some_and(|t| t >= first_attempt);
    if ours {
        return Ok(Outcome {
            zoom_id: user.id,
            http_status: err.status(),
            attempts,
            error_message: Some(format!(
                "Created by this run: Zoom's answer to an earlier attempt was lost, and the last answer was \
                 \"{err}\"; looking the email up found the user created at {}.",
                user.created_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            )),
            ..Outcome::new(Status::Created)
        });
    }
    Ok(Outcome {
        zoom_id: user.id,
        http_status: err.status(),
        error_code: exists.then(|| "1005".to_string()),
        error_message: Some(match &err {
            ApiError::Zoom { message, .. } if exists => message.clone(),
            other => format!("The email is already in the account (the create ended in \"{other}\")."),
        }),
        attempts,
        ..Outcome::new(Status::Exists)
    })
}
