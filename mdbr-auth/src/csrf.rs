//! CSRF protection for cookie-authenticated requests that change state: the
//! request must come from the same origin (`Origin`, else `Referer`, matching
//! `Host`, or a configured trusted origin), or carry a double-submit token
//! (`X-CSRF-Token` equal to the `mdbr_csrf_<slug>` cookie) that is bound to
//! the session it accompanies.

use axum::http::{HeaderMap, Method, header};
use mdbr_core::AppSlug;

use crate::crypto::{Signer, ct_eq, sha256_hex};
use crate::error::{Error, Result};

/// The header carrying the double-submit token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether `method` changes state (POST, PUT, PATCH, DELETE).
pub fn is_state_changing(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// Makes and checks CSRF tokens.
#[derive(Debug, Clone)]
pub(crate) struct CsrfGuard {
    signer: Signer,
    trusted_origins: Vec<String>,
}

impl CsrfGuard {
    pub(crate) fn new(server_secret: &[u8], trusted_origins: Vec<String>) -> Self {
        Self { signer: Signer::derive(server_secret, "mdbr-auth csrf v1"), trusted_origins }
    }

    /// The token for the session whose credential is `credential`.
    pub(crate) fn token(&self, app: &AppSlug, credential: &str) -> String {
        self.signer.sign(&message(app, credential))
    }

    /// Accepts the request when it is same-origin or carries a valid token.
    pub(crate) fn check(
        &self,
        app: &AppSlug,
        headers: &HeaderMap,
        cookie_name: &str,
        credential: &str,
    ) -> Result<()> {
        let origin = header_str(headers, header::ORIGIN)
            .filter(|o| *o != "null")
            .map(str::to_owned)
            .or_else(|| header_str(headers, header::REFERER).and_then(origin_of));
        if let (Some(origin), Some(host)) = (&origin, header_str(headers, header::HOST))
            && self.same_origin(origin, host)
        {
            return Ok(());
        }
        let sent = header_str(headers, CSRF_HEADER);
        let cookie = crate::cookie::get(headers, cookie_name);
        match (sent, cookie) {
            (Some(sent), Some(cookie)) => {
                let bound = self.signer.verify(&message(app, credential), sent);
                if ct_eq(sent.as_bytes(), cookie.as_bytes()) && bound {
                    Ok(())
                } else {
                    Err(Error::Csrf {
                        reason: "the CSRF token does not match this session".to_owned(),
                    })
                }
            }
            _ => Err(Error::Csrf {
                reason: match origin {
                    Some(o) => format!(
                        "origin `{o}` is not this site, and no `X-CSRF-Token` header matching \
                         the `{cookie_name}` cookie was sent"
                    ),
                    None => format!(
                        "no Origin or Referer header, and no `X-CSRF-Token` header matching \
                         the `{cookie_name}` cookie was sent"
                    ),
                },
            }),
        }
    }

    fn same_origin(&self, origin: &str, host: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.trusted_origins.contains(&origin) {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else { return false };
        let host = host.to_ascii_lowercase();
        let default_port = match scheme {
            "https" => ":443",
            "http" => ":80",
            _ => return false,
        };
        strip_port(&host, default_port) == strip_port(authority, default_port)
    }
}

fn strip_port<'a>(authority: &'a str, default_port: &str) -> &'a str {
    authority.strip_suffix(default_port).unwrap_or(authority)
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

fn header_str<K: header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn message(app: &AppSlug, credential: &str) -> Vec<u8> {
    format!("csrf\0{app}\0{}", sha256_hex(credential.as_bytes())).into_bytes()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn guard() -> CsrfGuard {
        CsrfGuard::new(
            b"0123456789abcdef0123456789abcdef",
            vec!["https://admin.example.com".into()],
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_passes() {
        let app = AppSlug::parse("a").unwrap();
        let g = guard();
        let ok = |h: HeaderMap| g.check(&app, &h, "mdbr_csrf_a", "cred").is_ok();
        assert!(ok(headers(&[("host", "example.com"), ("origin", "https://example.com")])));
        assert!(ok(headers(&[("host", "example.com:443"), ("origin", "https://example.com")])));
        assert!(ok(headers(&[("host", "127.0.0.1:8000"), ("origin", "http://127.0.0.1:8000")])));
        assert!(ok(headers(&[("host", "x"), ("referer", "http://x/page?q=1")])));
        assert!(ok(headers(&[("host", "x"), ("origin", "https://admin.example.com")])));
        assert!(!ok(headers(&[("host", "example.com"), ("origin", "https://evil.com")])));
        assert!(!ok(headers(&[("host", "example.com"), ("origin", "null")])));
        assert!(!ok(headers(&[("host", "example.com")])));
        assert!(!ok(headers(&[("host", "example.com:8080"), ("origin", "http://example.com")])));
    }

    #[test]
    fn double_submit_token_is_bound_to_the_session() {
        let app = AppSlug::parse("a").unwrap();
        let g = guard();
        let t = g.token(&app, "cred");
        let cookie = format!("mdbr_csrf_a={t}");
        let h = headers(&[("host", "x"), ("x-csrf-token", &t), ("cookie", &cookie)]);
        assert!(g.check(&app, &h, "mdbr_csrf_a", "cred").is_ok());
        assert!(g.check(&app, &h, "mdbr_csrf_a", "another session").is_err());
        let other = g.token(&app, "other");
        let h = headers(&[("host", "x"), ("x-csrf-token", &other), ("cookie", &cookie)]);
        assert!(g.check(&app, &h, "mdbr_csrf_a", "cred").is_err());
    }
}
