//! Where credentials and settings come from, and the connection to Zoom (or to
//! the built-in sandbox) they make. Each setting is taken from the first place
//! that has it: the command line, then a profile chosen with `--profile`, then the
//! environment, then the config file (`~/.config/zoombulk/config.toml`, top-level
//! keys or `[profile.NAME]`). Credentials are one setting: the set comes whole from
//! the first place that has any part of it, never mixed (README: Credentials).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokio::sync::Mutex;
use zoombulk_sandbox::Sandbox;

use crate::error::RunError;
use crate::zoom::auth::{Credentials, Secret};
use crate::zoom::plan::QpsOverride;
pub use crate::zoom::urls::check_url_scheme;
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
pub fn config_path(explicit: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let base = given(env("XDG_CONFIG_HOME"))
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| given(env("HOME")).map(|h| PathBuf::from(h).join(".config")))?;
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

/// What the command line says about reaching Zoom (the connection flags); every
/// field optional. `config` sees no clap type: the command line is one source.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub account_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub token: Option<String>,
    pub base_url: Option<String>,
    pub oauth_url: Option<String>,
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub sandbox: bool,
    pub plan: Option<Plan>,
    pub qps: Option<QpsOverride>,
    pub max_retries: Option<u32>,
}

/// The environment variables `config` reads (clap reads none of them).
pub const ENV_ACCOUNT_ID: &str = "ZOOM_ACCOUNT_ID";
pub const ENV_CLIENT_ID: &str = "ZOOM_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "ZOOM_CLIENT_SECRET";
pub const ENV_TOKEN: &str = "ZOOM_ACCESS_TOKEN";
pub const ENV_BASE_URL: &str = "ZOOM_API_BASE_URL";
pub const ENV_OAUTH_URL: &str = "ZOOM_OAUTH_URL";
pub const ENV_PLAN: &str = "ZOOM_PLAN";
pub const ENV_CONFIG: &str = "ZOOMBULK_CONFIG";
pub const ENV_PROFILE: &str = "ZOOMBULK_PROFILE";

/// Where settings were found, most important first; each names itself for messages.
struct Layer {
    name: String,
    values: Profile,
}

impl Layer {
    fn has_credentials(&self) -> bool {
        let v = &self.values;
        v.account_id.is_some() || v.client_id.is_some() || v.client_secret.is_some() || v.token.is_some()
    }
}

/// Empty values count as not given (`ZOOM_CLIENT_ID=` in a shell profile).
fn given(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// The layers, most important first: the command line; the profile chosen with
/// `--profile` on the command line (choosing one there is a command-line choice);
/// the environment; the config file (its top-level keys, or `ZOOMBULK_PROFILE`'s).
fn layers(c: &Connection, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Layer>, RunError> {
    let mut layers = vec![Layer {
        name: "the command line".into(),
        values: Profile {
            account_id: given(c.account_id.clone()),
            client_id: given(c.client_id.clone()),
            client_secret: given(c.client_secret.clone()),
            token: given(c.token.clone()),
            base_url: given(c.base_url.clone()),
            oauth_url: given(c.oauth_url.clone()),
            plan: c.plan,
        },
    }];
    let env_plan = match given(env(ENV_PLAN)) {
        None => None,
        Some(p) => Some(<Plan as clap::ValueEnum>::from_str(p.trim(), true).map_err(|_| {
            RunError::usage(format!("{ENV_PLAN}={p} is not a plan; use free, pro or business"))
        })?),
    };
    let env_layer = Layer {
        name: "the environment".into(),
        values: Profile {
            account_id: given(env(ENV_ACCOUNT_ID)),
            client_id: given(env(ENV_CLIENT_ID)),
            client_secret: given(env(ENV_CLIENT_SECRET)),
            token: given(env(ENV_TOKEN)),
            base_url: given(env(ENV_BASE_URL)),
            oauth_url: given(env(ENV_OAUTH_URL)),
            plan: env_plan,
        },
    };
    let explicit_path = c
        .config
        .clone()
        .or_else(|| given(env(ENV_CONFIG)).map(PathBuf::from));
    let flag_profile = given(c.profile.clone());
    let profile = flag_profile.clone().or_else(|| given(env(ENV_PROFILE)));
    let path = config_path(explicit_path.as_deref(), env);
    let file = match &path {
        Some(p) => Some(load_profile(
            p,
            profile.as_deref(),
            explicit_path.is_some() || profile.is_some(),
        )?),
        None if profile.is_some() => {
            return Err(RunError::usage(
                "--profile needs a config file, but neither --config, ZOOMBULK_CONFIG nor HOME says where it is",
            ));
        }
        None => None,
    };
    let file_name = |p: &Option<PathBuf>| {
        let shown = p.as_ref().map_or_else(String::new, |p| p.display().to_string());
        match &profile {
            Some(name) => format!("[profile.{name}] of {shown}"),
            None => format!("the config file {shown}"),
        }
    };
    match (file, flag_profile.is_some()) {
        (Some(values), true) => {
            layers.push(Layer {
                name: file_name(&path),
                values,
            });
            layers.push(env_layer);
        }
        (Some(values), false) => {
            layers.push(env_layer);
            layers.push(Layer {
                name: file_name(&path),
                values,
            });
        }
        (None, _) => layers.push(env_layer),
    }
    Ok(layers)
}

/// The first layer's value of a setting that has one.
fn first<T: Clone>(layers: &[Layer], get: impl Fn(&Profile) -> &Option<T>) -> Option<T> {
    layers.iter().find_map(|l| get(&l.values).clone())
}

/// Credentials taken whole from the first layer that has any: never a client id
/// from one place and a secret from another. A complete client-credential set
/// wins over a token of the same layer (it can be refreshed; the command line
/// refuses both at once).
fn credentials(layers: &[Layer], oauth_url: String) -> Result<Credentials, RunError> {
    let Some(layer) = layers.iter().find(|l| l.has_credentials()) else {
        return Err(RunError::new(
            "no Zoom credentials: give --account-id, --client-id and --client-secret (or ZOOM_ACCOUNT_ID, \
             ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, or a config file), or --token. \
             Or try everything offline with --sandbox.",
        ));
    };
    let v = &layer.values;
    match (&v.account_id, &v.client_id, &v.client_secret, &v.token) {
        (Some(account_id), Some(client_id), Some(secret), _) => Ok(Credentials::ServerToServer {
            oauth_url,
            account_id: account_id.clone(),
            client_id: client_id.clone(),
            client_secret: Secret::new(secret.clone()),
        }),
        (_, _, _, Some(token)) => Ok(Credentials::Static(Secret::new(token.clone()))),
        (account, client, secret, None) => {
            let part = |name: &'static str, have: bool| (name, have);
            let parts = [
                part("account id", account.is_some()),
                part("client id", client.is_some()),
                part("client secret", secret.is_some()),
            ];
            let list = |want: bool| {
                parts
                    .iter()
                    .filter(|(_, have)| *have == want)
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Err(RunError::new(format!(
                "incomplete Zoom credentials: {} gives the {} but not the {}. Credentials are taken as a set \
                 from one place (command line, else environment, else config file); give the rest there too, \
                 or remove these to use the next place.",
                layer.name,
                list(true),
                list(false)
            )))
        }
    }
}

/// Everything a command needs to reach Zoom, resolved once.
pub struct Settings {
    pub rates: RateTable,
    pub max_retries: u32,
    sandbox: bool,
    base_url: Option<String>,
    oauth_url: Option<String>,
    /// `Err` kept until a connection is asked for: `--dry-run` needs none.
    credentials: Result<Credentials, String>,
    /// Where the credentials came from, for `-v`.
    source: String,
    quiet: bool,
    /// The embedded sandbox of `--sandbox`, kept alive for the run.
    embedded: Mutex<Option<Sandbox>>,
}

/// Retries when `--max-retries` is not given.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

impl Settings {
    /// From the connection flags, the process's environment and the config file.
    pub fn from_args(c: &Connection, quiet: bool) -> Result<Settings, RunError> {
        Settings::resolve(c, &|name| std::env::var(name).ok(), quiet)
    }

    /// From the connection flags, `env` and the config file. `--sandbox` reads
    /// neither the environment's credentials nor the file.
    pub fn resolve(
        c: &Connection,
        env: &dyn Fn(&str) -> Option<String>,
        quiet: bool,
    ) -> Result<Settings, RunError> {
        let rates = |plan: Option<Plan>| {
            let mut rates = RateTable::for_plan(plan.unwrap_or(Plan::Pro));
            if let Some(q) = &c.qps {
                q.apply(&mut rates);
            }
            rates
        };
        let max_retries = c.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if c.sandbox {
            return Ok(Settings {
                rates: rates(c.plan),
                max_retries,
                sandbox: true,
                base_url: None,
                oauth_url: None,
                credentials: Err(String::new()),
                source: String::new(),
                quiet,
                embedded: Mutex::new(None),
            });
        }
        let layers = layers(c, env)?;
        let base_url = first(&layers, |p| &p.base_url);
        let oauth_url = first(&layers, |p| &p.oauth_url);
        let credentials = credentials(
            &layers,
            oauth_url.clone().unwrap_or_else(|| DEFAULT_OAUTH_URL.into()),
        )
        .map_err(|e| e.message);
        let source = layers
            .iter()
            .find(|l| l.has_credentials())
            .map_or_else(String::new, |l| l.name.clone());
        Ok(Settings {
            rates: rates(first(&layers, |p| &p.plan)),
            max_retries,
            sandbox: false,
            base_url,
            oauth_url,
            credentials,
            source,
            quiet,
            embedded: Mutex::new(None),
        })
    }

    /// Which credentials were chosen, in words without any secret (for tests and `-v`).
    pub fn credentials_summary(&self) -> String {
        match &self.credentials {
            _ if self.sandbox => "the built-in sandbox's own".into(),
            Ok(Credentials::ServerToServer {
                account_id,
                client_id,
                ..
            }) => format!("account {account_id}, client {client_id} from {}", self.source),
            Ok(Credentials::Static(_)) => format!("a bearer token from {}", self.source),
            Err(e) => e.clone(),
        }
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
        let base_url = self.base_url.clone().unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let oauth_url = self.oauth_url.clone().unwrap_or_else(|| DEFAULT_OAUTH_URL.into());
        check_url_scheme(&base_url).map_err(RunError::usage)?;
        check_url_scheme(&oauth_url).map_err(RunError::usage)?;
        let credentials = self.credentials.clone().map_err(RunError::new)?;
        tracing::info!("credentials: {}", self.credentials_summary());
        Ok(ClientConfig {
            base_url,
            base_url_explicit: self.base_url.is_some(),
            credentials,
            rates: self.rates,
            max_retries: self.max_retries,
        })
    }
}

#[cfg(test)]
mod tests;
