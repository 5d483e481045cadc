//! `type` and `action` of a user, the rules that tie them (and `password`)
//! together, and the users-update fields `host_key` and `pmi`.

use super::{E_ACTION, E_PASSWORD, E_TYPE, E_VALUE, FieldError, eq_folded, quoted};

/// Zoom's user type (`user_info.type`). `as u8` gives the number Zoom expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum UserType {
    Basic = 1,
    Licensed = 2,
    /// "Unassigned without Meetings Basic".
    Unassigned = 4,
    /// 99 "None": deprecated, only valid with `ssoCreate`.
    NoneSso = 99,
}

impl UserType {
    /// The number sent to Zoom.
    pub fn code(self) -> u8 {
        self as u8
    }
}

const TYPE_HELP: &str =
    "use 1 or Basic, 2 or Licensed, 4 or Unassigned, or 99 or None (with action ssoCreate only)";

/// Reads a `type` cell: `1`, `2`, `4`, `99` or the names `Basic`, `Licensed`,
/// `Unassigned` / `Unassigned without Meetings Basic`, `None`, in any case
/// (spaces, `_` and `-` ignored). `3` / `On-prem` is refused as Zoom refuses it.
pub fn user_type(value: &str) -> Result<UserType, FieldError> {
    let v = super::trim(value);
    // Digits and exact spellings first: one comparison each, no folding.
    match v {
        "1" => return Ok(UserType::Basic),
        "2" => return Ok(UserType::Licensed),
        _ => {}
    }
    for (name, t) in [
        ("Licensed", UserType::Licensed),
        ("Basic", UserType::Basic),
        ("Unassigned", UserType::Unassigned),
        ("None", UserType::NoneSso),
    ] {
        if v.len() == name.len() && v.eq_ignore_ascii_case(name) {
            return Ok(t);
        }
    }
    let found = match v {
        "1" => Some(UserType::Basic),
        "2" => Some(UserType::Licensed),
        "4" => Some(UserType::Unassigned),
        "99" => Some(UserType::NoneSso),
        _ if eq_folded(v, "basic") => Some(UserType::Basic),
        _ if eq_folded(v, "licensed") || eq_folded(v, "licenced") => Some(UserType::Licensed),
        _ if eq_folded(v, "unassigned") || eq_folded(v, "unassigned without meetings basic") => {
            Some(UserType::Unassigned)
        }
        _ if eq_folded(v, "none") => Some(UserType::NoneSso),
        _ => None,
    };
    if let Some(t) = found {
        return Ok(t);
    }
    if v == "3" || eq_folded(v, "on-prem") || eq_folded(v, "on premises") || eq_folded(v, "on premise") {
        return Err(FieldError::new(
            E_TYPE,
            format!(
                "type {} (On-prem) is refused by Zoom (\"Your account can't set user type as On-prem.\"); {TYPE_HELP}.",
                quoted(v)
            ),
        ));
    }
    Err(FieldError::new(
        E_TYPE,
        format!("type {} is not a Zoom user type; {TYPE_HELP}.", quoted(v)),
    ))
}

/// How `POST /users` creates the user (`action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreateAction {
    /// Zoom emails a confirmation link; the user is pending until accepted.
    Create,
    /// Managed domains: active at once, with the given password.
    AutoCreate,
    /// API partners: no password, cannot sign in.
    CustCreate,
    /// Pre-provisioned SSO user.
    SsoCreate,
}

impl CreateAction {
    pub const ALL: [CreateAction; 4] = [
        CreateAction::Create,
        CreateAction::AutoCreate,
        CreateAction::CustCreate,
        CreateAction::SsoCreate,
    ];

    /// Zoom's spelling, as sent in the request body.
    pub fn as_str(self) -> &'static str {
        match self {
            CreateAction::Create => "create",
            CreateAction::AutoCreate => "autoCreate",
            CreateAction::CustCreate => "custCreate",
            CreateAction::SsoCreate => "ssoCreate",
        }
    }
}

/// Reads an `action` cell (or `--action`): `create`, `autoCreate`, `custCreate`,
/// `ssoCreate` in any case (spaces, `_` and `-` ignored).
pub fn create_action(value: &str) -> Result<CreateAction, FieldError> {
    let v = value.trim();
    CreateAction::ALL
        .into_iter()
        .find(|a| eq_folded(v, a.as_str()))
        .ok_or_else(|| {
            FieldError::new(
                E_ACTION,
                format!(
                    "action {} is not a Zoom create action; use create, autoCreate, custCreate or ssoCreate.",
                    quoted(v)
                ),
            )
        })
}

/// Type 99 (None) is only valid with `ssoCreate`.
pub fn check_type_action(user_type: UserType, action: CreateAction) -> Result<(), FieldError> {
    if user_type == UserType::NoneSso && action != CreateAction::SsoCreate {
        return Err(FieldError::new(
            E_TYPE,
            format!(
                "type 99 (None) is only valid with action ssoCreate, not {}; use type 1, 2 or 4, or action ssoCreate.",
                action.as_str()
            ),
        ));
    }
    Ok(())
}

/// A password goes with `autoCreate` and only with it: `autoCreate` makes the user
/// active at once with that password (FACTS: Users), so Zoom refuses it without one.
pub fn check_password_action(has_password: bool, action: CreateAction) -> Result<(), FieldError> {
    if !has_password && action == CreateAction::AutoCreate {
        return Err(FieldError::new(
            E_PASSWORD,
            "password is empty; action autoCreate makes the user active with the password the row gives, so \
             add one (8 to 32 characters with upper- and lower-case letters and a digit) or use action create.",
        ));
    }
    if has_password && action != CreateAction::AutoCreate {
        return Err(FieldError::new(
            E_PASSWORD,
            format!(
                "password is only used with action autoCreate; this row's action is {}, so clear the password or set action to autoCreate.",
                action.as_str()
            ),
        ));
    }
    Ok(())
}

/// `host_key` (users update): 6 to 10 digits. The value is not quoted back: a
/// host key is a secret of sorts.
pub fn host_key(value: &str) -> Result<(), FieldError> {
    let v = value.trim();
    if (6..=10).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(FieldError::new(
        E_VALUE,
        "host_key must be 6 to 10 digits (0-9 only); correct the value.",
    ))
}

/// `pmi` (users update): a Personal Meeting ID of exactly 10 digits.
pub fn pmi(value: &str) -> Result<(), FieldError> {
    let v = value.trim();
    if v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(FieldError::new(
        E_VALUE,
        format!(
            "pmi {} must be exactly 10 digits (no spaces or dashes); correct the value.",
            quoted(v)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{E_ACTION, E_PASSWORD, E_TYPE, E_VALUE};

    #[test]
    fn user_types_by_number_and_name() {
        for (v, t) in [
            ("1", UserType::Basic),
            (" 2 ", UserType::Licensed),
            ("4", UserType::Unassigned),
            ("99", UserType::NoneSso),
            ("basic", UserType::Basic),
            ("BASIC", UserType::Basic),
            ("Licensed", UserType::Licensed),
            ("Unassigned", UserType::Unassigned),
            ("Unassigned without Meetings Basic", UserType::Unassigned),
            ("unassigned_without_meetings_basic", UserType::Unassigned),
            ("None", UserType::NoneSso),
        ] {
            assert_eq!(user_type(v), Ok(t), "{v}");
        }
        assert_eq!(UserType::Licensed as u8, 2);
        assert_eq!(UserType::NoneSso.code(), 99);
    }

    #[test]
    fn on_prem_and_unknown_types_are_refused() {
        for v in ["3", "On-prem", "on prem", "ONPREM"] {
            let e = user_type(v).unwrap_err();
            assert_eq!(e.code, E_TYPE);
            assert!(
                e.message.contains("can't set user type as On-prem"),
                "{}",
                e.message
            );
        }
        for v in ["0", "5", "pro", "", "01"] {
            let e = user_type(v).unwrap_err();
            assert_eq!(e.code, E_TYPE);
            assert!(
                e.message.starts_with("type ") && e.message.contains("use 1 or Basic"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn actions() {
        assert_eq!(create_action("create"), Ok(CreateAction::Create));
        assert_eq!(create_action("AUTOCREATE"), Ok(CreateAction::AutoCreate));
        assert_eq!(create_action("auto create"), Ok(CreateAction::AutoCreate));
        assert_eq!(create_action("custCreate"), Ok(CreateAction::CustCreate));
        assert_eq!(create_action(" sso_create "), Ok(CreateAction::SsoCreate));
        assert_eq!(CreateAction::AutoCreate.as_str(), "autoCreate");
        let e = create_action("invite").unwrap_err();
        assert_eq!(e.code, E_ACTION);
        assert!(e.message.contains("\"invite\"") && e.message.contains("autoCreate"));
    }

    #[test]
    fn type_action_matrix() {
        for t in [
            UserType::Basic,
            UserType::Licensed,
            UserType::Unassigned,
            UserType::NoneSso,
        ] {
            for a in CreateAction::ALL {
                let ok = check_type_action(t, a).is_ok();
                assert_eq!(
                    ok,
                    t != UserType::NoneSso || a == CreateAction::SsoCreate,
                    "{t:?} {a:?}"
                );
            }
        }
        let e = check_type_action(UserType::NoneSso, CreateAction::Create).unwrap_err();
        assert_eq!(e.code, E_TYPE);
        assert!(e.message.contains("ssoCreate"));
    }

    #[test]
    fn password_only_with_auto_create() {
        for a in CreateAction::ALL {
            assert_eq!(
                check_password_action(false, a).is_ok(),
                a != CreateAction::AutoCreate
            );
            assert_eq!(
                check_password_action(true, a).is_ok(),
                a == CreateAction::AutoCreate
            );
        }
        let e = check_password_action(false, CreateAction::AutoCreate).unwrap_err();
        assert_eq!(e.code, E_PASSWORD);
        assert!(
            e.message.starts_with("password is empty; action autoCreate"),
            "{}",
            e.message
        );
        let e = check_password_action(true, CreateAction::SsoCreate).unwrap_err();
        assert_eq!(e.code, E_PASSWORD);
        assert!(
            e.message
                .starts_with("password is only used with action autoCreate;")
        );
    }

    #[test]
    fn host_key_and_pmi() {
        assert!(host_key("123456").is_ok());
        assert!(host_key("1234567890").is_ok());
        for bad in ["12345", "12345678901", "12a456", "", "１２３４５６"] {
            let e = host_key(bad).unwrap_err();
            assert_eq!(e.code, E_VALUE);
            assert!(e.message.starts_with("host_key"));
        }
        assert!(pmi("1234567890").is_ok());
        for bad in ["123456789", "12345678901", "123-456-7890", ""] {
            let e = pmi(bad).unwrap_err();
            assert_eq!(e.code, E_VALUE);
            assert!(e.message.starts_with("pmi"));
        }
    }
}
