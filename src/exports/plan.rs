//! `--dry-run` for exports: the calls an export would make and how long they
//! would take at the plan's limits, and (recordings with `--download`) the
//! files and bytes known from the listing. Counting needs a look at the data,
//! so a plan may read (GET only, never write) and says what it read.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::Value;

use super::ExportError;
use crate::output::Target;
use crate::zoom::{Call, Category, Client};

/// What an export would do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Requests the export would send: (how many, what, category).
    pub calls: Vec<(u64, String, Category)>,
    /// Other facts (what was read to count, files and bytes to download).
    pub notes: Vec<String>,
}

impl Plan {
    /// The lines `--dry-run` prints.
    pub fn render(&self, kind: &str, target: &Target, client: &Client) -> String {
        let mut s = format!(
            "dry run of {kind}: nothing is written (the export would go to {})\n",
            target.shown()
        );
        for (n, what, category) in &self.calls {
            let _ = writeln!(
                s,
                "  would send {n} x {what} ({category}, {}/s)",
                client.rates().get(*category)
            );
        }
        for note in &self.notes {
            let _ = writeln!(s, "  {note}");
        }
        let _ = writeln!(
            s,
            "  estimated time at the plan's limits: at least {} s (pages are read one after another)",
            self.estimate(client).as_secs_f64().ceil()
        );
        s
    }

    /// Time to send the calls at the client's rates, one after another.
    pub fn estimate(&self, client: &Client) -> Duration {
        self.calls
            .iter()
            .map(|(n, _, c)| Duration::from_secs_f64(*n as f64 / f64::from(client.rates().get(*c).max(1))))
            .sum()
    }
}

/// Pages of `page_size` needed for `total` items (an empty listing still takes one).
pub fn pages(total: u64, page_size: u64) -> u64 {
    total.div_ceil(page_size.max(1)).max(1)
}

/// The `total_records` of a listing, read with one request of a single item.
pub async fn total_records(client: &Client, call: &Call) -> Result<u64, ExportError> {
    let mut probe = call.clone();
    probe.query.retain(|(k, _)| *k != "page_size");
    let probe = probe.query("page_size", "1");
    let page: Value = client.send(&probe).await?.json()?;
    Ok(page.get("total_records").and_then(Value::as_u64).unwrap_or(0))
}

/// How a listing's call is shown: `GET /users?status=active&page_size=2000`.
pub fn describe(call: &Call) -> String {
    let query: Vec<String> = call.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if query.is_empty() {
        format!("{} {}", call.method, call.path)
    } else {
        format!("{} {}?{}", call.method, call.path, query.join("&"))
    }
}

/// The plan of a paged listing (`page_size` items a page): one probe request
/// counts the items.
pub async fn listing(client: &Client, call: &Call, page_size: u64, items: &str) -> Result<Plan, ExportError> {
    let total = total_records(client, call).await?;
    Ok(Plan {
        calls: vec![(pages(total, page_size), describe(call), call.category)],
        notes: vec![format!(
            "{total} {items} to export (counted with one request for a single item)"
        )],
    })
}

/// Files and bytes a recordings listing announces, for `--download`.
pub fn recording_files(meetings: &[Value]) -> String {
    let (mut files, mut bytes, mut unsized_files) = (0u64, 0u64, 0u64);
    let mut seen = HashSet::new();
    for m in meetings {
        let key = (
            m.get("uuid").map(Value::to_string),
            m.get("id").map(Value::to_string),
        );
        if !seen.insert(key) {
            continue;
        }
        for f in m
            .get("recording_files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if f.get("download_url")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                continue;
            }
            files += 1;
            match f.get("file_size").and_then(Value::as_u64) {
                Some(n) => bytes = bytes.saturating_add(n),
                None => unsized_files += 1,
            }
        }
    }
    let mut s = format!("--download would fetch up to {files} files, {bytes} bytes known from the listing");
    if unsized_files > 0 {
        let _ = write!(s, " ({unsized_files} files without a size)");
    }
    s.push_str("; files already complete on disk are skipped");
    s
}

/// Requests sent so far, per category: what a plan that read a listing spent.
pub fn sent(client: &Client) -> Vec<(u64, Category)> {
    Category::ALL
        .into_iter()
        .map(|c| (client.limiter(c).sent(), c))
        .filter(|(n, _)| *n > 0)
        .collect()
}

/// Recordings: the listing is read for real (GET only) to count what it holds;
/// nothing is downloaded.
pub async fn recordings(
    client: &Client,
    args: &crate::cli::recordings::ExportArgs,
    windows: &[(chrono::NaiveDate, chrono::NaiveDate)],
) -> Result<Plan, ExportError> {
    let before = sent(client);
    let hosts = super::recordings::hosts(client, args.user.as_deref()).await?;
    let meetings: Vec<Value> =
        super::recordings::meetings(client, args.user.as_deref(), args.by_user, &hosts, windows)
            .try_collect()
            .await?;
    let mut plan = Plan::default();
    for (n, c) in sent(client) {
        let earlier = before.iter().find(|(_, b)| *b == c).map_or(0, |(m, _)| *m);
        let n = n.saturating_sub(earlier);
        if n > 0 {
            plan.calls
                .push((n, "listing requests (users, then recordings)".into(), c));
        }
    }
    plan.notes.push(format!(
        "{} month windows; {} recording meetings found (the listing was read to count them)",
        windows.len(),
        meetings.len()
    ));
    if args.download.is_some() {
        plan.notes.push(recording_files(&meetings));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up_and_never_zero() {
        assert_eq!(pages(0, 2000), 1);
        assert_eq!(pages(2000, 2000), 1);
        assert_eq!(pages(2001, 2000), 2);
        assert_eq!(pages(5, 0), 5);
    }

    #[test]
    fn files_and_bytes_from_a_listing() {
        let m = serde_json::json!({"uuid": "u", "id": 1, "recording_files": [
            {"download_url": "https://x/1", "file_size": 10},
            {"download_url": "https://x/2"},
            {"file_size": 99}
        ]});
        let line = recording_files(&[m.clone(), m]);
        assert!(line.contains("up to 2 files, 10 bytes"), "{line}");
        assert!(line.contains("1 files without a size"), "{line}");
    }
}
