//! `auth_policy` evaluation: a pure function from (policy, identity, endpoint
//! override) to a [`Decision`] with its reason.
//!
//! The rules, in order:
//! 1. `denied_users`: an identity whose email is listed is refused (403),
//!    whatever else the policy says: deny wins.
//! 2. No identity: allowed when `required` is false or `allow_anonymous` is
//!    true, else 401.
//! 3. A guest (anonymous session): allowed when `required` is false or
//!    `allow_anonymous` is true, else 401 (sign in first). The remaining
//!    rules constrain signed-in users, which a guest is not.
//! 4. `allowed_users` (when not empty): the email must be listed, else 403.
//! 5. `allowed_roles` (when not empty): at least one role must be listed, else 403.
//! 6. `required_permissions`: every one must be held, else 403 naming the
//!    first missing one. `*` is a wildcard on either side of `resource:action`;
//!    a held `docs:*` grants `docs:read`, a held `*` or `*:*` grants everything,
//!    and a required `docs:*` is only met by a held `docs:*` (or broader).
//!
//! An identity established for another app is refused (403) before any rule.

use mdbr_core::{AuthPolicy, WebSocketAuth};

use crate::identity::{Decision, Identity, IdentityKind, Outcome};
use crate::user::normalize_email;

/// Applies `policy` to `identity`. `endpoint`, when given, replaces
/// `required` and `allow_anonymous` (a websocket endpoint's own `auth`).
///
/// ```
/// use mdbr_auth::{Identity, IdentityKind, Outcome, evaluate};
/// use mdbr_core::{AppSlug, AuthPolicy};
/// let mut policy = AuthPolicy::default();
/// policy.required_permissions = vec!["docs:read".into()];
/// let user = Identity {
///     app: AppSlug::parse("wiki").unwrap(),
///     kind: IdentityKind::AppUser,
///     subject: "u1".into(),
///     email: Some("ann@example.com".into()),
///     roles: vec![],
///     permissions: vec!["docs:*".into()],
/// };
/// assert_eq!(evaluate(&policy, Some(&user), None).outcome, Outcome::Allow);
/// assert_eq!(evaluate(&policy, None, None).outcome, Outcome::Unauthenticated);
/// ```
pub fn evaluate(
    policy: &AuthPolicy,
    identity: Option<&Identity>,
    endpoint: Option<&WebSocketAuth>,
) -> Decision {
    let required = endpoint.map_or(policy.required, |e| e.required);
    let allow_anonymous = endpoint.map_or(policy.allow_anonymous, |e| e.allow_anonymous);
    let anonymous_ok = !required || allow_anonymous;

    let Some(identity) = identity else {
        return if !required {
            allow("authentication is not required")
        } else if allow_anonymous {
            allow("anonymous access is allowed")
        } else {
            unauthenticated("authentication is required")
        };
    };

    let email = identity.email.as_deref().map(normalize_email);
    if let Some(email) = &email
        && policy.denied_users.iter().any(|d| normalize_email(d) == *email)
    {
        return forbidden(format!("`{email}` is listed in denied_users"));
    }

    if identity.kind == IdentityKind::Guest {
        return if anonymous_ok {
            allow("anonymous guest admitted")
        } else {
            unauthenticated("guests are not admitted: sign in")
        };
    }

    if !policy.allowed_users.is_empty() {
        let listed = email
            .as_ref()
            .is_some_and(|e| policy.allowed_users.iter().any(|a| normalize_email(a) == *e));
        if !listed {
            return forbidden(match &email {
                Some(e) => format!("`{e}` is not listed in allowed_users"),
                None => "the identity has no email and allowed_users is set".to_owned(),
            });
        }
    }

    if !policy.allowed_roles.is_empty()
        && !identity.roles.iter().any(|r| policy.allowed_roles.contains(r))
    {
        return forbidden(format!(
            "none of the identity's roles is in allowed_roles ({})",
            policy.allowed_roles.join(", ")
        ));
    }

    if let Some(missing) =
        policy.required_permissions.iter().find(|req| !holds(&identity.permissions, req))
    {
        return forbidden(format!("missing required permission `{missing}`"));
    }

    allow(match identity.kind {
        IdentityKind::Platform => "platform identity passes the policy",
        _ => "app user passes the policy",
    })
}

/// Whether the `held` permissions grant `required` (see the module docs for
/// the wildcard rules). Malformed held permissions grant nothing; a
/// malformed required permission is never met.
pub fn holds(held: &[String], required: &str) -> bool {
    let Some(req) = parse(required) else { return false };
    held.iter().filter_map(|h| parse(h)).any(|h| grants(h, req))
}

fn grants(held: (&str, &str), required: (&str, &str)) -> bool {
    let seg = |h: &str, r: &str| h == "*" || h == r;
    seg(held.0, required.0) && seg(held.1, required.1)
}

/// `resource:action`, or `*` alone for everything.
fn parse(perm: &str) -> Option<(&str, &str)> {
    let perm = perm.trim();
    if perm == "*" {
        return Some(("*", "*"));
    }
    let (resource, action) = perm.split_once(':')?;
    if resource.is_empty() || action.is_empty() || action.contains(':') {
        return None;
    }
    Some((resource, action))
}

fn allow(reason: impl Into<String>) -> Decision {
    Decision { outcome: Outcome::Allow, reason: reason.into() }
}

fn unauthenticated(reason: impl Into<String>) -> Decision {
    Decision { outcome: Outcome::Unauthenticated, reason: reason.into() }
}

fn forbidden(reason: impl Into<String>) -> Decision {
    Decision { outcome: Outcome::Forbidden, reason: reason.into() }
}

/// The decision for an identity established for another app.
pub(crate) fn wrong_app(identity: &Identity, app: &mdbr_core::AppSlug) -> Decision {
    forbidden(format!("the identity belongs to app `{}`, not `{app}`", identity.app))
}

#[cfg(test)]
mod tests;
