//! `zoombulk users delete FILE.csv`: one `DELETE /users/{userId}` per row.
//!
//! `--action delete` cannot be undone, so it runs only with `--yes` or after the
//! row count is confirmed on a terminal; with neither, nothing is sent. A user
//! Zoom does not know (404/1001) is `failed`, or `skipped` with `--missing-ok`
//! (a leavers list that was partly done by hand).

use std::io::{BufRead, IsTerminal, Write};

use csv::StringRecord;

use super::{
    Context, DuplicateKey, EMAIL_ALIASES, Fatal, Job, USER_ID_ALIASES, UserKey, outcome_for_error,
    run_command, validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::users::{DeleteAction, DeleteArgs as Args};
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::job::KeyPlan;
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::{self, E_VALUE, FieldError};
use crate::zoom::{ApiError, Client};

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, |input| UsersDelete::new(input, args)).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, |input| UsersDelete::new(input, args))
}

const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::optional("user_id", USER_ID_ALIASES),
    ColumnSpec::optional("email", EMAIL_ALIASES),
];

/// The transfer options of `DELETE /users/{userId}` (2026 spec): Zoom's query name
/// and what it moves, in words.
pub const TRANSFERS: &[(&str, &str)] = &[
    ("transfer_meeting", "meetings"),
    ("transfer_webinar", "webinars"),
    ("transfer_recording", "cloud recordings"),
    ("transfer_whiteboard", "whiteboards"),
    ("transfer_clipfiles", "clips"),
    ("transfer_notes", "notes"),
    ("transfer_visitors", "visitors"),
    ("transfer_docs", "docs"),
];

/// What no option transfers (Zoom's delete has no option for these).
const NEVER_TRANSFERRED: &str =
    "chat messages, contacts, settings and anything else Zoom has no transfer option for";

pub struct UsersDelete {
    key: UserKey,
    action: DeleteAction,
    transfer_email: Option<String>,
    /// Which of [`TRANSFERS`] the run asks for, in that order.
    chosen: [bool; TRANSFERS.len()],
    /// `action` and the transfer options, the same for every row.
    query: Vec<(&'static str, String)>,
    missing_ok: bool,
    yes: bool,
}

impl UsersDelete {
    pub fn new(input: &InputFile, args: &Args) -> Result<UsersDelete, String> {
        let mut query = vec![("action", args.action.as_str().to_string())];
        let flags = [
            args.transfer_meetings,
            args.transfer_webinars,
            args.transfer_recordings,
            args.transfer_whiteboards,
            args.transfer_clips,
            args.transfer_notes,
            args.transfer_visitors,
            args.transfer_docs,
        ];
        let mut chosen = [false; TRANSFERS.len()];
        if let Some(email) = &args.transfer_email {
            validate::email(email).map_err(|e| format!("--transfer-email: {e}"))?;
            query.push(("transfer_email", email.trim().to_string()));
            for ((slot, flag), (name, _)) in chosen.iter_mut().zip(flags).zip(TRANSFERS) {
                *slot = flag || args.transfer_all;
                if *slot {
                    query.push((name, "true".to_string()));
                }
            }
        }
        Ok(UsersDelete {
            key: UserKey::bind(input)?,
            action: args.action,
            transfer_email: args.transfer_email.as_ref().map(|e| e.trim().to_string()),
            chosen,
            query,
            missing_ok: args.missing_ok,
            yes: args.yes,
        })
    }

    /// What moves to the transfer user and what does not, in words.
    fn transfer_summary(&self) -> String {
        let (mut moved, mut kept): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for ((_, what), chosen) in TRANSFERS.iter().zip(self.chosen) {
            if chosen { moved.push(what) } else { kept.push(what) }
        }
        kept.push(NEVER_TRANSFERRED);
        let fate = match self.action {
            DeleteAction::Delete => "are lost with --action delete",
            DeleteAction::Disassociate => "leave the account with the users (--action disassociate)",
        };
        let not_moved = format!("{} are not transferred and {fate}", join_words(&kept));
        match (&self.transfer_email, moved.is_empty()) {
            (Some(target), false) => format!("Transferred to {target}: {}. {not_moved}.", moved.join(", ")),
            _ => format!("Nothing is transferred: {not_moved}."),
        }
    }

    async fn delete(&self, client: &Client, user: &str) -> Result<Outcome, Fatal> {
        let err = match client.delete_user(user, self.query.clone()).await {
            Ok(sent) => {
                return Ok(Outcome {
                    http_status: Some(sent.status),
                    attempts: sent.attempts,
                    ..Outcome::new(Status::Deleted)
                });
            }
            Err(err) => err,
        };
        let mut outcome = outcome_for_error(&err)?;
        if err.status() != Some(404) {
            return Ok(outcome);
        }
        let zoom = outcome.error_message.take().unwrap_or_default();
        let target_named = self
            .transfer_email
            .as_deref()
            .is_some_and(|t| zoom.to_lowercase().contains(&t.to_lowercase()));
        if !target_named && err.may_have_applied() {
            // An earlier attempt got no answer; the user is gone now: that attempt removed them.
            return Ok(Outcome {
                http_status: Some(404),
                attempts: err.attempts(),
                error_message: Some(format!(
                    "Removed by this run: Zoom's answer to an earlier attempt was lost, and the user is gone now \
                     (Zoom: {zoom})."
                )),
                ..Outcome::new(Status::Deleted)
            });
        }
        // Zoom answers 404/1001 for a missing transfer target too; that is no reason to skip.
        let target_missing = self
            .transfer_email
            .as_deref()
            .is_some_and(|t| zoom.to_lowercase().contains(&t.to_lowercase()));
        outcome.error_message = Some(if target_missing {
            format!(
                "The --transfer-email user is not in the account (Zoom: {zoom}); nothing was removed. Give a user of this account."
            )
        } else if self.missing_ok {
            outcome.status = Status::Skipped;
            format!("Zoom has no user {user} (Zoom: {zoom}); skipped (--missing-ok).")
        } else {
            let maybe_done = if err.may_have_applied() {
                " An earlier attempt got no answer and may have removed the user."
            } else {
                ""
            };
            format!(
                "Zoom has no user {user} (Zoom: {zoom}); check the row's user_id or email, or run with \
                 --missing-ok to count such rows as skipped.{maybe_done}"
            )
        });
        Ok(outcome)
    }
}

impl Job for UsersDelete {
    type Row = ();
    /// The --transfer-email user, shared by every row.
    type BatchKey = String;
    const KIND: &'static str = "users-delete";
    const KEY_NAME: &'static str = "user";

    fn columns() -> &'static [ColumnSpec] {
        COLUMNS
    }

    /// With --transfer-email every row shares one target, looked up once.
    fn batch_key(&self, _record: &StringRecord, _row: &()) -> Option<String> {
        self.transfer_email.clone()
    }

    /// A transfer user Zoom does not have dooms every row: said once, nothing sent.
    async fn plan_key(&self, client: &Client, target: &String) -> Result<KeyPlan, Fatal> {
        match client.get_user(target).await {
            Err(err) if err.status() == Some(404) => {
                let outcome = outcome_for_error(&err)?;
                Ok(KeyPlan::Doomed(Outcome {
                    error_message: Some(format!(
                        "The --transfer-email user {target} is not in the account (Zoom: {}). Not sent: \
                         nobody was removed; give a user of this account and re-run with --resume.",
                        outcome.error_message.as_deref().unwrap_or_default()
                    )),
                    ..outcome
                }))
            }
            Err(ApiError::Auth { message }) => Err(Fatal(message)),
            _ => Ok(KeyPlan::Send { per_request: 1 }),
        }
    }

    fn parse(&self, record: &StringRecord) -> Result<(), FieldError> {
        self.key.check(record)?;
        if let Some(target) = &self.transfer_email
            && self.key.of(record).eq_ignore_ascii_case(target)
        {
            return Err(FieldError::new(
                E_VALUE,
                format!(
                    "{} is the --transfer-email user, who cannot take over their own data; remove this row \
                     or choose another --transfer-email.",
                    self.key.column_name(record)
                ),
            ));
        }
        Ok(())
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &(), key: &mut DuplicateKey) -> bool {
        self.key.duplicate_key(record, key);
        true
    }

    fn request_counts(&self, _record: &StringRecord, _row: &()) -> [u32; 3] {
        [1, 0, 0]
    }

    fn describe(&self, record: &StringRecord, _row: &()) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let path = crate::zoom::users::user_path(self.key.of(record));
        format!("DELETE {path}?{}", query.join("&"))
    }

    fn key_column(&self) -> Option<usize> {
        self.key.column()
    }

    fn run_notes(&self) -> Vec<String> {
        vec![self.transfer_summary()]
    }

    /// Asks on the terminal, showing how many users would go for good.
    fn confirm(&self, valid: u64) -> Result<(), String> {
        if self.action != DeleteAction::Delete || self.yes || valid == 0 {
            return Ok(());
        }
        let users = if valid == 1 {
            "1 user".to_string()
        } else {
            format!("{valid} users")
        };
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            return Err(format!(
                "--action delete would permanently delete {users}, and there is no terminal to confirm on; \
                 nothing was sent. Add --yes to confirm, or use --action disassociate."
            ));
        }
        eprintln!("{}", self.transfer_summary());
        eprint!("Permanently delete {users}? This cannot be undone. Type yes to continue: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| format!("could not read the answer ({e}); nothing was sent."))?;
        if answer.trim().eq_ignore_ascii_case("yes") {
            Ok(())
        } else {
            Err("not confirmed; nothing was sent.".to_string())
        }
    }

    async fn run_row(&self, client: &Client, record: &StringRecord, _row: ()) -> Result<Outcome, Fatal> {
        self.delete(client, self.key.of(record)).await
    }
}

/// `a, b and c`.
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
