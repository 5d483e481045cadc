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
