//! The account as sync sees it: every user in every status, compact, with the
//! compared fields only; and the scope leavers are pruned within.

use super::*;

/// A user's status in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UserStatus {
    Active,
    Inactive,
    Pending,
}

impl UserStatus {
    const ALL: [UserStatus; 3] = [UserStatus::Active, UserStatus::Inactive, UserStatus::Pending];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Pending => "pending",
        }
    }
}

/// One account user, holding only what the plan compares.
pub(super) struct Known {
    pub(super) email: Box<str>,
    /// Empty for pending users (the listing has no id for them).
    pub(super) id: Box<str>,
    pub(super) status: UserStatus,
    /// The owner or an admin: never pruned.
    pub(super) protected: bool,
    /// The listing's values of [`Account::fields`], trimmed.
    pub(super) values: Box<[Box<str>]>,
    /// Indexes into [`Account::groups`].
    pub(super) groups: Box<[u32]>,
    /// Named by a roster row (valid or not).
    pub(super) seen: AtomicBool,
}

/// The account as the plan sees it: users in listing order, by lower-cased e-mail.
pub(super) struct Account {
    /// The listing fields kept per user (no group, no detail field).
    pub(super) fields: Vec<Field>,
    pub(super) users: Vec<Known>,
    pub(super) by_email: HashMap<Box<str>, u32>,
    pub(super) groups: Vec<crate::zoom::groups::Group>,
    pub(super) directory: Directory,
    /// Listing pages fetched, for the summary's cost line.
    pub(super) pages: u64,
}

impl Account {
    /// Every user in every status (`GET /users`, Medium) and the groups (`GET
    /// /groups`), keeping the listing's values of the compared `fields`.
    pub(super) async fn list(client: &Client, fields: &[(Field, usize)]) -> Result<Account, RunError> {
        let fields: Vec<Field> = fields
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !f.detail && f.kind != Kind::Group)
            .collect();
        let groups = client
            .list_groups()
            .await
            .map_err(|e| RunError::new(format!("listing the account's groups failed: {e}")))?;
        let group_index: HashMap<&str, u32> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let mut users = Vec::new();
        let mut by_email = HashMap::new();
        let mut pages = 0u64;
        for status in UserStatus::ALL {
            let mut listed = 0u64;
            let call = Call::get("/users", Category::Medium)
                .query("page_size", USERS_PAGE_SIZE.to_string())
                .query("status", status.as_str());
            let mut stream = std::pin::pin!(client.paginate(call, "users"));
            while let Some(user) = stream.try_next().await.map_err(|e| {
                RunError::new(format!(
                    "listing the account's {} users failed: {e}",
                    status.as_str()
                ))
            })? {
                listed += 1;
                let email = text(user.get("email"));
                if email.is_empty() {
                    continue;
                }
                let key: Box<str> = email.to_lowercase().into();
                if by_email.contains_key(&key) {
                    continue;
                }
                let role = text(user.get("role_id"));
                let known = Known {
                    id: text(user.get("id")).into(),
                    status,
                    protected: role == "0" || role == "1",
                    values: fields.iter().map(|f| listing_value(&user, *f).into()).collect(),
                    groups: match user.get("group_ids") {
                        Some(Value::Array(ids)) => ids
                            .iter()
                            .filter_map(|id| id.as_str().and_then(|id| group_index.get(id).copied()))
                            .collect(),
                        _ => Box::default(),
                    },
                    email: email.into(),
                    seen: AtomicBool::new(false),
                };
                by_email.insert(key, u32::try_from(users.len()).unwrap_or(u32::MAX));
                users.push(known);
            }
            pages += listed.div_ceil(u64::from(USERS_PAGE_SIZE)).max(1);
        }
        drop(group_index);
        Ok(Account {
            fields,
            users,
            by_email,
            directory: Directory::new(groups.clone()),
            groups,
            pages,
        })
    }

    pub(super) fn find(&self, email: &str) -> Option<&Known> {
        let i = self.by_email.get(email.trim().to_lowercase().as_str())?;
        self.users.get(*i as usize)
    }

    /// The user's value of a listing field, or `None` when it is not kept.
    pub(super) fn value<'a>(&self, user: &'a Known, f: Field) -> Option<&'a str> {
        let i = self.fields.iter().position(|k| k.name == f.name)?;
        user.values.get(i).map(|v| &**v)
    }

    /// The user's group names, sorted case-insensitively.
    pub(super) fn group_names(&self, user: &Known) -> Vec<&str> {
        let mut names: Vec<&str> = user
            .groups
            .iter()
            .filter_map(|&i| self.groups.get(i as usize).map(|g| g.name.as_str()))
            .collect();
        sort_names(&mut names);
        names
    }

    /// Whether a leaver may be pruned: inside every scope given, never the owner or
    /// an admin (so they are not counted for --max-changes either).
    /// Users that `--prune` may touch: the base of the default `--max-changes`.
    pub(super) fn in_scope_count(&self, scope: &Scope) -> u64 {
        self.users.iter().filter(|u| self.in_scope(u, scope)).count() as u64
    }

    pub(super) fn in_scope(&self, user: &Known, scope: &Scope) -> bool {
        if user.protected {
            return false;
        }
        let domain_ok = scope.domains.is_empty()
            || user
                .email
                .rsplit_once('@')
                .is_some_and(|(_, d)| scope.domains.iter().any(|s| s.eq_ignore_ascii_case(d)));
        let group_ok =
            scope.groups.is_empty() || user.groups.iter().any(|g| scope.groups.contains(&(*g as usize)));
        domain_ok && group_ok
    }
}

/// Where pruning may act: e-mail domains and group indexes.
#[derive(Default)]
pub(super) struct Scope {
    pub(super) domains: Vec<String>,
    pub(super) groups: Vec<usize>,
}

impl Scope {
    pub(super) fn resolve(args: &Args, account: &Account) -> Result<Scope, RunError> {
        let mut groups = Vec::new();
        for name in &args.scope_groups {
            let found = account
                .groups
                .iter()
                .position(|g| g.name.eq_ignore_ascii_case(name.trim()) || g.id == name.trim());
            match found {
                Some(i) => groups.push(i),
                None => {
                    let closest = account.directory.closest(name);
                    return Err(RunError::usage(format!(
                        "--scope-group {}: the account has no such group{}",
                        quoted(name),
                        if closest.is_empty() {
                            String::new()
                        } else {
                            format!("; closest: {}", closest.join(", "))
                        }
                    )));
                }
            }
        }
        let domains: Vec<String> = args
            .scope_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_string())
            .collect();
        for domain in &domains {
            let matched = account.users.iter().any(|u| {
                u.email
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))
            });
            if !matched {
                // A typo here means leavers are never pruned.
                eprintln!(
                    "zoombulk: warning: --scope-domain {} matched no user of the account; check the spelling",
                    quoted(domain)
                );
            }
        }
        Ok(Scope { domains, groups })
    }
}
