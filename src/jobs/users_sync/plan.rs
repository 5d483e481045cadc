//! Planning: one pass over the roster against the account, writing the plan CSV
//! as it goes (`before -> after` cells), and the roster's checks.

use super::*;

/// The plan's columns for a roster: compared fields in roster order, then `status`.
pub(super) fn plan_fields(input: &InputFile) -> Vec<(Field, usize)> {
    let mut fields: Vec<(Field, usize)> = FIELDS
        .iter()
        .filter_map(|f| input.column(f.name).map(|i| (*f, i)))
        .collect();
    fields.sort_by_key(|(_, i)| *i);
    fields
}

/// What a roster row wants of a field: `None` leaves it as it is.
pub(super) enum Want {
    Leave,
    Text(String),
    Groups(Vec<String>),
}

/// Reads a roster cell as the field's wanted value (checked).
pub(super) fn want(f: Field, value: &str, clear_empty: bool, dir: &Directory) -> Result<Want, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(match f.kind {
            Kind::Name(_) | Kind::Text if clear_empty => Want::Text(String::new()),
            Kind::Group if clear_empty => Want::Groups(Vec::new()),
            _ => Want::Leave,
        });
    }
    Ok(match f.kind {
        Kind::Name(_) | Kind::Text | Kind::Timezone => Want::Text(value.to_string()),
        Kind::Type => Want::Text((validate::user_type(value)? as u8).to_string()),
        Kind::Language => Want::Text(rules::language(value)?.to_string()),
        Kind::Group => Want::Groups(resolve_groups(value, dir)?),
    })
}

/// A `group` cell's groups, by their names in the account (SPEC: a cell that is
/// one group's whole name is that group; else `;`-separated names or ids).
pub(super) fn resolve_groups(value: &str, dir: &Directory) -> Result<Vec<String>, FieldError> {
    if let Some(g) = dir.find(value.trim()) {
        return Ok(vec![g.name.clone()]);
    }
    let mut names: Vec<String> = Vec::new();
    for written in cell_groups(value) {
        let Some(g) = dir.find(written) else {
            let closest = dir.closest(written);
            return Err(FieldError::new(
                E_VALUE,
                format!(
                    "group {} does not exist in the account{}; fix the name (or create the group).",
                    quoted(written),
                    if closest.is_empty() {
                        String::new()
                    } else {
                        format!("; closest: {}", closest.join(", "))
                    }
                ),
            ));
        };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&g.name)) {
            names.push(g.name.clone());
        }
    }
    names.sort_by_key(|n| n.to_lowercase());
    Ok(names)
}

/// A plan row being made: its cells, and the detail fields still to compare.
pub(super) struct Draft {
    pub(super) email: String,
    pub(super) action: PlanAction,
    pub(super) user_id: String,
    /// One per plan field column, then `status`.
    pub(super) cells: Vec<String>,
    /// (plan column, wanted value) of detail fields, compared once `GET /users/{id}` answers.
    pub(super) detail: Vec<(usize, String)>,
}

/// Counts per action, for the summary and `--max-changes`.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts(pub(super) [u64; 7]);

impl Counts {
    pub(super) fn add(&mut self, action: PlanAction) {
        if let Some(n) = self.0.get_mut(action as usize) {
            *n = n.saturating_add(1);
        }
    }

    pub(super) fn changes(&self) -> u64 {
        PlanAction::ALL
            .iter()
            .filter(|a| a.is_change())
            .map(|a| self.0.get(*a as usize).copied().unwrap_or(0))
            .sum()
    }

    pub(super) fn describe(&self) -> String {
        let parts: Vec<String> = PlanAction::ALL
            .iter()
            .map(|a| format!("{} {}", self.0.get(*a as usize).copied().unwrap_or(0), a.as_str()))
            .collect();
        parts.join(", ")
    }
}

/// The plan file being written.
pub(super) struct PlanWriter {
    pub(super) publisher: Publisher,
    pub(super) table: TableWriter<Box<dyn std::io::Write + Send>>,
    pub(super) counts: Counts,
    pub(super) all: bool,
}

impl PlanWriter {
    pub(super) fn create(
        path: &Path,
        fields: &[(Field, usize)],
        ctx: &Context,
        all: bool,
    ) -> Result<PlanWriter, RunError> {
        // A plan is replaced only when the file there is one of ours (or with --force):
        // never a roster, results or a file we did not write.
        let policy = if ctx.run.force {
            Policy::Replace
        } else {
            Policy::ReplaceOurs(&[b"email,action,user_id"])
        };
        let publisher = Publisher::create(&Target::Path(path.to_path_buf()), policy)?;
        let mut columns = vec![
            Column::plain("email"),
            Column::plain("action"),
            Column::plain("user_id"),
        ];
        columns.extend(fields.iter().map(|(f, _)| Column::plain(f.name)));
        columns.push(Column::plain("status"));
        let writer = publisher
            .writer()
            .map_err(|e| RunError::new(format!("{}: cannot write the plan: {e}", path.display())))?;
        let table = TableWriter::new(
            writer,
            &columns,
            TableOptions {
                format: crate::output::table::Format::Csv,
                // Cells are guarded as they are made (`change_cell`).
                raw_cells: true,
                bom: ctx.run.bom,
            },
        )
        .map_err(|e| RunError::new(format!("{}: cannot write the plan: {e}", path.display())))?;
        Ok(PlanWriter {
            publisher,
            table,
            counts: Counts::default(),
            all,
        })
    }

    pub(super) fn write(&mut self, draft: &Draft) -> Result<(), RunError> {
        if !draft.action.is_change() && !self.all {
            self.counts.add(draft.action);
            return Ok(());
        }
        self.counts.add(draft.action);
        let head = [
            draft.email.as_str(),
            draft.action.as_str(),
            draft.user_id.as_str(),
        ];
        self.table
            .write_row(head.into_iter().chain(draft.cells.iter().map(String::as_str)))
            .map_err(|e| RunError::new(format!("{}: cannot write the plan: {e}", self.publisher.shown())))
    }

    pub(super) fn finish(mut self) -> Result<Counts, RunError> {
        let shown = self.publisher.shown().to_string();
        self.table
            .flush()
            .map_err(|e| RunError::new(format!("{shown}: cannot write the plan: {e}")))?;
        drop(self.table);
        self.publisher.commit()?;
        Ok(self.counts)
    }
}

/// The roster's compared fields and how to read them.
pub(super) struct Roster {
    pub(super) input: InputFile,
    pub(super) fields: Vec<(Field, usize)>,
    pub(super) checker: UsersImport,
    pub(super) clear_empty: bool,
}

impl Roster {
    pub(super) fn open(path: &Path, args: &Args) -> Result<Roster, RunError> {
        let input = InputFile::open(path, ROSTER_COLUMNS).map_err(|e| RunError::new(e.to_string()))?;
        let unknown = input.unknown_columns();
        if !unknown.is_empty() {
            tracing::warn!("roster columns sync does not compare: {}", unknown.join(", "));
        }
        // Import's columns that sync reads past: never silently, or a roster that sets
        // a licence feature would look synced when it is not.
        let compared = |name: &str| name == "email" || FIELDS.iter().any(|f| f.name == name);
        let mut passed_over: Vec<String> = ROSTER_COLUMNS
            .iter()
            .filter(|c| !c.prefix && !compared(c.name) && input.column(c.name).is_some())
            .map(|c| c.name.to_string())
            .collect();
        passed_over.extend(
            input
                .prefixed("custom:")
                .into_iter()
                .map(|(n, _)| format!("custom:{n}")),
        );
        if !passed_over.is_empty() {
            tracing::warn!(
                "sync does not compare or change these roster columns, so Zoom keeps what it has: {} \
                 (features such as webinar cannot be read back from Zoom's documented API, so sync cannot \
                 tell what would change; users import sets them for new users)",
                passed_over.join(", ")
            );
        }
        let import = ImportArgs {
            file: path.to_path_buf(),
            create: args.create.clone(),
            features: Vec::new(),
        };
        let checker = UsersImport::bind(&input, &import).map_err(RunError::new)?;
        let mut records = input.records().map_err(|e| RunError::new(e.to_string()))?;
        let mut record = StringRecord::new();
        if records
            .read(&mut record)
            .map_err(|e| RunError::new(e.to_string()))?
            .is_none()
        {
            return Err(RunError::new(format!(
                "{}: the roster has no data rows; refusing to plan (an HR export that came out empty must not \
                 remove the company). Nothing was read from or sent to Zoom.",
                input.name()
            )));
        }
        Ok(Roster {
            fields: plan_fields(&input),
            input,
            checker,
            clear_empty: args.clear_empty,
        })
    }
}

/// Compares the roster with the account and writes the plan.
pub(super) async fn make_plan(
    client: &Client,
    roster: &Roster,
    account: &Account,
    scope: &Scope,
    args: &Args,
    plan_path: &Path,
    ctx: &Context,
) -> Result<Made, RunError> {
    let mut writer = PlanWriter::create(plan_path, &roster.fields, ctx, args.all)?;
    let mut pass = RosterPass::default();
    let mut records = roster.input.records().map_err(|e| RunError::new(e.to_string()))?;
    let mut record = StringRecord::new();
    let details = std::sync::atomic::AtomicU64::new(0);
    {
        let drafts = std::iter::from_fn(|| pass.next(roster, account, &mut records, &mut record).transpose());
        // Rows that set fields only GET /users/{userId} has wait for it, a few at a
        // time; the plan keeps the roster's order.
        let mut finished = std::pin::pin!(
            futures::stream::iter(drafts)
                .map(|draft| async {
                    let draft = draft?;
                    if draft.detail.is_empty() {
                        return Ok(draft);
                    }
                    details.fetch_add(1, Ordering::Relaxed);
                    let user = if draft.user_id.is_empty() {
                        &draft.email
                    } else {
                        &draft.user_id
                    };
                    let found = client.get_user_fields(user).await.map_err(|e| {
                        RunError::new(format!(
                            "reading {} (GET {}) failed: {e}",
                            draft.email,
                            user_path(user)
                        ))
                    })?;
                    Ok::<_, RunError>(finish_detail(draft, &found.value, &roster.fields))
                })
                .buffered(DETAIL_CONCURRENCY)
        );
        while let Some(draft) = finished.try_next().await? {
            writer.write(&draft)?;
        }
    }
    let (invalid, shown) = (pass.invalid, pass.shown as u64);
    if invalid > shown {
        eprintln!(
            "{}: … and {}",
            roster.input.name(),
            crate::output::plural(invalid - shown, "more invalid row")
        );
    }
    if pass.valid == 0 {
        // Else every user in scope would be planned as a leaver.
        return Err(RunError::new(format!(
            "{}: no valid roster rows (all {invalid} are invalid, above); refusing to plan (a broken HR export \
             must not remove the company). Nothing was sent to Zoom.",
            roster.input.name()
        )));
    }
    let details = details.load(Ordering::Relaxed);
    // Leavers: only with --prune, inside the scope, never the owner or admins.
    if let Some(prune) = args.prune {
        for user in &account.users {
            // (in_scope leaves out the owner and admins.)
            if user.seen.load(Ordering::Relaxed) || !account.in_scope(user, scope) {
                continue;
            }
            let action = match (user.status, prune) {
                // Zoom deactivates only real users: a pending invitation is withdrawn.
                (UserStatus::Pending, _) => PlanAction::Disassociate,
                (UserStatus::Inactive, PruneAction::Deactivate) => continue,
                (_, PruneAction::Deactivate) => PlanAction::Deactivate,
                (_, PruneAction::Disassociate) => PlanAction::Disassociate,
                (_, PruneAction::Delete) => PlanAction::Delete,
            };
            let after = match action {
                PlanAction::Deactivate => "inactive",
                PlanAction::Delete => "deleted",
                _ => "disassociated",
            };
            let mut cells = vec![String::new(); roster.fields.len()];
            cells.push(change_cell(user.status.as_str(), after));
            writer.write(&Draft {
                email: user.email.to_string(),
                action,
                user_id: user.id.to_string(),
                cells,
                detail: Vec::new(),
            })?;
        }
    }
    Ok(Made {
        counts: writer.finish()?,
        invalid,
        details,
    })
}

/// The roster pass: invalid rows reported and counted, duplicates found.
#[derive(Default)]
pub(super) struct RosterPass {
    pub(super) valid: u64,
    pub(super) invalid: u64,
    pub(super) shown: usize,
    /// Hashes of the roster's e-mails (any case).
    pub(super) emails: HashSet<u64>,
}

impl RosterPass {
    /// The next valid roster row's draft; invalid rows are reported on the way.
    /// Every row's e-mail marks its account user as present.
    pub(super) fn next(
        &mut self,
        roster: &Roster,
        account: &Account,
        records: &mut crate::pipeline::input::Records,
        record: &mut StringRecord,
    ) -> Result<Option<Draft>, RunError> {
        let email_col = roster.input.column("email");
        while let Some(pos) = records.read(record).map_err(|e| RunError::new(e.to_string()))? {
            let email = cell(record, email_col).trim();
            let known = account.find(email);
            if let Some(k) = known {
                k.seen.store(true, Ordering::Relaxed);
            }
            // An empty e-mail is only missing (E_MISSING), never a duplicate.
            let first = email.is_empty() || self.emails.insert(DuplicateKey::new().folded(email).finish());
            let checked = if first {
                check_roster_row(roster, account, record, known.is_some())
            } else {
                Err(FieldError::new(
                    E_DUPLICATE,
                    format!(
                        "email {} is in the roster more than once; only its first row is planned.",
                        quoted(email)
                    ),
                ))
            };
            match checked {
                Ok(wants) => {
                    self.valid += 1;
                    return Ok(Some(draft_row(account, known, email, &roster.fields, wants)));
                }
                Err(e) => {
                    self.invalid += 1;
                    if self.shown < SHOWN_PROBLEMS {
                        self.shown += 1;
                        let line = roster.input.line(pos).unwrap_or(0);
                        eprintln!("{}: line {line}: {}: {}", roster.input.name(), e.code, e.message);
                    }
                }
            }
        }
        Ok(None)
    }
}

/// Checks a roster row (the `users import` rules; the create-only password rule
/// only for users to create) and reads what it wants of each field.
pub(super) fn check_roster_row(
    roster: &Roster,
    account: &Account,
    record: &StringRecord,
    in_account: bool,
) -> Result<Vec<Want>, FieldError> {
    match roster.checker.parse(record) {
        Err(e) if !(in_account && e.code == E_PASSWORD) => return Err(e),
        _ => {}
    }
    roster
        .fields
        .iter()
        .map(|(f, i)| {
            want(*f, cell(record, Some(*i)), roster.clear_empty, &account.directory).map_err(|e| FieldError {
                message: if e.message.starts_with(f.name) {
                    e.message
                } else {
                    format!("{}: {}", f.name, e.message)
                },
                ..e
            })
        })
        .collect()
}

/// The plan row of a valid roster row, its detail fields still to compare.
pub(super) fn draft_row(
    account: &Account,
    known: Option<&Known>,
    email: &str,
    fields: &[(Field, usize)],
    wants: Vec<Want>,
) -> Draft {
    let mut cells = Vec::with_capacity(fields.len() + 1);
    let mut detail = Vec::new();
    let Some(user) = known else {
        for want in wants {
            cells.push(match want {
                Want::Text(v) if !v.is_empty() => change_cell("", &v),
                Want::Groups(g) if !g.is_empty() => change_cell("", &g.join(";")),
                _ => String::new(),
            });
        }
        cells.push(String::new());
        return Draft {
            email: email.to_string(),
            action: PlanAction::Create,
            user_id: String::new(),
            cells,
            detail,
        };
    };
    let mut changed = false;
    for (column, ((f, _), want)) in fields.iter().zip(wants).enumerate() {
        let cell = match want {
            Want::Leave => String::new(),
            Want::Text(v) if f.detail => {
                detail.push((column, v));
                String::new()
            }
            Want::Text(v) => {
                let before = account.value(user, *f).unwrap_or("");
                if before == v {
                    String::new()
                } else {
                    change_cell(before, &v)
                }
            }
            Want::Groups(g) => {
                let before = account.group_names(user);
                let after: Vec<&str> = g.iter().map(String::as_str).collect();
                if same_groups(&before, &after) {
                    String::new()
                } else {
                    change_cell(&before.join(";"), &after.join(";"))
                }
            }
        };
        changed |= !cell.is_empty();
        cells.push(cell);
    }
    let activate = user.status == UserStatus::Inactive;
    cells.push(if activate {
        change_cell(UserStatus::Inactive.as_str(), UserStatus::Active.as_str())
    } else {
        String::new()
    });
    Draft {
        email: user.email.to_string(),
        action: if activate {
            PlanAction::Activate
        } else if changed {
            PlanAction::Update
        } else {
            PlanAction::Unchanged
        },
        user_id: user.id.to_string(),
        cells,
        detail,
    }
}

/// Compares a draft's detail fields with `GET /users/{userId}`'s answer.
pub(super) fn finish_detail(mut draft: Draft, user: &Value, fields: &[(Field, usize)]) -> Draft {
    for (column, wanted) in std::mem::take(&mut draft.detail) {
        let Some((f, _)) = fields.get(column) else {
            continue;
        };
        let before = listing_value(user, *f);
        if before != wanted
            && let Some(cell) = draft.cells.get_mut(column)
        {
            *cell = change_cell(&before, &wanted);
            if draft.action == PlanAction::Unchanged {
                draft.action = PlanAction::Update;
            }
        }
    }
    draft
}
