//! Zoom's rate-limit categories and the per-plan quotas (FACTS: Rate limits).

use std::fmt;
use std::str::FromStr;

/// Every endpoint belongs to one of these; all calls of a category share its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Light,
    Medium,
    Heavy,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Light, Category::Medium, Category::Heavy];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Light => "light",
            Category::Medium => "medium",
            Category::Heavy => "heavy",
        }
    }

    /// Reads the `X-RateLimit-Category` header value (any case).
    pub fn from_header(value: &str) -> Option<Category> {
        match value.trim().to_ascii_lowercase().as_str() {
            "light" => Some(Category::Light),
            "medium" => Some(Category::Medium),
            "heavy" => Some(Category::Heavy),
            _ => None,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Business,
}

/// Requests per second per category, the account's daily `action=create` cap and
/// its daily Heavy pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateTable {
    pub light: u32,
    pub medium: u32,
    pub heavy: u32,
    pub daily_user_invites: u32,
    /// The account's daily Heavy pool (Pro and up: shared with Resource-intensive).
    pub daily_heavy: u32,
}

impl RateTable {
    pub fn for_plan(plan: Plan) -> RateTable {
        match plan {
            Plan::Free => RateTable {
                light: 4,
                medium: 2,
                heavy: 1,
                daily_user_invites: 50,
                daily_heavy: 1_000,
            },
            Plan::Pro => RateTable {
                light: 30,
                medium: 20,
                heavy: 10,
                daily_user_invites: 1_500,
                daily_heavy: 30_000,
            },
            Plan::Business => RateTable {
                light: 80,
                medium: 60,
                heavy: 40,
                daily_user_invites: 10_000,
                daily_heavy: 60_000,
            },
        }
    }

    pub fn get(&self, category: Category) -> u32 {
        match category {
            Category::Light => self.light,
            Category::Medium => self.medium,
            Category::Heavy => self.heavy,
        }
    }

    pub fn set(&mut self, category: Category, qps: u32) {
        match category {
            Category::Light => self.light = qps,
            Category::Medium => self.medium = qps,
            Category::Heavy => self.heavy = qps,
        }
    }
}

/// `--qps light=N,medium=N,heavy=N`: overrides on top of the plan's table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QpsOverride(pub Vec<(Category, u32)>);

impl QpsOverride {
    pub fn apply(&self, table: &mut RateTable) {
        for &(category, qps) in &self.0 {
            table.set(category, qps);
        }
    }
}

impl FromStr for QpsOverride {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected CATEGORY=N, e.g. light=30"))?;
            let category = Category::from_header(name)
                .ok_or_else(|| format!("`{name}` is not a rate-limit category (light, medium, heavy)"))?;
            let qps: u32 =
                value.trim().parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    format!("`{value}`: requests per second must be a whole number above 0")
                })?;
            out.push((category, qps));
        }
        if out.is_empty() {
            return Err("expected light=N,medium=N,heavy=N".into());
        }
        Ok(QpsOverride(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qps_override_parses_and_applies() {
        let o: QpsOverride = "light=5, heavy=2".parse().unwrap();
        let mut t = RateTable::for_plan(Plan::Pro);
        o.apply(&mut t);
        assert_eq!((t.light, t.medium, t.heavy), (5, 20, 2));
        assert!("light=0".parse::<QpsOverride>().is_err());
        assert!("fast=3".parse::<QpsOverride>().is_err());
        assert!("light".parse::<QpsOverride>().is_err());
    }
}
