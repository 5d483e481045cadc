//! `zoombulk registrants import FILE.csv`: register each row for a meeting or
//! webinar.
//!
//! Rows that carry only email and names go through Zoom's batch endpoint, 30 to a
//! request, when the meeting takes it (scheduled meeting or webinar with
//! registration on; looked up once per meeting): 3,000 registrants in 100 requests
//! instead of 3,000. Every other row, and every row of a meeting that takes no
//! batches, is one request. Either way each row gets its own registrant id and
//! join URL, or its own error. Registering an email again returns the registrant
//! Zoom already has, so a re-run is safe.
//!
//! Long on purpose: one job, one file (its columns, checks, the single and batch
//! paths and the lookups that keep rows truthful after a partial batch).

use std::collections::HashMap;

use csv::StringRecord;
use serde_json::{Map, Value, json};

use super::{
    Context, DuplicateKey, EMAIL_ALIASES, FIRST_NAME_ALIASES, Fatal, Job, LAST_NAME_ALIASES, cell,
    outcome_for_error, run_command, validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::registrants::ImportArgs as Args;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::job::KeyPlan;
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::{self, E_MISSING, E_VALUE, FieldError, quoted};
use crate::zoom::registrants::{Event, EventKind, FoundRegistrant, MAX_BATCH_REGISTRANTS};
use crate::zoom::{ApiError, Client};

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, |input| RegistrantsImport::new(input, args)).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, |input| RegistrantsImport::new(input, args))
}

/// Headers of Zoom's own registration reports and common sign-up sheets included.
const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("email", EMAIL_ALIASES),
    ColumnSpec::required("first_name", FIRST_NAME_ALIASES),
    ColumnSpec::optional("last_name", LAST_NAME_ALIASES),
    ColumnSpec::optional("meeting_id", &["meeting number"]),
    ColumnSpec::optional("webinar_id", &["webinar number"]),
    ColumnSpec::optional("country", &["country/region", "country code"]),
    ColumnSpec::optional(
        "no_of_employees",
        &["number of employees", "no. of employees", "employees"],
    ),
    ColumnSpec::optional("purchasing_time_frame", &["purchase time frame"]),
    ColumnSpec::optional("role_in_purchase_process", &["role in purchase"]),
    ColumnSpec::optional("address", &["street address", "street"]),
    ColumnSpec::optional("city", &["town"]),
    ColumnSpec::optional("state", &["state/province", "province"]),
    ColumnSpec::optional("zip", &["zip code", "zip/postal code", "postal code", "postcode"]),
    ColumnSpec::optional("phone", &["phone number", "telephone"]),
    ColumnSpec::optional(
        "comments",
        &["questions & comments", "questions and comments", "comment"],
    ),
    ColumnSpec::optional("industry", &[]),
    ColumnSpec::optional("job_title", &["job title"]),
    ColumnSpec::optional("org", &["organization", "organisation", "company"]),
    ColumnSpec::optional("language", &["preferred language"]),
    ColumnSpec::prefix("custom:"),
];

/// Registrant fields sent as they are written.
const TEXT_FIELDS: &[&str] = &[
    "address",
    "city",
    "state",
    "zip",
    "phone",
    "comments",
    "industry",
    "job_title",
    "org",
];

/// The free-text field that may span lines (Zoom's "Questions & Comments" box).
const MULTILINE_FIELD: &str = "comments";

/// Zoom's limit on one custom question's answer.
const CUSTOM_ANSWER_MAX: usize = 128;

pub struct RegistrantsImport {
    email: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    meeting: Option<usize>,
    webinar: Option<usize>,
    country: Option<usize>,
    no_of_employees: Option<usize>,
    purchasing_time_frame: Option<usize>,
    role_in_purchase_process: Option<usize>,
    language: Option<usize>,
    /// Text columns the file has: (field name, record index).
    text: Vec<(&'static str, usize)>,
    /// `custom:` columns: (question title, record index).
    custom: Vec<(String, usize)>,
    /// `--meeting` / `--webinar`, for rows without their own.
    default_event: Option<Event>,
    occurrence_ids: Option<String>,
    batch: bool,
}

/// A checked row: where it goes, and the enumerations in Zoom's spelling.
pub struct RegistrantRow {
    event: Event,
    country: Option<&'static str>,
    no_of_employees: Option<&'static str>,
    purchasing_time_frame: Option<&'static str>,
    role_in_purchase_process: Option<&'static str>,
    language: Option<&'static str>,
    /// Only email and names: the batch endpoint can take it.
    names_only: bool,
}

impl RegistrantsImport {
    pub fn new(input: &InputFile, args: &Args) -> Result<RegistrantsImport, RunError> {
        let default_event = match (args.meeting, args.webinar) {
            (Some(id), _) => Some(Event {
                kind: EventKind::Meeting,
                id,
            }),
            (None, Some(id)) => Some(Event {
                kind: EventKind::Webinar,
                id,
            }),
            (None, None) => None,
        };
        let (meeting, webinar) = (input.column("meeting_id"), input.column("webinar_id"));
        if default_event.is_none() && meeting.is_none() && webinar.is_none() {
            // Neither the flags nor the file say where: the command line is incomplete.
            return Err(RunError::usage(format!(
                "{}: nothing says which meeting to register for. Give --meeting ID or --webinar ID, or add \
                 a meeting_id or webinar_id column.",
                input.name()
            )));
        }
        Ok(RegistrantsImport {
            email: input.column("email"),
            first_name: input.column("first_name"),
            last_name: input.column("last_name"),
            meeting,
            webinar,
            country: input.column("country"),
            no_of_employees: input.column("no_of_employees"),
            purchasing_time_frame: input.column("purchasing_time_frame"),
            role_in_purchase_process: input.column("role_in_purchase_process"),
            language: input.column("language"),
            text: TEXT_FIELDS
                .iter()
                .filter_map(|&f| input.column(f).map(|i| (f, i)))
                .collect(),
            custom: input.prefixed("custom:"),
            default_event,
            occurrence_ids: args.occurrence_ids.clone(),
            // Batches carry no occurrences: a run for chosen occurrences sends rows singly.
            batch: !args.no_batch && args.occurrence_ids.is_none(),
        })
    }

    /// The row's meeting or webinar: its own column, else `--meeting` / `--webinar`.
    fn event(&self, record: &StringRecord) -> Result<Event, FieldError> {
        match (cell(record, self.meeting), cell(record, self.webinar)) {
            ("", "") => self.default_event.ok_or_else(|| {
                FieldError::new(
                    E_MISSING,
                    "meeting_id is empty; give the row's meeting_id or webinar_id, or run with --meeting ID \
                     or --webinar ID.",
                )
            }),
            (m, "") => Ok(Event {
                kind: EventKind::Meeting,
                id: event_id("meeting_id", m)?,
            }),
            ("", w) => Ok(Event {
                kind: EventKind::Webinar,
                id: event_id("webinar_id", w)?,
            }),
            _ => Err(FieldError::new(
                E_VALUE,
                "meeting_id and webinar_id are both set; a row registers for one of them, so clear the other.",
            )),
        }
    }

    /// The single-registrant body of a checked row.
    fn registrant(&self, record: &StringRecord, row: &RegistrantRow) -> Value {
        let mut body = Map::new();
        body.insert("email".into(), Value::from(cell(record, self.email)));
        body.insert("first_name".into(), Value::from(cell(record, self.first_name)));
        let text = self.text.iter().map(|&(name, i)| (name, cell(record, Some(i))));
        let enums = [
            ("country", row.country),
            ("no_of_employees", row.no_of_employees),
            ("purchasing_time_frame", row.purchasing_time_frame),
            ("role_in_purchase_process", row.role_in_purchase_process),
            ("language", row.language),
        ];
        let picked = enums.into_iter().map(|(name, v)| (name, v.unwrap_or("")));
        for (name, value) in [("last_name", cell(record, self.last_name))]
            .into_iter()
            .chain(text)
            .chain(picked)
        {
            if !value.is_empty() {
                body.insert(name.into(), Value::from(value));
            }
        }
        let questions: Vec<Value> = self
            .custom
            .iter()
            .map(|(title, i)| (title, cell(record, Some(*i))))
            .filter(|(_, value)| !value.is_empty())
            .map(|(title, value)| json!({ "title": title, "value": value }))
            .collect();
        if !questions.is_empty() {
            body.insert("custom_questions".into(), Value::Array(questions));
        }
        Value::Object(body)
    }

    /// A batch entry: the three fields the batch endpoint takes.
    fn batch_entry(&self, record: &StringRecord) -> Value {
        let mut entry = json!({
            "email": cell(record, self.email),
            "first_name": cell(record, self.first_name),
        });
        let last = cell(record, self.last_name);
        if let (Some(map), false) = (entry.as_object_mut(), last.is_empty()) {
            map.insert("last_name".into(), Value::from(last));
        }
        entry
    }

    async fn register_one(
        &self,
        client: &Client,
        record: &StringRecord,
        row: &RegistrantRow,
    ) -> Result<Outcome, Fatal> {
        let body = self.registrant(record, row);
        match client
            .add_registrant(row.event, body, self.occurrence_ids.as_deref())
            .await
        {
            Ok(sent) => Ok(registered(
                sent.value.registrant_id,
                sent.value.join_url,
                sent.status,
                sent.attempts,
            )),
            Err(err) if err.may_have_applied() => {
                // An earlier attempt may have registered the row before its answer was lost.
                match client.find_registrant(row.event, cell(record, self.email)).await {
                    Ok(Some(r)) => Ok(found_registered(&r, &err, "request")),
                    _ => registration_failed(&err, row.event),
                }
            }
            Err(err) => registration_failed(&err, row.event),
        }
    }

    async fn register_batch(
        &self,
        client: &Client,
        rows: &[(&StringRecord, RegistrantRow)],
        event: Event,
    ) -> Result<Vec<Outcome>, Fatal> {
        let entries = rows.iter().map(|(record, _)| self.batch_entry(record)).collect();
        let err = match client.add_registrants_batch(event, entries).await {
            Ok(sent) => {
                let (status, attempts) = (sent.status, sent.attempts);
                let by_email: HashMap<String, _> = sent
                    .value
                    .into_iter()
                    .map(|r| (r.email.to_lowercase(), r))
                    .collect();
                let outcomes = rows.iter().map(|(record, _)| {
                    match by_email.get(&cell(record, self.email).to_lowercase()) {
                        Some(r) => registered(r.registrant_id.clone(), r.join_url.clone(), status, attempts),
                        None => Outcome {
                            http_status: Some(status),
                            attempts,
                            error_code: Some("E_BATCH".into()),
                            error_message: Some(
                                "Zoom's batch answer has no registrant for this email; re-run with --resume to \
                                 register the row on its own."
                                    .into(),
                            ),
                            ..Outcome::new(Status::Failed)
                        },
                    }
                });
                return Ok(outcomes.collect());
            }
            Err(err) => err,
        };
        // Zoom may have added some of the batch before it refused (3043 at the
        // cap) or before its answer was lost: ask who is registered before
        // writing any row.
        if err.code() == Some(3043) || err.may_have_applied() {
            let emails = rows.iter().map(|(record, _)| cell(record, self.email));
            if let Ok(found) = client.registrants_by_email(event, emails).await {
                let mut outcomes = Vec::with_capacity(rows.len());
                for (record, row) in rows {
                    let email = cell(record, self.email).to_lowercase();
                    let outcome = match found.get(&email) {
                        Some(r) => found_registered(r, &err, "batch request"),
                        None if about_the_event(&err) => registration_failed(&err, event)?,
                        None => {
                            let mut outcome = self.register_one(client, record, row).await?;
                            outcome.attempts += err.attempts();
                            outcome
                        }
                    };
                    outcomes.push(outcome);
                }
                return Ok(outcomes);
            }
        }
        if about_the_event(&err) {
            return rows.iter().map(|_| registration_failed(&err, event)).collect();
        }
        // Zoom refused something one row holds (400/300), would not batch this event
        // after all, or the Heavy daily quota is gone: each row on its own (Light), so
        // each gets its own answer.
        tracing::debug!(
            "{event}: batch of {} refused ({err}); registering them one by one",
            rows.len()
        );
        let mut outcomes = Vec::with_capacity(rows.len());
        for (record, row) in rows {
            let mut outcome = self.register_one(client, record, row).await?;
            outcome.attempts += err.attempts();
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
}

/// Errors every row of the event would meet again if sent on its own.
fn about_the_event(err: &ApiError) -> bool {
    matches!(err.code(), Some(3000 | 3001 | 3043))
        || matches!(
            err,
            ApiError::Transport { .. } | ApiError::Aborted { .. } | ApiError::Auth { .. }
        )
}

/// A row Zoom lists as registered although the request for it ended in `err`.
fn found_registered(r: &FoundRegistrant, err: &ApiError, what: &str) -> Outcome {
    Outcome {
        zoom_id: Some(r.registrant_id.clone()),
        http_status: err.status(),
        attempts: err.attempts(),
        error_message: Some(format!(
            "Registered: the {what} ended in \"{err}\", but Zoom lists this registrant ({}).",
            r.status
        )),
        ..Outcome::new(Status::Registered)
    }
    .with_extra(JOIN_URL, r.join_url.clone())
}

fn registered(id: String, join_url: Option<String>, status: u16, attempts: u32) -> Outcome {
    Outcome {
        zoom_id: Some(id),
        http_status: Some(status),
        attempts,
        ..Outcome::new(Status::Registered)
    }
    .with_extra(JOIN_URL, join_url)
}

/// The registrant's own result column: where they join.
const JOIN_URL: &str = "join_url";

/// The row's outcome for `err`, with what to do about the event-level codes.
fn registration_failed(err: &ApiError, event: Event) -> Result<Outcome, Fatal> {
    let mut outcome = outcome_for_error(err)?;
    let (column, flag) = match event.kind {
        EventKind::Meeting => ("meeting_id", "--meeting"),
        EventKind::Webinar => ("webinar_id", "--webinar"),
    };
    let advice = match err.code() {
        Some(3000) => format!(
            "Registration is not enabled for {event}: set its registration to required in Zoom, then re-run \
             with --resume."
        ),
        Some(3001) => format!(
            "Zoom has no {event} in this account: check the {column} column or {flag} (a meeting id goes in \
             meeting_id / --meeting, a webinar id in webinar_id / --webinar)."
        ),
        Some(3043) => format!("{event} already has the most registrants Zoom allows (4,999)."),
        _ => return Ok(outcome),
    };
    let zoom = outcome.error_message.take().unwrap_or_default();
    outcome.error_message = Some(format!("{advice} (Zoom: {zoom})"));
    Ok(outcome)
}

/// A meeting or webinar id as people copy it: digits, perhaps grouped with spaces
/// or dashes the way Zoom shows them (`812 3456 7890`).
fn event_id(column: &str, value: &str) -> Result<u64, FieldError> {
    let digits = value.chars().filter(|c| !matches!(c, ' ' | '-'));
    let parsed = if digits.clone().all(|c| c.is_ascii_digit()) {
        digits
            .collect::<String>()
            .parse::<u64>()
            .ok()
            .filter(|&id| id > 0)
    } else {
        None
    };
    parsed.ok_or_else(|| {
        FieldError::new(
            E_VALUE,
            format!(
                "{column} {} is not a Zoom {} id; use the id's digits, e.g. 812 3456 7890.",
                quoted(value),
                column.trim_end_matches("_id")
            ),
        )
    })
}

/// An optional cell checked by `check` when it has a value.
fn optional(
    value: &str,
    check: fn(&str) -> Result<&'static str, FieldError>,
) -> Result<Option<&'static str>, FieldError> {
    if value.is_empty() {
        Ok(None)
    } else {
        check(value).map(Some)
    }
}

impl Job for RegistrantsImport {
    type Row = RegistrantRow;
    type BatchKey = Event;
    const EXTRA_COLUMNS: &'static [&'static str] = &[JOIN_URL];
    const KIND: &'static str = "registrants";
    const KEY_NAME: &'static str = "email and meeting";

    fn columns() -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<RegistrantRow, FieldError> {
        validate::email(cell(record, self.email))?;
        let first = cell(record, self.first_name);
        if first.is_empty() {
            return Err(FieldError::new(
                E_MISSING,
                "first_name is empty; Zoom requires a first name for every registrant.",
            ));
        }
        validate::text("first_name", first)?;
        validate::name("first_name", first, 64)?;
        let last = cell(record, self.last_name);
        if !last.is_empty() {
            validate::text("last_name", last)?;
            validate::name("last_name", last, 64)?;
        }
        for &(name, i) in &self.text {
            let value = cell(record, Some(i));
            if name == MULTILINE_FIELD {
                validate::multiline_text(name, value)?;
            } else {
                validate::text(name, value)?;
            }
        }
        let event = self.event(record)?;
        let row = RegistrantRow {
            event,
            country: optional(cell(record, self.country), validate::country)?,
            no_of_employees: optional(cell(record, self.no_of_employees), validate::no_of_employees)?,
            purchasing_time_frame: optional(
                cell(record, self.purchasing_time_frame),
                validate::purchasing_time_frame,
            )?,
            role_in_purchase_process: optional(
                cell(record, self.role_in_purchase_process),
                validate::role_in_purchase_process,
            )?,
            language: optional(cell(record, self.language), validate::language)?,
            names_only: false,
        };
        let mut custom_empty = true;
        for (title, index) in &self.custom {
            let answer = cell(record, Some(*index));
            // The column is named only on failure: no allocation per valid row.
            validate::text("", answer).map_err(|e| FieldError {
                message: format!("custom:{title}{}", e.message),
                ..e
            })?;
            let chars = answer.chars().count();
            if chars > CUSTOM_ANSWER_MAX {
                return Err(FieldError::new(
                    E_VALUE,
                    format!(
                        "custom:{title} is {chars} characters long; Zoom keeps at most {CUSTOM_ANSWER_MAX} \
                         per answer, so shorten it."
                    ),
                ));
            }
            custom_empty &= answer.is_empty();
        }
        let names_only = custom_empty
            && row.country.is_none()
            && row.no_of_employees.is_none()
            && row.purchasing_time_frame.is_none()
            && row.role_in_purchase_process.is_none()
            && row.language.is_none()
            && self.text.iter().all(|&(_, i)| cell(record, Some(i)).is_empty());
        Ok(RegistrantRow { names_only, ..row })
    }

    fn duplicate_key(&self, record: &StringRecord, row: &RegistrantRow, key: &mut DuplicateKey) -> bool {
        key.folded(cell(record, self.email))
            .exact(row.event.kind.noun())
            .number(row.event.id);
        true
    }

    /// Every row has its event as key, so each event is looked up once.
    fn batch_key(&self, _record: &StringRecord, row: &RegistrantRow) -> Option<Event> {
        Some(row.event)
    }

    fn joins_batch(&self, row: &RegistrantRow) -> bool {
        self.batch && row.names_only
    }

    fn max_batch(&self) -> usize {
        if self.batch { MAX_BATCH_REGISTRANTS } else { 1 }
    }

    /// Looks the event up once: an event that does not exist or takes no
    /// registrations dooms its rows (said once, nothing sent); batches only where
    /// Zoom takes them, else one request per registrant.
    async fn plan_key(&self, client: &Client, event: &Event) -> Result<KeyPlan, Fatal> {
        let event = *event;
        let found = match client.get_event(event).await {
            Ok(found) => found.value,
            Err(ApiError::Auth { message }) => return Err(Fatal(message)),
            Err(err) if err.status() == Some(404) || err.is_code(400, 4711) => {
                let mut outcome = registration_failed(&err, event)?;
                outcome.error_message = Some(format!(
                    "{} Not sent: looking up {event} before registering showed every registration would fail.",
                    outcome.error_message.unwrap_or_default()
                ));
                return Ok(KeyPlan::Doomed(outcome));
            }
            Err(err) => {
                tracing::info!("{event}: one request per registrant (looking it up failed: {err})");
                return Ok(KeyPlan::Send { per_request: 1 });
            }
        };
        if !found.takes_registrations() {
            return Ok(KeyPlan::Doomed(Outcome {
                error_code: Some("3000".into()),
                error_message: Some(format!(
                    "Registration is not enabled for {event}, so Zoom refuses every registrant (400/3000). \
                     Not sent: turn registration on, then re-run with --resume."
                )),
                ..Outcome::new(Status::Failed)
            }));
        }
        match found.batch_refusal(event.kind) {
            None if self.batch => {
                tracing::info!(
                    "{event}: batch registration, up to {MAX_BATCH_REGISTRANTS} registrants a request"
                );
                Ok(KeyPlan::Send {
                    per_request: MAX_BATCH_REGISTRANTS,
                })
            }
            None => Ok(KeyPlan::Send { per_request: 1 }),
            Some(why) => {
                tracing::info!("{event}: one request per registrant ({why})");
                Ok(KeyPlan::Send { per_request: 1 })
            }
        }
    }

    fn request_counts(&self, _record: &StringRecord, row: &RegistrantRow) -> [u32; 3] {
        if self.joins_batch(row) {
            [0, 0, 1]
        } else {
            [1, 0, 0]
        }
    }

    fn describe(&self, record: &StringRecord, row: &RegistrantRow) -> String {
        let path = row.event.path();
        if self.batch && row.names_only {
            return format!(
                "POST {path}/batch_registrants {} (up to {MAX_BATCH_REGISTRANTS} rows a request, if Zoom takes \
                 batches for this {})",
                cell(record, self.email),
                row.event.kind.noun()
            );
        }
        format!("POST {path}/registrants {}", cell(record, self.email))
    }

    async fn run_row(
        &self,
        client: &Client,
        record: &StringRecord,
        row: RegistrantRow,
    ) -> Result<Outcome, Fatal> {
        self.register_one(client, record, &row).await
    }

    /// The engine hands over several rows only under a batch key whose limit
    /// allowed it: same event, names only.
    async fn run_batch(
        &self,
        client: &Client,
        rows: Vec<(&StringRecord, RegistrantRow)>,
    ) -> Result<Vec<Outcome>, Fatal> {
        match rows.first() {
            Some((_, first)) => {
                let event = first.event;
                self.register_batch(client, &rows, event).await
            }
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_zoom_shows_them() {
        assert_eq!(event_id("meeting_id", "812 3456 7890"), Ok(81234567890));
        assert_eq!(event_id("meeting_id", "812-3456-7890"), Ok(81234567890));
        let e = event_id("meeting_id", "Team sync").unwrap_err();
        assert!(
            e.message
                .starts_with("meeting_id \"Team sync\" is not a Zoom meeting id"),
            "{}",
            e.message
        );
        assert!(event_id("webinar_id", "0").is_err());
        assert!(event_id("webinar_id", "99999999999999999999999").is_err());
    }
}
