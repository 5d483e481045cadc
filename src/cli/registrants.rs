//! `zoombulk registrants …`: each command's own flags, shared with `validate`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{BulkWrite, Export};

#[derive(Debug, Subcommand)]
pub enum RegistrantsCommand {
    /// Register attendees for a meeting or webinar from a CSV (batches where Zoom allows).
    ///
    /// POST …/registrants (Light) per row, or POST …/batch_registrants (Heavy) for
    /// up to 30 rows that carry only names. Columns: email and first_name
    /// (required), last_name, address, city, state, zip, country (ISO 3166-1
    /// alpha-2), phone, comments, industry, job_title, org, no_of_employees,
    /// purchasing_time_frame, role_in_purchase_process, language, `custom:<question
    /// title>` for custom questions, and meeting_id / webinar_id to choose the
    /// meeting per row. Other columns are carried through to the results.
    Import(BulkWrite<ImportArgs>),
    /// Export the registrants of a meeting or webinar (GET …/registrants, Medium).
    ///
    /// Columns: id, email, first_name, last_name, status, create_time, join_url, the
    /// address and profile fields, and custom_questions as `title=value` joined by `;`.
    Export(Export<ExportArgs>),
}

/// `registrants import`'s own flags. Without --meeting or --webinar, the file's
/// meeting_id / webinar_id columns must say where each row goes.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The input CSV (UTF-8, `,` `;` or tab delimited; Zoom report headers
    /// accepted); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The meeting to register rows for (a row's meeting_id / webinar_id wins).
    #[arg(long, conflicts_with = "webinar", value_name = "ID", value_parser = parse_id_flag)]
    pub meeting: Option<u64>,
    /// The webinar to register rows for (a row's meeting_id / webinar_id wins).
    #[arg(long, value_name = "ID", value_parser = parse_id_flag)]
    pub webinar: Option<u64>,
    /// Occurrences of a recurring meeting or webinar to register for, as
    /// comma-separated occurrence ids (default: every occurrence).
    #[arg(long, value_name = "IDS", value_parser = parse_occurrence_ids)]
    pub occurrence_ids: Option<String>,
    /// One request per row: never use batch registration.
    #[arg(long)]
    pub no_batch: bool,
}

/// `registrants export`'s own flags.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("event").required(true).args(["meeting", "webinar"])))]
pub struct ExportArgs {
    /// The meeting whose registrants to export.
    #[arg(long, value_name = "ID", value_parser = parse_id_flag)]
    pub meeting: Option<u64>,
    /// The webinar whose registrants to export.
    #[arg(long, value_name = "ID", value_parser = parse_id_flag)]
    pub webinar: Option<u64>,
    /// Which registrants [default: approved, Zoom's].
    #[arg(long, value_enum, ignore_case = true, value_name = "STATUS")]
    pub status: Option<RegistrantStatus>,
}

/// `--status` of `registrants export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegistrantStatus {
    Approved,
    Pending,
    Denied,
}

impl RegistrantStatus {
    /// Zoom's query value.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrantStatus::Approved => "approved",
            RegistrantStatus::Pending => "pending",
            RegistrantStatus::Denied => "denied",
        }
    }
}

/// A meeting or webinar id as people copy it: digits, perhaps grouped with spaces
/// or dashes the way Zoom shows them (`812 3456 7890`).
fn parse_id_flag(value: &str) -> Result<u64, String> {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| digits.parse::<u64>().ok())
        .flatten()
        .filter(|&id| id > 0)
        .ok_or_else(|| "expected the id's digits, e.g. 81234567890".to_string())
}

fn parse_occurrence_ids(value: &str) -> Result<String, String> {
    let ids: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() || !ids.iter().all(|id| id.bytes().all(|b| b.is_ascii_digit())) {
        return Err(
            "expected occurrence ids (digits) separated by commas, e.g. 1648194360000,1648799160000".into(),
        );
    }
    Ok(ids.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_people_copy_them() {
        assert_eq!(parse_id_flag("812 3456 7890"), Ok(81234567890));
        assert_eq!(parse_id_flag("812-3456-7890"), Ok(81234567890));
        assert!(parse_id_flag("0").is_err());
        assert!(parse_id_flag("").is_err());
        assert!(parse_id_flag("12a").is_err());
        assert_eq!(parse_occurrence_ids(" 1, 2 ,").as_deref(), Ok("1,2"));
        assert!(parse_occurrence_ids("1,x").is_err());
        assert!(parse_occurrence_ids("soon").is_err());
        assert!(parse_occurrence_ids(",").is_err());
    }
}
