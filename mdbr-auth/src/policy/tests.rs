//! Unit tests of every `auth_policy` rule.

use mdbr_core::{AppSlug, AuthPolicy, WebSocketAuth};

use super::{evaluate, holds};
use crate::identity::{Identity, IdentityKind, Outcome};

fn user(email: &str, roles: &[&str], perms: &[&str]) -> Identity {
    Identity {
        app: AppSlug::parse("app").unwrap(),
        kind: IdentityKind::AppUser,
        subject: "u".into(),
        email: Some(email.into()),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        permissions: perms.iter().map(|s| s.to_string()).collect(),
    }
}

fn guest() -> Identity {
    Identity {
        app: AppSlug::parse("app").unwrap(),
        kind: IdentityKind::Guest,
        subject: "guest_x".into(),
        email: None,
        roles: vec![],
        permissions: vec![],
    }
}

fn policy() -> AuthPolicy {
    AuthPolicy::default()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[track_caller]
fn check(p: &AuthPolicy, id: Option<&Identity>, outcome: Outcome, reason_has: &str) {
    let d = evaluate(p, id, None);
    assert_eq!(d.outcome, outcome, "{d:?}");
    assert!(d.reason.contains(reason_has), "reason {:?} should contain {reason_has:?}", d.reason);
}

#[test]
fn required_refuses_no_identity() {
    check(&policy(), None, Outcome::Unauthenticated, "required");
    check(&policy(), Some(&user("a@x.io", &[], &[])), Outcome::Allow, "passes");
}

#[test]
fn not_required_admits_everyone() {
    let p = AuthPolicy { required: false, ..policy() };
    check(&p, None, Outcome::Allow, "not required");
    check(&p, Some(&guest()), Outcome::Allow, "guest");
}

#[test]
fn allow_anonymous_admits_guests_and_visitors() {
    let p = AuthPolicy { allow_anonymous: true, ..policy() };
    check(&p, None, Outcome::Allow, "anonymous");
    check(&p, Some(&guest()), Outcome::Allow, "guest");
    check(&policy(), Some(&guest()), Outcome::Unauthenticated, "guests are not admitted");
}

#[test]
fn allowed_roles_any_of() {
    let p = AuthPolicy { allowed_roles: strings(&["admin", "editor"]), ..policy() };
    check(&p, Some(&user("a@x.io", &["viewer", "editor"], &[])), Outcome::Allow, "passes");
    check(&p, Some(&user("a@x.io", &["viewer"], &[])), Outcome::Forbidden, "allowed_roles");
    check(&p, Some(&user("a@x.io", &[], &[])), Outcome::Forbidden, "allowed_roles");
}

#[test]
fn allowed_users_by_normalised_email() {
    let p = AuthPolicy { allowed_users: strings(&["Ann@Example.com"]), ..policy() };
    check(&p, Some(&user("ann@example.com", &[], &[])), Outcome::Allow, "passes");
    check(&p, Some(&user("bob@example.com", &[], &[])), Outcome::Forbidden, "allowed_users");
    let mut no_email = user("x@x.io", &[], &[]);
    no_email.email = None;
    check(&p, Some(&no_email), Outcome::Forbidden, "no email");
}

#[test]
fn denied_users_wins_over_everything() {
    let p = AuthPolicy {
        required: false,
        allow_anonymous: true,
        allowed_users: strings(&["ann@example.com"]),
        allowed_roles: strings(&["admin"]),
        denied_users: strings(&[" ANN@example.com "]),
        required_permissions: vec![],
    };
    check(
        &p,
        Some(&user("ann@example.com", &["admin"], &["*"])),
        Outcome::Forbidden,
        "denied_users",
    );
    let mut platform = user("ann@example.com", &["admin"], &[]);
    platform.kind = IdentityKind::Platform;
    check(&p, Some(&platform), Outcome::Forbidden, "denied_users");
}

#[test]
fn required_permissions_all_with_wildcards() {
    let p = AuthPolicy { required_permissions: strings(&["docs:read", "users:write"]), ..policy() };
    check(&p, Some(&user("a@x.io", &[], &["docs:read", "users:write"])), Outcome::Allow, "passes");
    check(&p, Some(&user("a@x.io", &[], &["docs:read"])), Outcome::Forbidden, "`users:write`");
    check(&p, Some(&user("a@x.io", &[], &["docs:*", "*:write"])), Outcome::Allow, "passes");
    check(&p, Some(&user("a@x.io", &[], &["*:*"])), Outcome::Allow, "passes");
    check(&p, Some(&user("a@x.io", &[], &["*"])), Outcome::Allow, "passes");
}

#[test]
fn permission_matching() {
    let held = |v: &[&str]| strings(v);
    assert!(holds(&held(&["docs:*"]), "docs:read"));
    assert!(holds(&held(&["*:read"]), "docs:read"));
    assert!(
        !holds(&held(&["docs:read"]), "docs:*"),
        "a specific grant does not meet a wildcard requirement"
    );
    assert!(holds(&held(&["docs:*"]), "docs:*"));
    assert!(!holds(&held(&["docs:read"]), "docs:write"));
    assert!(!holds(&held(&["doc:read"]), "docs:read"));
    assert!(!holds(&held(&["docs"]), "docs:read"), "malformed held permission grants nothing");
    assert!(!holds(&held(&["*"]), "malformed"), "malformed requirement is never met");
    assert!(!holds(&held(&["a:b:c"]), "a:b"));
    assert!(!holds(&[], "docs:read"));
}

#[test]
fn endpoint_overrides_required_and_anonymous_only() {
    let p = AuthPolicy { denied_users: strings(&["bad@x.io"]), ..policy() };
    let open = WebSocketAuth { required: false, allow_anonymous: false };
    assert_eq!(evaluate(&p, None, Some(&open)).outcome, Outcome::Allow);
    assert_eq!(
        evaluate(&p, Some(&user("bad@x.io", &[], &[])), Some(&open)).outcome,
        Outcome::Forbidden
    );
    let guests = WebSocketAuth { required: true, allow_anonymous: true };
    assert_eq!(evaluate(&p, Some(&guest()), Some(&guests)).outcome, Outcome::Allow);
    let closed = WebSocketAuth::default();
    let open_policy = AuthPolicy { required: false, ..policy() };
    assert_eq!(evaluate(&open_policy, None, Some(&closed)).outcome, Outcome::Unauthenticated);
}

#[test]
fn every_decision_has_a_reason() {
    let p = AuthPolicy { allowed_roles: strings(&["r"]), ..policy() };
    for id in
        [None, Some(guest()), Some(user("a@x.io", &["r"], &[])), Some(user("a@x.io", &[], &[]))]
    {
        assert!(!evaluate(&p, id.as_ref(), None).reason.is_empty());
    }
}
