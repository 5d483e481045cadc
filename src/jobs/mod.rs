//! Bulk writes: one file per operation. Each implements [`Job`] and plugs into the
//! shared pipeline (input, preflight, fan-out, results) and client.

pub mod meetings_import;
pub mod registrants_import;
pub mod users_delete;
pub mod users_import;
pub mod users_logout;
pub mod users_sync;
pub mod users_update;

use std::path::Path;

use csv::StringRecord;

use crate::app::{Context, Exit, RunError};
use crate::pipeline::input::InputFile;
use crate::pipeline::{open_input, run_job, validate_only};
use crate::validate::{E_MISSING, FieldError};

/// The engine's interface, as every job file uses it.
pub use crate::pipeline::job::{
    DuplicateKey, Fatal, Job, KeyPlan, Steps, cell, outcome_for_error, reset_text,
};

/// Header texts spreadsheets and HR exports use for `email`.
pub const EMAIL_ALIASES: &[&str] = &[
    "email address",
    "e-mail",
    "e-mail address",
    "mail",
    "work email",
    "email id",
    "primary email",
    "user email",
];
/// First-name headers of spreadsheets and HR systems, in several languages. Matched
/// case-insensitively, ignoring spaces, `_` and `-`; accented spellings are listed
/// composed, decomposed (as macOS writes them) and without the accent.
pub const FIRST_NAME_ALIASES: &[&str] = &[
    "first name",
    "firstname",
    "first",
    "fname",
    "given name",
    "given",
    "forename",
    "legal first name",
    "preferred first name",
    "vorname",
    "prénom",
    "pre\u{301}nom",
    "prenom",
    "nombre",
    "nome",
    "voornaam",
];
/// Last-name headers, as [`FIRST_NAME_ALIASES`].
pub const LAST_NAME_ALIASES: &[&str] = &[
    "last name",
    "lastname",
    "last",
    "lname",
    "surname",
    "family name",
    "legal last name",
    "nachname",
    "familienname",
    "nom",
    "nom de famille",
    "apellido",
    "apellidos",
    "cognome",
    "sobrenome",
    "achternaam",
];
pub const DISPLAY_NAME_ALIASES: &[&str] = &["display name", "full name"];
pub const USER_TYPE_ALIASES: &[&str] = &["user type", "license type", "licence type", "license", "licence"];
/// `id` is what `users export` writes, so an export can be edited and fed back.
pub const USER_ID_ALIASES: &[&str] = &["id", "user id", "zoom user id", "zoom id", "userid"];

/// Which user a row is about (users update, users delete): the `user_id` cell when
/// given (Zoom's `{userId}` takes an id or an email), else the `email` cell.
pub struct UserKey {
    user_id: Option<usize>,
    email: Option<usize>,
}

impl UserKey {
    /// The file must have one of the two columns; neither is required on its own.
    pub fn bind(input: &InputFile) -> Result<UserKey, String> {
        let key = UserKey {
            user_id: input.column("user_id"),
            email: input.column("email"),
        };
        if key.user_id.is_none() && key.email.is_none() {
            return Err(format!(
                "{}: no column says which user a row is about. Add a column named user_id (also accepted: {}) \
                 or email (also accepted: {}).",
                input.name(),
                USER_ID_ALIASES.join(", "),
                EMAIL_ALIASES.join(", ")
            ));
        }
        Ok(key)
    }

    /// The `{userId}` of the row's requests.
    pub fn of<'r>(&self, record: &'r StringRecord) -> &'r str {
        match cell(record, self.user_id) {
            "" => cell(record, self.email),
            id => id,
        }
    }

    /// The column the row's user comes from, for messages.
    pub fn column_name(&self, record: &StringRecord) -> &'static str {
        if cell(record, self.user_id).is_empty() {
            "email"
        } else {
            "user_id"
        }
    }

    /// Checks that the row names a user, by an id or a well-formed email.
    pub fn check(&self, record: &StringRecord) -> Result<(), FieldError> {
        let id = cell(record, self.user_id);
        if !id.is_empty() {
            return crate::validate::text("user_id", id);
        }
        match (self.user_id, self.email) {
            (Some(_), None) => Err(FieldError::new(
                E_MISSING,
                "user_id is empty; give the user's Zoom id or email address.",
            )),
            (Some(_), Some(_)) if cell(record, self.email).is_empty() => Err(FieldError::new(
                E_MISSING,
                "user_id and email are both empty; give the user's Zoom id or email address.",
            )),
            _ => crate::validate::email(cell(record, self.email)),
        }
    }

    /// Emails compare case-insensitively, ids exactly.
    pub fn duplicate_key(&self, record: &StringRecord, key: &mut DuplicateKey) {
        let user = self.of(record);
        if user.contains('@') {
            key.folded(user);
        } else {
            key.exact(user);
        }
    }

    /// The column `--resume` compares: the one that names users in this file.
    pub fn column(&self) -> Option<usize> {
        self.user_id.or(self.email)
    }
}

/// Runs a bulk write: read the file, bind the job to its columns, run the pipeline.
pub async fn run_command<J: Job, E: Into<RunError>>(
    file: &Path,
    ctx: &Context,
    bind: impl FnOnce(&InputFile) -> Result<J, E>,
) -> Result<Exit, RunError> {
    let input = open_input::<J>(file)?;
    let job = bind(&input).map_err(Into::into)?;
    let end = run_job(job, input, &ctx.run, async || ctx.settings.connect().await).await?;
    Ok(end.into())
}

/// `zoombulk validate KIND FILE …`: the same binding, checked offline.
pub fn validate_command<J: Job, E: Into<RunError>>(
    file: &Path,
    bind: impl FnOnce(&InputFile) -> Result<J, E>,
) -> Result<Exit, RunError> {
    let input = open_input::<J>(file)?;
    let job = bind(&input).map_err(Into::into)?;
    Ok(validate_only(&job, &input)?.into())
}
