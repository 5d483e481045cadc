//! `zoombulk groups …`: each command's own flags.

use clap::{Args, Subcommand};

use super::Export;

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Export the account's groups and their members: GET /groups, then
    /// GET /groups/{groupId}/members for each group, all pages (Medium).
    ///
    /// One row per group member: group_id, group_name, total_members, member_id,
    /// email, first_name, last_name, type. A group with no members is one row with
    /// empty member cells.
    Export(Export<ExportArgs>),
}

/// `groups export`'s own flags (none yet).
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {}
