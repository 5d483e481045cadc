//! Carrying a plan out: [`SyncApply`] is a [`Job`] over the plan's rows, and
//! `--apply-plan` checks a reviewed plan against the account first.

use super::*;

/// `--apply --resume`, `--apply` after planning, `--apply-plan`: the plan through
/// the engine. `groups`: the account's groups when they were just listed (the
/// run lists them itself otherwise).
pub(super) async fn run_plan(
    args: &Args,
    plan: &Path,
    results: PathBuf,
    ctx: &Context,
    client: Client,
    groups: Option<Directory>,
) -> Result<Exit, RunError> {
    let input = open_input::<SyncApply>(plan)?;
    let mut job = SyncApply::new(&input, args).map_err(RunError::new)?;
    if let Some(groups) = groups {
        job.directory = OnceCell::new_with(Some(Ok(groups)));
    }
    let mut opts = ctx.run.clone();
    opts.out = Some(results);
    let end = run_job(job, input, &opts, async || Ok::<_, RunError>(client)).await?;
    Ok(end.into())
}

/// `--apply-plan PLAN.csv`: the account is listed again, and the plan is carried
/// out only if every row's `before` still holds.
pub(super) async fn apply_plan(args: &Args, plan: &Path, ctx: &Context) -> Result<Exit, RunError> {
    let results = results_path(plan, ctx.run.out.as_deref(), ctx.run.format);
    let input = open_input::<SyncApply>(plan)?;
    let job = SyncApply::new(&input, args).map_err(RunError::new)?;
    let client = connect(ctx).await?;
    if ctx.run.resume && crate::pipeline::resume::RunFiles::new(&results).any_exist() {
        // The plan was checked when it was first applied; its done rows no longer hold their `before`.
        return run_plan(args, plan, results, ctx, client, None).await;
    }
    let account = Account::list(&client, &job.fields).await?;
    let scope = Scope::resolve(args, &account)?;
    let checked = check_plan(&client, &input, &job, &account).await?;
    let changes = checked.changes;
    checked.refuse(plan)?;
    Limit::new(args.max_changes, account.in_scope_count(&scope)).check(changes)?;
    run_plan(args, plan, results, ctx, client, Some(account.directory)).await
}

/// A plan checked against itself and the account now.
#[derive(Default)]
pub(super) struct Checked {
    /// Rows whose `before` no longer holds.
    pub(super) changed: Vec<String>,
    /// Rows edited into something sync never does (action against status, the owner or an admin).
    pub(super) edited: Vec<String>,
    pub(super) changes: u64,
}

impl Checked {
    /// Refuses the whole plan (exit 1, nothing sent) when a row is refused.
    pub(super) fn refuse(&self, plan: &Path) -> Result<(), RunError> {
        let all: Vec<&String> = self.edited.iter().chain(&self.changed).collect();
        if all.is_empty() {
            return Ok(());
        }
        for p in all.iter().take(SHOWN_PROBLEMS) {
            eprintln!("{}: {p}", plan.display());
        }
        if all.len() > SHOWN_PROBLEMS {
            eprintln!(
                "{}: … and {} more rows",
                plan.display(),
                all.len() - SHOWN_PROBLEMS
            );
        }
        let mut why = Vec::new();
        if !self.edited.is_empty() {
            why.push(format!(
                "the plan was edited inconsistently ({}, above): fix or remove {}",
                rows(self.edited.len() as u64),
                if self.edited.len() == 1 {
                    "that row"
                } else {
                    "those rows"
                }
            ));
        }
        if !self.changed.is_empty() {
            why.push(format!(
                "the account changed since the plan was made ({} no longer {}, above): plan again and review the \
                 new plan",
                rows(self.changed.len() as u64),
                if self.changed.len() == 1 { "holds" } else { "hold" }
            ));
        }
        Err(RunError::new(format!(
            "{}: {}; nothing was sent.",
            plan.display(),
            why.join("; and ")
        )))
    }
}

/// `1 row`, `2 rows`.
pub(super) fn rows(n: u64) -> String {
    plural(n, "row")
}

/// Every plan row against itself and the account now.
pub(super) async fn check_plan(
    client: &Client,
    input: &InputFile,
    job: &SyncApply,
    account: &Account,
) -> Result<Checked, RunError> {
    let mut checked = Checked::default();
    let mut to_check = Vec::new();
    let mut records = input.records().map_err(|e| RunError::new(e.to_string()))?;
    let mut record = StringRecord::new();
    while let Some(pos) = records
        .read(&mut record)
        .map_err(|e| RunError::new(e.to_string()))?
    {
        let Some(action) = PlanAction::parse(cell(&record, job.action)) else {
            continue;
        };
        checked.changes += u64::from(action.is_change());
        let email = cell(&record, job.email);
        let removes = matches!(
            action,
            PlanAction::Deactivate | PlanAction::Disassociate | PlanAction::Delete
        );
        if removes && account.find(email).is_some_and(|u| u.protected) {
            checked.edited.push(format!(
                "row {} ({email}): the plan asks to {} the owner or an admin, which sync never does; remove that row",
                pos.row,
                action.as_str()
            ));
            continue;
        }
        if let Some(why) = status_disagrees(action, cell(&record, job.status)) {
            checked.edited.push(format!("row {} ({email}): {why}", pos.row));
            continue;
        }
        to_check.push((pos.row, record.clone(), action));
    }
    // A row may need a `GET /users/{id}`: several at a time, as planning does.
    let mut reasons = futures::stream::iter(&to_check)
        .map(|(_, record, action)| check_row(client, record, *action, job, account))
        .buffered(DETAIL_CONCURRENCY);
    for (row, record, _) in &to_check {
        let Some(why) = reasons.next().await else { break };
        let why = why?;
        if !why.is_empty() {
            let email = cell(record, job.email);
            checked
                .changed
                .push(format!("row {row} ({email}): {}", why.join("; ")));
        }
    }
    Ok(checked)
}

/// Why a plan row's `before` no longer holds (empty: it holds).
pub(super) async fn check_row(
    client: &Client,
    record: &StringRecord,
    action: PlanAction,
    job: &SyncApply,
    account: &Account,
) -> Result<Vec<String>, RunError> {
    let email = cell(record, job.email);
    let mut reasons: Vec<String> = Vec::new();
    let user = match (action, account.find(email)) {
        (PlanAction::Create, Some(_)) => return Ok(vec!["is in the account now".into()]),
        (PlanAction::Create, None) => return Ok(reasons),
        (_, None) => return Ok(vec!["is no longer in the account".into()]),
        (_, Some(u)) => u,
    };
    let id = cell(record, job.user_id);
    if !id.is_empty() && id != &*user.id {
        reasons.push(format!("has another user id now ({})", user.id));
    }
    match split_change(cell(record, job.status)) {
        Some((before, _)) if before != user.status.as_str() => {
            reasons.push(format!("status is {} now, not {before}", user.status.as_str()));
        }
        None if user.status == UserStatus::Inactive && action.is_change() => {
            reasons.push("is inactive now".into());
        }
        _ => {}
    }
    let mut detail: Option<Value> = None;
    for &(f, column) in &job.fields {
        let Some((before, _)) = split_change(cell(record, Some(column))) else {
            continue;
        };
        let now = match f.kind {
            Kind::Group => {
                let names = account.group_names(user);
                if same_groups(&names, &cell_groups(before)) {
                    continue;
                }
                names.join(";")
            }
            _ if f.detail => {
                if detail.is_none() {
                    let key = if user.id.is_empty() {
                        &*user.email
                    } else {
                        &*user.id
                    };
                    let found = client
                        .get_user_fields(key)
                        .await
                        .map_err(|e| RunError::new(format!("reading {email} failed: {e}")))?;
                    detail = Some(found.value);
                }
                detail.as_ref().map(|d| listing_value(d, f)).unwrap_or_default()
            }
            _ => account.value(user, f).unwrap_or("").to_string(),
        };
        if now != before {
            reasons.push(format!(
                "{} is {} now, not {}",
                f.name,
                quoted(&now),
                quoted(before)
            ));
        }
    }
    Ok(reasons)
}

/// The plan's columns, as [`SyncApply`] reads them.
pub(super) const APPLY_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("email", &[]),
    ColumnSpec::required("action", &[]),
    ColumnSpec::optional("user_id", &[]),
    ColumnSpec::optional("first_name", &[]),
    ColumnSpec::optional("last_name", &[]),
    ColumnSpec::optional("display_name", &[]),
    ColumnSpec::optional("type", &[]),
    ColumnSpec::optional("dept", &[]),
    ColumnSpec::optional("timezone", &[]),
    ColumnSpec::optional("language", &[]),
    ColumnSpec::optional("manager", &[]),
    ColumnSpec::optional("job_title", &[]),
    ColumnSpec::optional("company", &[]),
    ColumnSpec::optional("location", &[]),
    ColumnSpec::optional("cost_center", &[]),
    ColumnSpec::optional("pronouns", &[]),
    ColumnSpec::optional("group", &[]),
    ColumnSpec::optional("status", &[]),
];

/// Carries out a plan, one plan row at a time.
pub struct SyncApply {
    pub(super) email: Option<usize>,
    pub(super) action: Option<usize>,
    pub(super) user_id: Option<usize>,
    pub(super) status: Option<usize>,
    pub(super) fields: Vec<(Field, usize)>,
    pub(super) create_action: CreateAction,
    pub(super) default_type: UserType,
    pub(super) directory: OnceCell<Result<Directory, String>>,
}

/// A checked plan row.
pub struct ApplyRow {
    pub(super) action: PlanAction,
    pub(super) profile: bool,
    pub(super) joins: u32,
    pub(super) leaves: u32,
}

impl SyncApply {
    pub(super) fn new(input: &InputFile, args: &Args) -> Result<SyncApply, String> {
        Ok(SyncApply {
            email: input.column("email"),
            action: input.column("action"),
            user_id: input.column("user_id"),
            status: input.column("status"),
            fields: FIELDS
                .iter()
                .filter_map(|f| input.column(f.name).map(|i| (*f, i)))
                .collect(),
            create_action: CreateAction::from(args.create.action),
            default_type: UserType::from(args.create.user_type),
            directory: OnceCell::new(),
        })
    }

    /// The row's `after` values of the profile fields, as the PATCH body.
    pub(super) fn profile_body(&self, record: &StringRecord, for_create: bool) -> Map<String, Value> {
        let mut body = Map::new();
        for &(f, i) in &self.fields {
            if f.kind == Kind::Group {
                continue;
            }
            // A create sends the names and type with POST /users.
            if for_create && (matches!(f.kind, Kind::Name(_)) || f.kind == Kind::Type) {
                continue;
            }
            let Some((_, after)) = split_change(cell(record, Some(i))) else {
                continue;
            };
            let value = match f.kind {
                // `Licensed` as well as `2` (a hand-edited plan): Zoom takes the code.
                Kind::Type => validate::user_type(after)
                    .map(|t| Value::from(t as u8))
                    .unwrap_or_else(|_| Value::from(after)),
                _ => Value::from(after),
            };
            body.insert(f.name.to_string(), value);
        }
        body
    }

    /// The groups to join and leave: the `after` set against the `before` set.
    pub(super) fn group_change<'r>(&self, record: &'r StringRecord) -> (Vec<&'r str>, Vec<&'r str>) {
        let Some(&(_, i)) = self.fields.iter().find(|(f, _)| f.kind == Kind::Group) else {
            return (Vec::new(), Vec::new());
        };
        let Some((before, after)) = split_change(cell(record, Some(i))) else {
            return (Vec::new(), Vec::new());
        };
        let (before, after) = (cell_groups(before), cell_groups(after));
        let missing = |from: &[&'r str], of: &[&str]| -> Vec<&'r str> {
            from.iter()
                .filter(|g| !of.iter().any(|o| o.eq_ignore_ascii_case(g)))
                .copied()
                .collect()
        };
        (missing(&after, &before), missing(&before, &after))
    }

    pub(super) async fn directory(&self, client: &Client) -> &Result<Directory, String> {
        self.directory.get_or_init(|| Directory::list(client)).await
    }

    /// Joins and leaves the row's groups; a pending user joins by PATCH `group_id`.
    pub(super) async fn groups(
        &self,
        client: &Client,
        record: &StringRecord,
        user: &str,
        pending: bool,
        steps: &mut Steps,
    ) -> Result<(), Fatal> {
        let (join, leave) = self.group_change(record);
        if join.is_empty() && leave.is_empty() {
            return Ok(());
        }
        let dir = match self.directory(client).await {
            Ok(dir) => dir,
            Err(e) => {
                steps.failed_locally("groups", "E_GROUPS", e.clone());
                return Ok(());
            }
        };
        for name in join {
            let Some(g) = dir.find(name) else {
                steps.failed_locally(
                    &format!("group {name}"),
                    E_VALUE,
                    format!("group {} no longer exists", quoted(name)),
                );
                continue;
            };
            let what = format!("group {}", g.name);
            if pending {
                steps
                    .step(&what, "joined", join_pending(client, &g.id, user))
                    .await?;
            } else {
                steps
                    .step(&what, "joined", join_group(client, &g.id, user))
                    .await?;
            }
        }
        for name in leave {
            let Some(g) = dir.find(name) else {
                continue;
            };
            steps
                .step_with(
                    &format!("group {}", g.name),
                    left,
                    leave_group(client, &g.id, user),
                )
                .await?;
        }
        Ok(())
    }

    pub(super) async fn create(&self, client: &Client, record: &StringRecord) -> Result<Outcome, Fatal> {
        let email = cell(record, self.email).trim();
        let mut info = Map::new();
        info.insert("email".into(), Value::from(email));
        let mut user_type = self.default_type as u8;
        for &(f, i) in &self.fields {
            let Some((_, after)) = split_change(cell(record, Some(i))) else {
                continue;
            };
            match f.kind {
                Kind::Name(_) if !after.is_empty() => {
                    info.insert(f.name.into(), Value::from(after));
                }
                // Checked in `parse`: `Licensed` as well as `2`.
                Kind::Type => user_type = validate::user_type(after).map_or(user_type, |t| t as u8),
                _ => {}
            }
        }
        info.insert("type".into(), Value::from(user_type));
        let mut outcome = create(client, self.create_action, email, Value::Object(info)).await?;
        let profile = self.profile_body(record, true);
        let (join, _) = self.group_change(record);
        let has_more = !profile.is_empty() || !join.is_empty();
        if !has_more || !matches!(outcome.status, Status::Created | Status::Exists) {
            return Ok(outcome);
        }
        let Some(id) = outcome.zoom_id.clone() else {
            // Keep what the create said (why the id is unknown).
            let said = outcome.error_message.take();
            outcome.error_code = Some(E_PARTIAL.into());
            outcome.error_message = Some(format!(
                "{}; profile and groups not tried: the user's id is unknown{}",
                outcome.status.as_str(),
                said.map(|m| format!(". {m}")).unwrap_or_default()
            ));
            return Ok(outcome);
        };
        let mut steps = Steps::default();
        if !profile.is_empty() {
            steps
                .step(
                    "profile",
                    "set",
                    patch_checked(client, &id, Value::Object(profile)),
                )
                .await?;
        }
        let pending = self.create_action == CreateAction::Create;
        self.groups(client, record, &id, pending, &mut steps).await?;
        let later = steps.outcome(Status::Updated);
        outcome.attempts = outcome.attempts.saturating_add(later.attempts);
        let first = outcome.status.as_str().to_string();
        let earlier = outcome.error_message.take();
        let note = format!("{first}; {}", later.error_message.unwrap_or_default());
        outcome.error_message = Some(match earlier {
            Some(m) => format!("{note}. {m}"),
            None => note,
        });
        if later.status != Status::Updated {
            outcome.error_code = Some(E_PARTIAL.into());
        }
        Ok(outcome)
    }

    pub(super) async fn update(
        &self,
        client: &Client,
        record: &StringRecord,
        row: &ApplyRow,
    ) -> Result<Outcome, Fatal> {
        let id = cell(record, self.user_id);
        let pending = id.is_empty();
        let user = if pending {
            cell(record, self.email).trim()
        } else {
            id
        };
        let mut steps = Steps::default();
        if row.action == PlanAction::Activate {
            steps
                .step(
                    "status",
                    "activated",
                    status_checked(client, user, StatusChange::Activate),
                )
                .await?;
        }
        let profile = self.profile_body(record, false);
        if !profile.is_empty() {
            steps
                .step(
                    "profile",
                    "updated",
                    patch_checked(client, user, Value::Object(profile)),
                )
                .await?;
        }
        self.groups(client, record, user, pending, &mut steps).await?;
        Ok(steps.outcome(Status::Updated))
    }
}

/// `DELETE /users/{userId}?action=…`. A 404 after an attempt whose answer was
/// lost means that attempt removed the user.
pub(super) async fn remove(client: &Client, user: &str, how: &'static str) -> Result<Outcome, Fatal> {
    let err = match client.delete_user(user, vec![("action", how.to_string())]).await {
        Ok(sent) => {
            return Ok(Outcome {
                http_status: Some(sent.status),
                attempts: sent.attempts,
                error_message: Some(format!("{how}d")),
                ..Outcome::new(Status::Deleted)
            });
        }
        Err(err) => err,
    };
    if err.status() == Some(404) && err.may_have_applied() {
        return Ok(Outcome {
            http_status: Some(404),
            attempts: err.attempts(),
            error_message: Some(format!(
                "{how}d by this run: Zoom's answer to an earlier attempt was lost, and the user is gone now."
            )),
            ..Outcome::new(Status::Deleted)
        });
    }
    outcome_for_error(&err)
}

impl Job for SyncApply {
    type Row = ApplyRow;
    type BatchKey = ();
    const KIND: &'static str = "users-sync";
    const KEY_NAME: &'static str = "email";

    fn columns() -> &'static [ColumnSpec] {
        APPLY_COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<ApplyRow, FieldError> {
        validate::email(cell(record, self.email).trim())?;
        let written = cell(record, self.action);
        let action = PlanAction::parse(written).ok_or_else(|| {
            FieldError::new(
                E_VALUE,
                format!(
                    "action {} is not a sync action (create, update, activate, deactivate, disassociate, delete, \
                     unchanged); plan again.",
                    quoted(written)
                ),
            )
        })?;
        if let Some(why) = status_disagrees(action, cell(record, self.status)) {
            return Err(FieldError::new(E_VALUE, why));
        }
        let mut profile = false;
        let (mut joins, mut leaves) = (0u32, 0u32);
        for &(f, i) in &self.fields {
            let value = cell(record, Some(i));
            if value.is_empty() {
                continue;
            }
            let Some((_, after)) = split_change(value) else {
                return Err(FieldError::new(
                    E_VALUE,
                    format!(
                        "{} {} is not a change (`before -> after`); plan again.",
                        f.name,
                        quoted(value)
                    ),
                ));
            };
            match f.kind {
                Kind::Name(max) if !after.is_empty() => {
                    validate::text(f.name, after)?;
                    validate::name(f.name, after, max)?;
                }
                Kind::Type => {
                    validate::user_type(after)?;
                }
                _ => validate::text(f.name, after)?,
            }
            if f.kind != Kind::Group {
                profile = true;
            }
        }
        let (join, leave) = self.group_change(record);
        joins = joins.saturating_add(u32::try_from(join.len()).unwrap_or(u32::MAX));
        leaves = leaves.saturating_add(u32::try_from(leave.len()).unwrap_or(u32::MAX));
        Ok(ApplyRow {
            action,
            profile,
            joins,
            leaves,
        })
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &ApplyRow, key: &mut DuplicateKey) -> bool {
        key.folded(cell(record, self.email).trim());
        true
    }

    fn request_counts(&self, record: &StringRecord, row: &ApplyRow) -> [u32; 3] {
        // A pending user joins by PATCH (light), others by the member call (medium).
        let pending = match row.action {
            PlanAction::Create => self.create_action == CreateAction::Create,
            _ => cell(record, self.user_id).is_empty(),
        };
        let (light_joins, medium_joins) = if pending { (row.joins, 0) } else { (0, row.joins) };
        let light = match row.action {
            PlanAction::Unchanged => 0,
            PlanAction::Create | PlanAction::Update => u32::from(row.profile) + row.leaves,
            PlanAction::Activate => 1 + u32::from(row.profile) + row.leaves,
            PlanAction::Deactivate | PlanAction::Disassociate | PlanAction::Delete => 1,
        };
        let create = u32::from(row.action == PlanAction::Create);
        [
            light.saturating_add(create).saturating_add(light_joins),
            medium_joins,
            0,
        ]
    }

    fn daily_cap(&self, _record: &StringRecord, row: &ApplyRow) -> Option<crate::pipeline::job::CapUse> {
        (row.action == PlanAction::Create && self.create_action == CreateAction::Create).then_some(
            crate::pipeline::job::CapUse::account(crate::pipeline::job::DailyCap::UserInvites),
        )
    }

    fn describe(&self, record: &StringRecord, row: &ApplyRow) -> String {
        let email = cell(record, self.email);
        let id = cell(record, self.user_id);
        let user = user_path(if id.is_empty() { email } else { id });
        let mut calls = Vec::new();
        match row.action {
            PlanAction::Unchanged => return "nothing (unchanged)".into(),
            PlanAction::Create => calls.push(format!(
                "POST /users action={} {email}",
                self.create_action.as_str()
            )),
            PlanAction::Activate => calls.push(format!("PUT {user}/status action=activate")),
            PlanAction::Deactivate => calls.push(format!("PUT {user}/status action=deactivate")),
            PlanAction::Disassociate | PlanAction::Delete => {
                calls.push(format!("DELETE {user}?action={}", row.action.as_str()));
            }
            PlanAction::Update => {}
        }
        if row.profile {
            let body = self.profile_body(record, row.action == PlanAction::Create);
            if !body.is_empty() {
                let names: Vec<&str> = body.keys().map(String::as_str).collect();
                calls.push(format!("PATCH {user} ({})", names.join(", ")));
            }
        }
        let (join, leave) = self.group_change(record);
        if !join.is_empty() {
            calls.push(format!("join {}", join.join(", ")));
        }
        if !leave.is_empty() {
            calls.push(format!("leave {}", leave.join(", ")));
        }
        calls.join(", then ")
    }

    fn key_column(&self) -> Option<usize> {
        self.email
    }

    fn after_earlier(&self, earlier: &Outcome, now: Outcome) -> Outcome {
        created_by_earlier_run(earlier, now)
    }

    async fn run_row(&self, client: &Client, record: &StringRecord, row: ApplyRow) -> Result<Outcome, Fatal> {
        let id = cell(record, self.user_id);
        let user = if id.is_empty() {
            cell(record, self.email).trim()
        } else {
            id
        };
        match row.action {
            PlanAction::Unchanged => Ok(Outcome {
                error_message: Some("unchanged: nothing to do".into()),
                ..Outcome::new(Status::Skipped)
            }),
            PlanAction::Create => self.create(client, record).await,
            PlanAction::Update | PlanAction::Activate => self.update(client, record, &row).await,
            PlanAction::Deactivate => {
                let mut steps = Steps::default();
                steps
                    .step(
                        "status",
                        "deactivated",
                        status_checked(client, user, StatusChange::Deactivate),
                    )
                    .await?;
                Ok(steps.outcome(Status::Updated))
            }
            PlanAction::Disassociate => remove(client, user, "disassociate").await,
            PlanAction::Delete => remove(client, user, "delete").await,
        }
    }
}
