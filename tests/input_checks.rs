//! Input Zoom would take but that corrupts data, or that Zoom would refuse, is caught
//! offline: control characters, name headers in other languages, autoCreate without a
//! password, registrant enumerations. The real binary against the sandbox.

mod common;

use common::*;

fn meeting(sandbox: &Sandbox) -> u64 {
    sandbox
        .store()
        .meetings()
        .into_iter()
        .find(|m| m.event_type == 2 && m.approval_type == 0)
        .expect("a scheduled meeting with registration")
        .id
}

fn with_meetings() -> SandboxConfig {
    SandboxConfig {
        seed_meetings: 8,
        ..unlimited()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_names_are_invalid_and_never_sent() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let text = "email,first_name,last_name,display_name\n\
        ok@example.com,Ada,Lovelace,\n\
        break@example.com,\"Ada\nLovelace\",L,\n\
        crlf@example.com,Ada,\"Love\r\nlace\",\n\
        nul@example.com,Ad\0a,L,\n\
        tab@example.com,Ada,L,\"Ada\tL\"\n\
        esc@example.com,\u{1b}[31mAda,L,\n\
        trailing@example.com,\"Ada\n\",L,\n";
    let input = write(dir.path(), "names.csv", text);

    let out = run_fast(
        &sandbox,
        &["validate", "users-import", input.to_str().unwrap()],
        3,
        "invalid rows",
    )
    .await;
    assert!(stdout(&out).contains("E_CONTROL"), "{}", stdout(&out));
    assert_eq!(sandbox.stats().total_requests, 0, "validate sends nothing");

    let rows = results_of(&sandbox, &["users", "import"], &input, &[], 3).await;
    assert_eq!(
        statuses(&rows),
        [
            "created", "invalid", "invalid", "invalid", "invalid", "invalid", "created"
        ]
    );
    let expect = [
        (1, "first_name contains a line break (character 4)"),
        (2, "last_name contains a line break (character 5)"),
        (3, "first_name contains a NUL byte (character 3)"),
        (4, "display_name contains a tab (character 4)"),
        (
            5,
            "first_name contains the control character U+001B (character 1)",
        ),
    ];
    for (i, message) in expect {
        assert_eq!(rows[i]["error_code"], "E_CONTROL", "row {i}");
        assert!(
            rows[i]["error_message"].starts_with(message),
            "row {i}: {}",
            rows[i]["error_message"]
        );
        assert_eq!(rows[i]["attempts"], "0");
    }
    for email in ["break", "crlf", "nul", "tab", "esc"] {
        assert!(
            sandbox
                .store()
                .user_by_email(&format!("{email}@example.com"))
                .is_none(),
            "{email} was not sent"
        );
    }
    // A line break at the end of a cell is trimmed away like any whitespace.
    let trailing = sandbox.store().user_by_email("trailing@example.com").unwrap();
    assert_eq!(trailing.first_name, "Ada");
}

#[tokio::test(flavor = "multi_thread")]
async fn short_and_foreign_name_headers_are_recognised() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let files = [
        ("short.csv", "FName,LName,Email\nAda,Lovelace,ada@example.com\n"),
        ("plain.csv", "First,Last,E-mail\nAlan,Turing,alan@example.com\n"),
        (
            "de.csv",
            "Vorname;Nachname;E-Mail\nEmmy;Noether;emmy@example.com\n",
        ),
        // Upper-case accented header, as some exports write it.
        ("fr.csv", "PRÉNOM,NOM,Email\nMarie,Curie,marie@example.com\n"),
        // Decomposed accent (e + U+0301), as macOS writes file contents copied from names.
        (
            "nfd.csv",
            "Pre\u{301}nom,Nom,Email\nPierre,Curie,pierre@example.com\n",
        ),
        (
            "es.csv",
            "Nombre,Apellidos,Email\nAda,Byron King,ada.king@example.com\n",
        ),
        (
            "given.csv",
            "Given,Surname,Email\nGrace,Hopper,grace@example.com\n",
        ),
    ];
    for (name, text) in files {
        let input = write(dir.path(), name, text);
        let out = run_fast(&sandbox, &["users", "import", input.to_str().unwrap()], 0, name).await;
        assert!(
            !stderr(&out).contains("columns not used"),
            "{name}: every header recognised: {}",
            stderr(&out)
        );
    }
    for (email, first, last) in [
        ("ada@example.com", "Ada", "Lovelace"),
        ("alan@example.com", "Alan", "Turing"),
        ("emmy@example.com", "Emmy", "Noether"),
        ("marie@example.com", "Marie", "Curie"),
        ("pierre@example.com", "Pierre", "Curie"),
        ("ada.king@example.com", "Ada", "Byron King"),
        ("grace@example.com", "Grace", "Hopper"),
    ] {
        let user = sandbox.store().user_by_email(email).expect(email);
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            (first, last),
            "{email}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_create_without_a_password_is_invalid_offline() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let text = "email,action,password\n\
        nopw@example.com,autoCreate,\n\
        pw@example.com,autoCreate,Tr0ub4dor-Xy\n\
        invite@example.com,create,\n";
    let input = write(dir.path(), "auto.csv", text);
    let out = run_fast(
        &sandbox,
        &["validate", "users-import", input.to_str().unwrap()],
        3,
        "one invalid row",
    )
    .await;
    assert!(stdout(&out).contains("E_PASSWORD"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("password is empty; action autoCreate"),
        "{}",
        stdout(&out)
    );
    assert_eq!(sandbox.stats().total_requests, 0);

    let rows = results_of(&sandbox, &["users", "import"], &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["invalid", "created", "created"]);
    assert_eq!(rows[0]["error_code"], "E_PASSWORD");
    assert!(sandbox.store().user_by_email("nopw@example.com").is_none());
    assert_eq!(
        sandbox.stats().requests["POST /users"]["201"],
        2,
        "only the valid rows were sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn registrant_language_and_employee_ranges_are_checked_and_sent_as_zoom_spells_them() {
    let sandbox = start(with_meetings()).await;
    let id = meeting(&sandbox).to_string();
    let dir = tempdir();
    let text = "email,first_name,language,no_of_employees,comments,city\n\
        tr@example.com,Tr,tr-tr,251-500,,\n\
        de@example.com,De,de_DE,501-1000,\"Line one\nLine two\",\n\
        none@example.com,None,,101-500,,\n\
        bad@example.com,Bad,English,,,\n\
        emp@example.com,Emp,,101-1000,,\n\
        city@example.com,City,,,,\"Spring\nfield\"\n";
    let input = write(dir.path(), "langs.csv", text);
    let out = run_fast(
        &sandbox,
        &[
            "validate",
            "registrants",
            input.to_str().unwrap(),
            "--meeting",
            &id,
        ],
        3,
        "invalid rows",
    )
    .await;
    assert!(stdout(&out).contains("E_VALUE"), "{}", stdout(&out));
    let rows = results_of(
        &sandbox,
        &["registrants", "import"],
        &input,
        &["--meeting", &id],
        3,
    )
    .await;
    assert_eq!(
        statuses(&rows),
        [
            "registered",
            "registered",
            "registered",
            "invalid",
            "invalid",
            "invalid"
        ]
    );
    assert!(
        rows[3]["error_message"].starts_with("language \"English\" is not one of"),
        "{}",
        rows[3]["error_message"]
    );
    assert!(rows[4]["error_message"].starts_with("no_of_employees \"101-1000\""));
    assert_eq!(rows[5]["error_code"], "E_CONTROL");
    assert!(rows[5]["error_message"].starts_with("city contains a line break"));
    let roster = sandbox.store().registrants(id.parse().unwrap());
    let get = |email: &str| {
        roster
            .iter()
            .find(|r| r.email == email)
            .unwrap_or_else(|| panic!("{email} registered"))
    };
    assert_eq!(
        (
            get("tr@example.com").language.as_str(),
            get("tr@example.com").no_of_employees.as_str()
        ),
        ("Tr-TR", "101-500")
    );
    assert_eq!(
        (
            get("de@example.com").language.as_str(),
            get("de@example.com").no_of_employees.as_str()
        ),
        ("de-DE", "500-1,000")
    );
    assert_eq!(
        get("de@example.com").comments,
        "Line one\nLine two",
        "comments may span lines"
    );
    // An empty language is left out (Zoom's enum has no "", and the sandbox refuses it).
    assert_eq!(get("none@example.com").language, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn users_update_refuses_control_characters_in_profile_cells_and_user_ids() {
    let sandbox = start(SandboxConfig {
        seed_users: 3,
        ..unlimited()
    })
    .await;
    let users = sandbox.store().users();
    let target = users
        .iter()
        .find(|u| u.status == "active" && u.role_id != "0")
        .expect("a seeded member");
    let dir = tempdir();
    let text = format!(
        "user_id,email,dept,job_title\n\
         {id},,\"Sales\nEMEA\",\n\
         ,{email},,\"Head\0of\"\n\
         \"ab\tc\",,Sales,\n\
         {id},,Sales,Lead\n",
        id = target.id,
        email = target.email
    );
    let input = write(dir.path(), "update.csv", text);
    let rows = results_of(&sandbox, &["users", "update"], &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["invalid", "invalid", "invalid", "updated"]);
    for (i, starts) in [
        (0, "dept contains a line break"),
        (1, "job_title contains a NUL byte"),
        (2, "user_id contains a tab"),
    ] {
        assert_eq!(rows[i]["error_code"], "E_CONTROL");
        assert!(
            rows[i]["error_message"].starts_with(starts),
            "{}",
            rows[i]["error_message"]
        );
    }
    let after = sandbox.store().user_by_id(&target.id).expect("still there");
    assert_eq!((after.dept.as_str(), after.job_title.as_str()), ("Sales", "Lead"));
    assert_eq!(
        sandbox.stats().requests["PATCH /users/{userId}"]["204"],
        1,
        "only the clean row was sent"
    );
}
