//! Where settings come from, without a network: precedence, partial sets, profiles.

use super::*;

#[test]
fn http_is_refused_except_to_loopback() {
    assert!(check_url_scheme("https://api.zoom.us/v2").is_ok());
    assert!(check_url_scheme("http://127.0.0.1:9000/v2").is_ok());
    assert!(check_url_scheme("http://localhost:9000/v2").is_ok());
    assert!(check_url_scheme("http://[::1]:9000/v2").is_ok());
    assert!(check_url_scheme("http://api.zoom.us/v2").is_err());
    assert!(check_url_scheme("http://10.0.0.1/v2").is_err());
    assert!(check_url_scheme("ftp://x").is_err());
}

/// A config file (mode 0600) in a fresh directory.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (dir, path)
}

/// `(account id, client id, secret)` or `token:…` of the chosen set, or the error.
fn chosen(c: &Connection, env: &[(&str, &str)]) -> Result<String, String> {
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let lookup = |name: &str| env.get(name).cloned();
    let settings = Settings::resolve(c, &lookup, true).map_err(|e| e.message)?;
    match settings.credentials {
        Ok(Credentials::ServerToServer {
            account_id,
            client_id,
            client_secret,
            ..
        }) => Ok(format!("{account_id}/{client_id}/{}", client_secret.expose())),
        Ok(Credentials::Static(token)) => Ok(format!("token:{}", token.expose())),
        Err(e) => Err(e),
    }
}

const NO_FILE: (&str, &str) = ("XDG_CONFIG_HOME", "/nonexistent-zoombulk-unit-test");
const ENV_SET: [(&str, &str); 3] = [
    (ENV_ACCOUNT_ID, "env-a"),
    (ENV_CLIENT_ID, "env-c"),
    (ENV_CLIENT_SECRET, "env-s"),
];

fn flags(a: Option<&str>, c: Option<&str>, s: Option<&str>, t: Option<&str>) -> Connection {
    Connection {
        account_id: a.map(Into::into),
        client_id: c.map(Into::into),
        client_secret: s.map(Into::into),
        token: t.map(Into::into),
        ..Connection::default()
    }
}

#[test]
fn command_line_set_wins_over_environment_which_wins_over_the_file() {
    let (_d, path) = config_file("account_id = \"f-a\"\nclient_id = \"f-c\"\nclient_secret = \"f-s\"\n");
    let with_file = |c: Connection| Connection {
        config: Some(path.clone()),
        ..c
    };
    let none = flags(None, None, None, None);
    assert_eq!(chosen(&with_file(none.clone()), &[]).unwrap(), "f-a/f-c/f-s");
    assert_eq!(
        chosen(&with_file(none.clone()), &ENV_SET).unwrap(),
        "env-a/env-c/env-s"
    );
    let cli = flags(Some("a"), Some("c"), Some("s"), None);
    assert_eq!(chosen(&with_file(cli), &ENV_SET).unwrap(), "a/c/s");
    // A token on the command line wins over client credentials elsewhere.
    let token = flags(None, None, None, Some("tok"));
    assert_eq!(chosen(&with_file(token), &ENV_SET).unwrap(), "token:tok");
    // Empty environment values count as not set.
    let blank = [(ENV_ACCOUNT_ID, ""), (ENV_CLIENT_ID, " "), NO_FILE];
    assert_eq!(chosen(&with_file(none), &blank).unwrap(), "f-a/f-c/f-s");
}

#[test]
fn a_partial_set_is_an_error_naming_its_source_never_mixed_with_the_next() {
    let only_id = flags(None, Some("c"), None, None);
    let err = chosen(&only_id, &[ENV_SET[0], ENV_SET[1], ENV_SET[2], NO_FILE]).unwrap_err();
    assert!(
        err.contains("the command line") && err.contains("client id"),
        "{err}"
    );
    assert!(err.contains("account id, client secret"), "{err}");
    let err = chosen(
        &flags(None, None, None, None),
        &[(ENV_CLIENT_SECRET, "env-s"), NO_FILE],
    )
    .unwrap_err();
    assert!(
        err.contains("the environment") && err.contains("client secret"),
        "{err}"
    );
    assert!(!err.contains("env-s"), "never the secret: {err}");
    // A token in the same place completes it.
    assert_eq!(
        chosen(
            &flags(None, None, None, None),
            &[(ENV_CLIENT_ID, "c"), (ENV_TOKEN, "t"), NO_FILE]
        )
        .unwrap(),
        "token:t"
    );
    let err = chosen(&flags(None, None, None, None), &[NO_FILE]).unwrap_err();
    assert!(err.contains("no Zoom credentials"), "{err}");
}

#[test]
fn a_profile_chosen_on_the_command_line_wins_over_the_environment() {
    let (_d, path) = config_file(
        "account_id = \"f-a\"\nclient_id = \"f-c\"\nclient_secret = \"f-s\"\n\
         [profile.eu]\naccount_id = \"eu-a\"\nclient_id = \"eu-c\"\nclient_secret = \"eu-s\"\n\
         base_url = \"https://eu.example/v2\"\nplan = \"business\"\n",
    );
    let eu = Connection {
        config: Some(path.clone()),
        profile: Some("eu".into()),
        ..Connection::default()
    };
    assert_eq!(chosen(&eu, &ENV_SET).unwrap(), "eu-a/eu-c/eu-s");
    let lookup = |_: &str| None;
    let settings = Settings::resolve(&eu, &lookup, true).unwrap();
    let summary = settings.credentials_summary();
    assert!(
        summary.contains("[profile.eu]") && !summary.contains("eu-s"),
        "{summary}"
    );
    assert_eq!(settings.base_url.as_deref(), Some("https://eu.example/v2"));
    assert_eq!(settings.rates, RateTable::for_plan(Plan::Business));
    // ZOOMBULK_PROFILE picks the section, but as the file: the environment's set wins.
    let by_env = Connection {
        config: Some(path.clone()),
        ..Connection::default()
    };
    assert_eq!(chosen(&by_env, &[(ENV_PROFILE, "eu")]).unwrap(), "eu-a/eu-c/eu-s");
    let mut env = ENV_SET.to_vec();
    env.push((ENV_PROFILE, "eu"));
    assert_eq!(chosen(&by_env, &env).unwrap(), "env-a/env-c/env-s");
    let missing = Connection {
        profile: Some("us".into()),
        ..eu
    };
    assert!(chosen(&missing, &[]).unwrap_err().contains("profile.us"));
}

#[test]
fn settings_other_than_credentials_are_taken_one_by_one() {
    let c = Connection {
        base_url: Some("http://127.0.0.1:1/v2".into()),
        ..Connection::default()
    };
    let env: HashMap<&str, &str> = [
        (ENV_PLAN, "Free"),
        (ENV_OAUTH_URL, "http://127.0.0.1:2/oauth/token"),
        NO_FILE,
    ]
    .into_iter()
    .collect();
    let lookup = |name: &str| env.get(name).map(|v| v.to_string());
    let s = Settings::resolve(&c, &lookup, true).unwrap();
    assert_eq!(s.base_url.as_deref(), Some("http://127.0.0.1:1/v2"));
    assert_eq!(s.oauth_url.as_deref(), Some("http://127.0.0.1:2/oauth/token"));
    assert_eq!(s.rates, RateTable::for_plan(Plan::Free));
    assert_eq!(s.max_retries, DEFAULT_MAX_RETRIES);
    let bad_plan = |name: &str| (name == ENV_PLAN).then(|| "gold".to_string());
    let err = Settings::resolve(&c, &bad_plan, true).err().unwrap();
    assert_eq!(err.kind, crate::error::ErrorKind::Usage);
}

#[test]
fn the_sandbox_reads_no_credentials_at_all() {
    let c = Connection {
        sandbox: true,
        config: None,
        ..Connection::default()
    };
    let env = |name: &str| match name {
        "XDG_CONFIG_HOME" => Some("/nonexistent".to_string()),
        _ => Some("real".to_string()),
    };
    let s = Settings::resolve(&c, &env, true).unwrap();
    assert_eq!(s.credentials_summary(), "the built-in sandbox's own");
    assert!(s.base_url.is_none());
}

#[cfg(unix)]
#[test]
fn config_readable_by_others_is_refused_with_chmod_advice() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "client_id = \"a\"\n[profile.eu]\nclient_id = \"b\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = load_profile(&path, None, true).unwrap_err();
    assert!(err.message.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        load_profile(&path, None, true).unwrap().client_id.as_deref(),
        Some("a")
    );
    assert_eq!(
        load_profile(&path, Some("eu"), true)
            .unwrap()
            .client_id
            .as_deref(),
        Some("b")
    );
    assert!(
        load_profile(&path, Some("us"), true)
            .unwrap_err()
            .message
            .contains("profile.us")
    );
}
