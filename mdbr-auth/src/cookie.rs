//! Reading the `Cookie` header and writing `Set-Cookie` values.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::error::{Error, Result};

/// The first cookie called `name` in the request's `Cookie` headers.
pub(crate) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
}

/// A `Set-Cookie` value: always `Path=/`.
#[derive(Debug, Clone)]
pub(crate) struct SetCookie<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
    pub(crate) max_age: Option<u64>,
    pub(crate) http_only: bool,
    pub(crate) secure: bool,
}

impl SetCookie<'_> {
    pub(crate) fn header(&self) -> Result<HeaderValue> {
        let mut out = format!("{}={}; Path=/; SameSite=Lax", self.name, self.value);
        if let Some(age) = self.max_age {
            out.push_str(&format!("; Max-Age={age}"));
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        HeaderValue::from_str(&out)
            .map_err(|_| Error::internal(format!("cookie `{}` has an invalid value", self.name)))
    }
}

/// A `Set-Cookie` value deleting cookie `name`.
pub(crate) fn clear(name: &str, http_only: bool, secure: bool) -> Result<HeaderValue> {
    SetCookie { name, value: "", max_age: Some(0), http_only, secure }.header()
}

/// Whether `name` is usable as a cookie name (an RFC 6265 token).
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_from_every_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("c=\"3\""));
        assert_eq!(get(&h, "b"), Some("2"));
        assert_eq!(get(&h, "c"), Some("3"));
        assert_eq!(get(&h, "d"), None);
    }

    #[test]
    fn writes_flags() {
        let v =
            SetCookie { name: "s", value: "v", max_age: Some(60), http_only: true, secure: true }
                .header()
                .unwrap();
        assert_eq!(v, "s=v; Path=/; SameSite=Lax; Max-Age=60; HttpOnly; Secure");
        assert!(is_valid_name("app_session_hello-world"));
        assert!(!is_valid_name("bad name"));
    }
}
