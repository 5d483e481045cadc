//! `zoombulk users logout FILE.csv`: revoke each listed user's SSO token
//! (`DELETE /users/{userId}/token`), so they are signed out everywhere. Used when
//! offboarding, before or instead of removing the user.

use csv::StringRecord;

use super::{
    Context, DuplicateKey, EMAIL_ALIASES, Fatal, Job, USER_ID_ALIASES, UserKey, outcome_for_error,
    run_command, validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::users::LogoutArgs as Args;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::FieldError;
use crate::zoom::Client;

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, UsersLogout::new).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, UsersLogout::new)
}

const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::optional("user_id", USER_ID_ALIASES),
    ColumnSpec::optional("email", EMAIL_ALIASES),
];

pub struct UsersLogout {
    key: UserKey,
}

impl UsersLogout {
    pub fn new(input: &InputFile) -> Result<UsersLogout, String> {
        Ok(UsersLogout {
            key: UserKey::bind(input)?,
        })
    }
}

impl Job for UsersLogout {
    type Row = ();
    type BatchKey = ();
    const KIND: &'static str = "users-logout";
    const KEY_NAME: &'static str = "user";

    fn columns() -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<(), FieldError> {
        self.key.check(record)
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &(), key: &mut DuplicateKey) -> bool {
        self.key.duplicate_key(record, key);
        true
    }

    fn request_counts(&self, _record: &StringRecord, _row: &()) -> [u32; 3] {
        [1, 0, 0]
    }

    fn describe(&self, record: &StringRecord, _row: &()) -> String {
        format!(
            "DELETE {}/token",
            crate::zoom::users::user_path(self.key.of(record))
        )
    }

    fn key_column(&self) -> Option<usize> {
        self.key.column()
    }

    /// Revoking is idempotent: a retry after a lost answer revokes again.
    async fn run_row(&self, client: &Client, record: &StringRecord, _row: ()) -> Result<Outcome, Fatal> {
        match client.revoke_sso_token(self.key.of(record)).await {
            Ok(sent) => Ok(Outcome {
                http_status: Some(sent.status),
                attempts: sent.attempts,
                error_message: Some("SSO token revoked: the user is signed out.".into()),
                ..Outcome::new(Status::Updated)
            }),
            Err(err) => outcome_for_error(&err),
        }
    }
}
