//! The portal's defences: anti-forgery values on every form (stateless: an HMAC of the page's
//! token, the form's name and the hour, under the link key), the browser's own cross-site
//! signals (`Sec-Fetch-Site`, `Origin`), rate limits per client IP and per token kept in memory,
//! and the security headers every portal answer carries.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::context::PortalCtx;

/// The hidden form field that carries the anti-forgery value.
pub const CSRF_FIELD: &str = "csrf";

/// How many requests the portal takes before answering 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalLimits {
    /// Requests per minute from one client IP (every portal page, asset and document).
    pub ip_per_minute: u32,
    /// Form posts per hour on one link.
    pub posts_per_hour: u32,
}

impl Default for PortalLimits {
    fn default() -> Self {
        PortalLimits {
            ip_per_minute: 120,
            posts_per_hour: 30,
        }
    }
}

/// Fixed-window counters by key, in memory (one process; a restart forgets them, which only
/// ever lets a little more through).
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

/// Counters kept before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

impl RateLimiter {
    /// Counts one request of `key` in the window of `window_secs` that holds `now_secs`;
    /// `Err(retry_after_secs)` once more than `limit` fell in it.
    pub fn hit(&self, key: &str, limit: u32, window_secs: i64, now_secs: i64) -> Result<(), i64> {
        let window = now_secs.div_euclid(window_secs);
        let mut windows = match self.windows.lock() {
            Ok(windows) => windows,
            // A panic while counting leaves only counters behind: they are still usable.
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (w, _)| *w >= window - 1);
        }
        let entry = windows.entry(key.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > limit {
            Err((window + 1) * window_secs - now_secs)
        } else {
            Ok(())
        }
    }
}

/// The Content-Security-Policy of every portal answer: nothing but our own styles and images.
pub const CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the portal's security headers; `cache` is how a page may be cached (`no-store` for
/// pages, long for static assets).
pub fn harden(headers: &mut HeaderMap, cache: &'static str) {
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // The token in the URL must not travel to another site.
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, cache);
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    set(headers, HeaderName::from_static("x-robots-tag"), "noindex");
}

/// Hours since the Unix epoch: the anti-forgery value's time step.
fn hour(ctx: &PortalCtx) -> i64 {
    ctx.wall_now.timestamp().div_euclid(3600)
}

/// The anti-forgery value of a form of this page, issued now.
pub fn csrf_value(ctx: &PortalCtx, form: &str) -> String {
    ctx.signer.csrf(&ctx.token, form, hour(ctx))
}

/// Whether the browser says the request came from another site: `Sec-Fetch-Site` present and
/// neither `same-origin` nor `none`, or an `Origin` that is not this server's.
fn cross_site(ctx: &PortalCtx) -> bool {
    let headers = &ctx.headers;
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    // The portal's `Referrer-Policy: no-referrer` makes browsers send `Origin: null` with its
    // own form posts: then only `Sec-Fetch-Site: same-origin` (checked above when present)
    // tells them from a post of another site or a sandboxed frame.
    if origin == "null" {
        return headers.get("sec-fetch-site").is_none();
    }
    let mut own: Vec<String> = vec![origin_of(ctx.signer.base_url())];
    if let Some(public) = &ctx.state.public_url {
        own.push(origin_of(public));
    }
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        own.push(format!("http://{host}"));
        own.push(format!("https://{host}"));
    }
    !own.iter().any(|o| o.eq_ignore_ascii_case(origin))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// Checks a form post of this page: the anti-forgery value `given` (this hour's or the last
/// hour's for this form) and the browser's cross-site signals. A failure is the 403 page, in
/// the page's language; the caller changes nothing.
#[allow(clippy::result_large_err)]
pub fn check_csrf(ctx: &PortalCtx, given: &str) -> Result<(), Response> {
    let now = hour(ctx);
    let genuine = [now, now - 1]
        .iter()
        .any(|&h| ctx.signer.csrf_matches(&ctx.token, &ctx.form, h, given));
    if !genuine || cross_site(ctx) {
        tracing::warn!(form = %ctx.form, genuine, "a portal form post refused as forged");
        return Err(super::layout::forbidden_page(ctx));
    }
    Ok(())
}

/// A URL-encoded form body's fields, in order (a checkbox group repeats its name); `None` when
/// the body does not decode.
pub fn form_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(body).ok()
}

/// The first value of a form field.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a form field (a checkbox group).
pub fn fields<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// 303 See Other to `location` (a path of this portal): the end of a successful form post.
pub fn see_other(location: &str) -> Response {
    let mut response = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    harden(response.headers_mut(), "no-store");
    response
}

/// The WCAG relative luminance of `#rrggbb`.
pub fn luminance(rgb: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
}

/// The WCAG contrast ratio of two luminances.
pub fn contrast(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    (hi + 0.05) / (lo + 0.05)
}

/// `#rrggbb` read, if it is one.
pub fn parse_colour(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// The text colour on a background of `rgb`: white or black, whichever contrasts more (at
/// least 4.58:1 for any background, since the two curves cross at that ratio).
pub fn text_on(rgb: [u8; 3]) -> &'static str {
    let background = luminance(rgb);
    if contrast(background, 1.0) >= contrast(background, 0.0) {
        "#ffffff"
    } else {
        "#000000"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn text_on_any_colour_contrasts_enough(r in 0u8..=255, g in 0u8..=255, b in 0u8..=255) {
            let text = parse_colour(text_on([r, g, b])).expect("a colour");
            let ratio = contrast(luminance([r, g, b]), luminance(text));
            prop_assert!(ratio >= 4.5, "{r} {g} {b}: {ratio}");
        }
    }

    #[test]
    fn windows_count_and_reset() {
        let limiter = RateLimiter::default();
        assert_eq!(limiter.hit("a", 2, 60, 120), Ok(()));
        assert_eq!(limiter.hit("a", 2, 60, 130), Ok(()));
        assert_eq!(limiter.hit("a", 2, 60, 150), Err(30));
        assert_eq!(limiter.hit("b", 2, 60, 150), Ok(()));
        assert_eq!(limiter.hit("a", 2, 60, 180), Ok(()));
        assert_eq!(text_on([255, 255, 255]), "#000000");
        assert_eq!(text_on([0, 0, 0]), "#ffffff");
        assert_eq!(parse_colour("#12ab"), None);
        assert_eq!(origin_of("https://x.example/p"), "https://x.example");
    }
}
