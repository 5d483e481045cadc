//! The command line as clap sees it: which command takes which flag, help text,
//! enumerations, and flags given before the command's name.

use super::*;
use crate::pipeline::results::Format;
use crate::zoom::Plan;

fn parse(line: &str) -> Result<Cli, clap::Error> {
    Cli::try_parse_args_from(std::iter::once("zoombulk").chain(line.split_whitespace()))
}

fn ok(line: &str) -> Cli {
    parse(line).unwrap_or_else(|e| panic!("`{line}`: {e}"))
}

/// The usage error of `line`: clap's, exit 2.
fn usage(line: &str) -> String {
    match parse(line) {
        Ok(cli) => panic!("`{line}` parsed: {cli:?}"),
        Err(e) => {
            assert_eq!(e.exit_code(), 2, "`{line}`: {e}");
            e.to_string()
        }
    }
}

fn help(words: &[&str]) -> String {
    let mut cmd = Cli::build();
    let mut sub = &mut cmd;
    for w in words {
        sub = sub
            .find_subcommand_mut(w)
            .unwrap_or_else(|| panic!("no command {w}"));
    }
    sub.render_long_help().to_string()
}

/// Whether `text` names `flag` itself (not `--token-ttl-secs` for `--token`).
fn has_flag(text: &str, flag: &str) -> bool {
    text.match_indices(flag)
        .any(|(at, _)| !text[at + flag.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-'))
}

/// Every command's words, for checks that hold for all of them.
const COMMANDS: [&[&str]; 14] = [
    &["users", "import"],
    &["users", "update"],
    &["users", "delete"],
    &["users", "export"],
    &["registrants", "import"],
    &["registrants", "export"],
    &["recordings", "export"],
    &["recordings", "archive"],
    &["validate", "users-import"],
    &["validate", "users-update"],
    &["validate", "users-delete"],
    &["validate", "registrants"],
    &["sandbox"],
    &["completions"],
];

#[test]
fn clap_configuration_is_consistent() {
    Cli::build().debug_assert();
}

#[test]
fn flags_exist_only_where_they_apply() {
    for flag in [
        "--resume",
        "--dry-run",
        "--out",
        "--format",
        "--token",
        "--sandbox",
    ] {
        assert!(
            !has_flag(&help(&["sandbox"]), flag),
            "sandbox --help shows {flag}"
        );
        assert!(
            !has_flag(&help(&["completions"]), flag),
            "completions --help shows {flag}"
        );
    }
    for flag in [
        "--resume",
        "--dry-run",
        "--strict",
        "--concurrency",
        "--force",
        "--token",
        "--qps",
    ] {
        assert!(
            !has_flag(&help(&["validate", "users-import"]), flag),
            "validate shows {flag}"
        );
    }
    for flag in ["--resume", "--strict", "--concurrency", "--force"] {
        assert!(
            !has_flag(&help(&["users", "export"]), flag),
            "users export shows {flag}"
        );
    }
    // Exports take one run flag, --dry-run, in either position.
    for line in ["users export --dry-run", "--dry-run users export"] {
        let Command::Users(UsersCommand::Export(e)) = ok(line).command else {
            panic!("{line}");
        };
        assert!(e.dry_run, "{line}");
    }
    for flag in [
        "--out",
        "--format",
        "--bom",
        "--raw-cells",
        "--token",
        "--plan",
        "--qps",
    ] {
        assert!(
            has_flag(&help(&["users", "export"]), flag),
            "users export lacks {flag}"
        );
        assert!(
            has_flag(&help(&["users", "import"]), flag),
            "users import lacks {flag}"
        );
    }
    usage("completions bash --out f");
    usage("--out f completions bash");
    usage("sandbox --resume");
    usage("users export --resume");
    usage("--strict users export");
    usage("--force recordings export");
    usage("validate users-import f.csv --out r.csv");
    usage("validate users-import f.csv --sandbox");
    usage("--sandbox validate users-import f.csv");
    let err = usage("--token t sandbox");
    assert!(err.contains("--token") && err.contains("sandbox"), "{err}");
}

#[test]
fn help_groups_flags_own_first_with_value_names_and_no_env_values() {
    for words in COMMANDS {
        let text = help(words);
        for bad in [
            "<OUT>",
            "<QPS>",
            "<PLAN>]",
            "<FILE_>",
            "=]",
            "<ACCOUNT_ID>",
            "<BASE_URL>",
        ] {
            assert!(!text.contains(bad), "{words:?} help shows {bad}:\n{text}");
        }
        let position = |heading: &str| text.find(&format!("\n{heading}:\n"));
        let own = position("Options").unwrap_or_else(|| panic!("{words:?}:\n{text}"));
        for later in ["Run", "Output", "Connection", "Global"] {
            if let Some(at) = position(later) {
                assert!(own < at, "{words:?}: own flags before {later}:\n{text}");
            }
        }
    }
    let import = help(&["users", "import"]);
    assert!(
        import.contains("--out <PATH>") && import.contains("--qps <CATEGORY=N,...>"),
        "{import}"
    );
    let action = import.find("--action").unwrap_or(usize::MAX);
    assert!(
        action < import.find("--account-id").unwrap_or(0),
        "--action before --account-id"
    );
    assert!(import.contains("[env: ZOOM_CLIENT_SECRET]"), "{import}");
    // The top-level help shows the global flags only.
    let top = Cli::build().render_long_help().to_string();
    assert!(
        !top.contains("--resume") && !top.contains("--client-secret"),
        "{top}"
    );
}

#[test]
fn enumerations_are_parsed_by_clap_in_any_case() {
    let cli = ok("users import f.csv --action AUTOCREATE --type Licensed --plan BUSINESS --format JSONL");
    let Command::Users(UsersCommand::Import(w)) = cli.command else {
        panic!("users import");
    };
    assert_eq!(w.args.create.action, users::Action::AutoCreate);
    assert_eq!(w.args.create.user_type, users::UserTypeArg::Licensed);
    assert_eq!(w.connection.plan, Some(Plan::Business));
    assert_eq!(w.output.format, Some(Format::Jsonl));
    for (given, want) in [
        ("1", users::UserTypeArg::Basic),
        ("2", users::UserTypeArg::Licensed),
        ("4", users::UserTypeArg::Unassigned),
        ("99", users::UserTypeArg::None),
    ] {
        let Command::Users(UsersCommand::Import(w)) =
            ok(&format!("users import f.csv --type {given}")).command
        else {
            panic!("users import");
        };
        assert_eq!(w.args.create.user_type, want);
    }
    let Command::Users(UsersCommand::Export(e)) = ok("users export --status Inactive").command else {
        panic!("users export");
    };
    assert_eq!(e.args.status, Some(users::UserStatus::Inactive));
    usage("users import f.csv --type nope");
    usage("users import f.csv --action make");
    usage("users export --status gone");
    usage("registrants export --meeting 1 --status maybe");
    usage("users import f.csv --plan gold");
    usage("users import f.csv --format xml");
    usage("users delete f.csv --action erase");
    ok("users delete f.csv --action DELETE");
}

#[test]
fn values_are_checked_while_parsing() {
    usage("recordings export --from bogus");
    usage("recordings export --to 2026-13-01");
    ok("recordings export --from -7d --to today");
    usage("users import f.csv --qps fast=3");
    usage("users import f.csv --qps light=0");
    usage("users import f.csv --concurrency 0");
    usage("registrants export");
    usage("registrants export --meeting 1 --webinar 2");
    usage("registrants export --meeting abc");
    usage("registrants import f.csv --meeting 1 --webinar 2");
    usage("registrants import f.csv --occurrence-ids soon");
    ok("registrants import f.csv");
    ok("registrants export --webinar 812-3456-7890");
}

#[test]
fn validate_takes_exactly_the_checked_commands_own_flags() {
    let Command::Validate(ValidateCommand::UsersImport(a)) =
        ok("validate users-import f.csv --action ssoCreate --type none").command
    else {
        panic!("validate users-import");
    };
    assert_eq!(
        (a.create.action, a.create.user_type),
        (users::Action::SsoCreate, users::UserTypeArg::None)
    );
    let Command::Validate(ValidateCommand::Registrants(a)) =
        ok("validate registrants-import f.csv --meeting 81234567890").command
    else {
        panic!("validate registrants");
    };
    assert_eq!(a.meeting, Some(81234567890));
    ok("validate users-delete f.csv --action disassociate");
    usage("validate users-delete f.csv");
    usage("validate users-update f.csv --clear-empty --dry-run");
    let text = help(&["validate", "users-delete"]);
    assert!(
        text.contains("--transfer-email <EMAIL>") && text.contains("--missing-ok"),
        "{text}"
    );
}

#[test]
fn flags_before_the_command_are_folded_into_it_and_after_wins() {
    let cli =
        ok("--sandbox -o early.csv --resume --qps light=5 users import f.csv -o late.csv --concurrency 3");
    let Command::Users(UsersCommand::Import(w)) = cli.command else {
        panic!("users import");
    };
    assert!(w.connection.sandbox && w.run.resume);
    assert_eq!(w.output.out.as_deref(), Some(std::path::Path::new("late.csv")));
    assert_eq!(w.run.concurrency, Some(Concurrency::Fixed(3)));
    assert!(w.connection.qps.is_some());
    // Global flags go anywhere.
    let cli = ok("users export -q --progress NEVER");
    assert!(cli.global.quiet);
    // Conflicts across the two positions are still caught.
    usage("--token t users import f.csv --client-id c");
    usage("--sandbox users import f.csv --token t");
    usage("users import f.csv --resume --force");
}
