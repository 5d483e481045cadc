//! How a job names the columns it reads: a canonical name plus the aliases that
//! spreadsheets and Zoom's own portal exports use for it.

/// One column a job understands.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Canonical name (snake_case), as used in SPEC.md.
    pub name: &'static str,
    /// Other header texts accepted for it; matched like the name (case-insensitive,
    /// ignoring spaces, `_` and `-`).
    pub aliases: &'static [&'static str],
    pub required: bool,
    /// A prefix column family (e.g. `custom:` for registrant custom questions):
    /// every header starting with `name` belongs to the job, not to "unknown".
    pub prefix: bool,
}

impl ColumnSpec {
    pub const fn required(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
        ColumnSpec {
            name,
            aliases,
            required: true,
            prefix: false,
        }
    }
    pub const fn optional(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
        ColumnSpec {
            name,
            aliases,
            required: false,
            prefix: false,
        }
    }
    pub const fn prefix(name: &'static str) -> ColumnSpec {
        ColumnSpec {
            name,
            aliases: &[],
            required: false,
            prefix: true,
        }
    }
}

/// Header text folded for matching: lower-case, without spaces, `_` and `-`.
pub fn normalize_header(header: &str) -> String {
    header
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Columns that hold ids, emails, numbers, codes, dates or phone numbers: never
/// free text, so the CSV-injection guard never touches them in the results
/// (a `+1 555…` phone number or a `-AbC` id is written as it is).
pub const PLAIN_COLUMNS: &[&str] = &[
    "email",
    "user_id",
    "id",
    "type",
    "action",
    "status",
    "meeting_id",
    "webinar_id",
    "occurrence_ids",
    "pmi",
    "use_pmi",
    "host_key",
    "phone",
    "phone_number",
    "zip",
    "country",
    "language",
    "timezone",
    "manager",
    "new_email",
    "vanity_name",
    "no_of_employees",
    "purchasing_time_frame",
    "role_in_purchase_process",
];
