//! Who is signed in: the session cookie, the operator it names (scoped to their tenant), the
//! language they read in, and the checks every form post passes first (anti-forgery value,
//! the browser's cross-site signals, the operator's role).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use recaudo_domain::portfolio::Language;
use recaudo_store::TenantStore;

pub use recaudo_domain::operators::OperatorRole as Role;

use crate::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "recaudo_session";

/// The cookie that keeps the language an operator switched to.
pub const LANG_COOKIE: &str = "recaudo_lang";

/// The hidden form field that carries the anti-forgery value.
pub const CSRF_FIELD: &str = "csrf";

/// The operator of the request's session. Handlers read the tenant's data through `tenant`
/// only, so an operator sees nothing of another tenant.
#[derive(Clone)]
pub struct Operator {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The language the pages speak: `?lang=`, else the switcher's cookie, else the operator's.
    pub language: Language,
    pub tenant: TenantStore,
    /// The anti-forgery value of this session's forms.
    pub csrf: String,
    /// The request's path and query, for the language switcher and sign-in's way back.
    pub path: String,
}

impl Operator {
    /// Whether the operator may work debtors (agent or admin).
    pub fn can_write(&self) -> bool {
        self.role.allows(Role::Agent)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The text in the operator's language.
    pub fn t(&self, en: &'static str, es: &'static str, pt: &'static str) -> &'static str {
        pick(self.language, en, es, pt)
    }

    /// Checks a form post before anything changes: the anti-forgery value, the browser's
    /// cross-site signals (checked by the extractor for every POST) and a role of at least
    /// `need`. A failure is the 403 page; the caller changes nothing.
    #[allow(clippy::result_large_err)]
    pub fn check_form(&self, fields: &[(String, String)], need: Role) -> Result<(), Response> {
        let given = crate::portal::security::field(fields, CSRF_FIELD).unwrap_or("");
        if !constant_time_eq(given.as_bytes(), self.csrf.as_bytes()) {
            tracing::warn!(operator = %self.user_id, "a dashboard form post without its anti-forgery value");
            return Err(super::layout::forbidden(
                self,
                self.t(
                    "This form has expired. Please go back, reload the page and try again.",
                    "Este formulario ha caducado. Vuelva atrás, recargue la página e inténtelo de nuevo.",
                    "Este formulário expirou. Volte, recarregue a página e tente novamente.",
                ),
            ));
        }
        if !self.role.allows(need) {
            tracing::warn!(operator = %self.user_id, role = %self.role, need = %need, "a dashboard change refused to the role");
            return Err(super::layout::forbidden(
                self,
                match need {
                    Role::Admin => self.t(
                        "Only an administrator can make this change.",
                        "Solo un administrador puede hacer este cambio.",
                        "Somente um administrador pode fazer esta alteração.",
                    ),
                    _ => self.t(
                        "Your role can view this page but not change anything.",
                        "Su rol permite ver esta página, pero no hacer cambios.",
                        "Seu perfil permite ver esta página, mas não fazer alterações.",
                    ),
                },
            ));
        }
        Ok(())
    }
}

/// The text for `lang`.
pub fn pick(lang: Language, en: &'static str, es: &'static str, pt: &'static str) -> &'static str {
    match lang {
        Language::En => en,
        Language::Es => es,
        Language::Pt => pt,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The anti-forgery value of a session: derived from the session's secret, which only the
/// operator's browser holds (in an `HttpOnly` cookie), so another site cannot compute it.
pub fn csrf_of(session_token: &str) -> String {
    hex::encode(Sha256::digest(
        format!("recaudo dashboard csrf\n{session_token}").as_bytes(),
    ))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the browser says the request came from another site (`Sec-Fetch-Site`, else an
/// `Origin` other than the request's host).
pub fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            origin_host != host
        }
        _ => false,
    }
}

/// The language asked for by `?lang=` in a query string.
fn lang_param(query: Option<&str>) -> Option<Language> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| v.parse().ok())
}

/// The sign-in page's address with the way back to `path`.
pub fn login_location(path: &str) -> String {
    format!("/app/login?next={}", super::layout::url_encode(path))
}

/// Whether `next` is a path of the dashboard to go back to after sign-in (never another site).
pub fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with("/app") && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/app".into());
        let to_login = || super::layout::redirect(&login_location(&path));
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let found = state.store.session(token, state.wall_clock.now()).await;
        let (operator, tenant) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return Err(to_login()),
            Err(error) => {
                tracing::error!(error = %error, "dashboard: the session could not be read");
                return Err((
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database does not answer",
                )
                    .into_response());
            }
        };
        let language = lang_param(parts.uri.query())
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|l| l.parse().ok()))
            .unwrap_or(operator.language);
        let op = Operator {
            user_id: operator.id.to_string(),
            email: operator.email,
            name: operator.name,
            role: operator.role,
            language,
            tenant,
            csrf: csrf_of(token),
            path,
        };
        if parts.method != axum::http::Method::GET
            && parts.method != axum::http::Method::HEAD
            && cross_site(&parts.headers)
        {
            tracing::warn!(operator = %op.user_id, "a dashboard post from another site refused");
            return Err(super::layout::forbidden(
                &op,
                op.t(
                    "This request came from another site and was refused.",
                    "Esta solicitud llegó desde otro sitio y fue rechazada.",
                    "Esta solicitação veio de outro site e foi recusada.",
                ),
            ));
        }
        Ok(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; recaudo_session=tok; recaudo_lang=es"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, LANG_COOKIE), Some("es"));
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn only_dashboard_paths_are_followed_after_sign_in() {
        let table = [
            ("/app", true),
            ("/app/debtors?q=ana", true),
            ("//evil.example/app", false),
            ("https://evil.example/app", false),
            ("/api/v1/debts", false),
            ("/app\\@evil", false),
        ];
        for (next, ok) in table {
            assert_eq!(safe_next(next).is_some(), ok, "{next}");
        }
    }

    #[test]
    fn cross_site_posts_are_told_from_same_site_ones() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&headers(&[
            ("origin", "http://h:1"),
            ("host", "h:1")
        ])));
        assert!(cross_site(&headers(&[
            ("origin", "http://evil"),
            ("host", "h:1")
        ])));
        assert!(!cross_site(&headers(&[])));
    }

    #[test]
    fn the_anti_forgery_value_depends_on_the_session() {
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert_eq!(csrf_of("a"), csrf_of("a"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
