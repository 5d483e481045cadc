//! Where credentials and settings come from: flag > environment > config file
//! (`~/.config/zoombulk/config.toml`, `[profile.NAME]` sections), and the
//! connection to Zoom (or to the built-in sandbox) they make.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokio::sync::Mutex;
use zoombulk_sandbox::Sandbox;

use crate::app::RunError;
use crate::cli::GlobalArgs;
use crate::zoom::auth::{Credentials, Secret};
use crate::zoom::{Client, ClientConfig, Plan, RateTable};

pub const DEFAULT_BASE_URL: &str = "https://api.zoom.us/v2";
pub const DEFAULT_OAUTH_URL: &str = "https://zoom.us/oauth/token";

/// One profile of the config file; every key optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub account_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub token: Option<String>,
    pub base_url: Option<String>,
    pub oauth_url: Option<String>,
    pub plan: Option<Plan>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(flatten)]
    default: Profile,
    #[serde(default)]
    profile: HashMap<String, Profile>,
}

/// The config file to read: `--config`/`ZOOMBULK_CONFIG`, else the XDG location.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("zoombulk").join("config.toml"))
}

/// Reads `profile` (or the top-level keys) from the config file, if there is one.
/// A file that others can read is refused: it holds a client secret.
pub fn load_profile(path: &Path, profile: Option<&str>, required: bool) -> Result<Profile, RunError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Profile::default()),
        Err(e) => {
            return Err(RunError::new(format!(
                "{}: cannot read the config file: {e}",
                path.display()
            )));
        }
    };
    check_permissions(path)?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        RunError::new(format!(
            "{}: not a valid config file: {}",
            path.display(),
            e.message()
        ))
    })?;
    match profile {
        None => Ok(file.default),
        Some(name) => file.profile.get(name).cloned().ok_or_else(|| {
            let mut names: Vec<&String> = file.profile.keys().collect();
            names.sort();
            RunError::new(format!(
                "{}: no [profile.{name}] section (profiles there: {})",
                path.display(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                }
            ))
        }),
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), RunError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| RunError::new(format!("{}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(RunError::new(format!(
            "{}: the config file holds secrets but others can read it (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), RunError> {
    Ok(())
}

/// `https` only, except plain `http` to this machine (the sandbox, tests).
pub fn check_url_scheme(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a valid URL ({e})"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => match parsed.host() {
            Some(url::Host::Domain("localhost")) => Ok(()),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
            _ => Err(format!(
                "`{url}`: plain http is refused except to 127.0.0.1, localhost or [::1]; use https"
            )),
        },
        other => Err(format!("`{url}`: unsupported scheme `{other}`; use https")),
    }
}

/// Everything a command needs to reach Zoom, resolved once.
pub struct Settings {
    pub rates: RateTable,
    pub max_retries: u32,
    sandbox: bool,
    profile: Profile,
    explicit_base_url: bool,
    quiet: bool,
    /// The embedded sandbox of `--sandbox`, kept alive for the run.
    embedded: Mutex<Option<Sandbox>>,
}

impl Settings {
    pub fn from_args(g: &GlobalArgs) -> Result<Settings, RunError> {
        let mut profile = if g.sandbox {
            Profile::default()
        } else {
            let path = config_path(g.config.as_deref());
            match path {
                Some(p) => load_profile(
                    &p,
                    g.profile.as_deref(),
                    g.config.is_some() || g.profile.is_some(),
                )?,
                None => Profile::default(),
            }
        };
        // Flags and environment (clap reads both) win over the file.
        let overlay = |flag: &Option<String>, file: &mut Option<String>| {
            if let Some(v) = flag.as_ref().filter(|v| !v.is_empty()) {
                *file = Some(v.clone());
            }
        };
        overlay(&g.account_id, &mut profile.account_id);
        overlay(&g.client_id, &mut profile.client_id);
        overlay(&g.client_secret, &mut profile.client_secret);
        overlay(&g.token, &mut profile.token);
        overlay(&g.base_url, &mut profile.base_url);
        overlay(&g.oauth_url, &mut profile.oauth_url);
        let plan = g.plan.or(profile.plan).unwrap_or(Plan::Pro);
        let mut rates = RateTable::for_plan(plan);
        if let Some(q) = &g.qps {
            q.apply(&mut rates);
        }
        Ok(Settings {
            rates,
            max_retries: g.max_retries,
            sandbox: g.sandbox,
            explicit_base_url: profile.base_url.is_some(),
            profile,
            quiet: g.quiet,
            embedded: Mutex::new(None),
        })
    }

    /// A client for the account (or a freshly started embedded sandbox).
    pub async fn connect(&self) -> Result<Client, RunError> {
        let config = if self.sandbox {
            let mut embedded = self.embedded.lock().await;
            let sandbox = match embedded.take() {
                Some(s) => s,
                None => crate::sandbox::start_embedded(&self.rates).await?,
            };
            if !self.quiet {
                eprintln!(
                    "using the built-in Zoom sandbox at {} (no real account is touched)",
                    sandbox.base_url()
                );
            }
            let config = ClientConfig {
                base_url: sandbox.base_url(),
                base_url_explicit: true,
                credentials: Credentials::ServerToServer {
                    oauth_url: sandbox.oauth_url(),
                    account_id: crate::sandbox::DEFAULT_CREDENTIAL.into(),
                    client_id: crate::sandbox::DEFAULT_CREDENTIAL.into(),
                    client_secret: Secret::new(crate::sandbox::DEFAULT_CREDENTIAL),
                },
                rates: self.rates,
                max_retries: self.max_retries,
            };
            *embedded = Some(sandbox);
            config
        } else {
            self.client_config()?
        };
        Client::new(config).map_err(RunError::new)
    }

    fn client_config(&self) -> Result<ClientConfig, RunError> {
        let p = &self.profile;
        let base_url = p.base_url.clone().unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let oauth_url = p.oauth_url.clone().unwrap_or_else(|| DEFAULT_OAUTH_URL.into());
        check_url_scheme(&base_url).map_err(RunError::new)?;
        check_url_scheme(&oauth_url).map_err(RunError::new)?;
        let credentials = match (&p.account_id, &p.client_id, &p.client_secret, &p.token) {
            (Some(account_id), Some(client_id), Some(secret), _) => Credentials::ServerToServer {
                oauth_url,
                account_id: account_id.clone(),
                client_id: client_id.clone(),
                client_secret: Secret::new(secret.clone()),
            },
            (_, _, _, Some(token)) => Credentials::Static(Secret::new(token.clone())),
            (account, client, secret, None) => {
                let missing: Vec<&str> = [
                    ("--account-id/ZOOM_ACCOUNT_ID", account.is_none()),
                    ("--client-id/ZOOM_CLIENT_ID", client.is_none()),
                    ("--client-secret/ZOOM_CLIENT_SECRET", secret.is_none()),
                ]
                .into_iter()
                .filter_map(|(n, m)| m.then_some(n))
                .collect();
                return Err(RunError::new(format!(
                    "no Zoom credentials: missing {} (flags, environment, or the config file's profile). \
                     Or give --token, or try everything offline with --sandbox.",
                    missing.join(", ")
                )));
            }
        };
        Ok(ClientConfig {
            base_url,
            base_url_explicit: self.explicit_base_url,
            credentials,
            rates: self.rates,
            max_retries: self.max_retries,
        })
    }
}

#[cfg(test)]
mod tests {
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
}
