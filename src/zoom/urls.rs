//! Which URLs zoombulk talks to: `https` only, except plain `http` to this
//! machine (the sandbox, tests). One rule for the API, the OAuth endpoint and
//! recording downloads (and their redirects).

use url::Url;

/// Whether `url` names this machine: 127.0.0.0/8, `localhost` or `[::1]`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `https`, or plain `http` to loopback; anything else is refused with a reason.
pub fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "`{url}`: plain http is refused except to 127.0.0.1, localhost or [::1]; use https"
        )),
        other => Err(format!("`{url}`: unsupported scheme `{other}`; use https")),
    }
}

/// [`check_scheme`] for a URL the user typed.
pub fn check_url_scheme(url: &str) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|e| format!("`{url}` is not a valid URL ({e})"))?;
    check_scheme(&parsed)
}
