//! Signing in and out, the language switcher, and the operator's own account page.
//!
//! A wrong e-mail or password gets one generic answer (which of the two was wrong is not told)
//! and counts against two limits kept in memory: attempts per client IP and per e-mail. Past
//! either, the answer is 429 with `Retry-After`, even for the right password.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use recaudo_domain::Secret;
use recaudo_domain::portfolio::Language;
use serde::Deserialize;

use super::layout::{self, escape, html, redirect};
use super::session::{
    LANG_COOKIE, Operator, Role, SESSION_COOKIE, cookie, cross_site, pick, safe_next,
};
use crate::AppState;
use crate::portal::security::{field, form_fields};

/// Sign-in attempts one client IP may make in [`WINDOW_SECS`].
pub const ATTEMPTS_PER_IP: u32 = 20;
/// Sign-in attempts one e-mail address may get in [`WINDOW_SECS`].
pub const ATTEMPTS_PER_EMAIL: u32 = 5;
/// The rate limits' window: 15 minutes.
pub const WINDOW_SECS: i64 = 15 * 60;

#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// The sign-in page's language: `?lang=`, else the switcher's cookie, else the browser's
/// first language we speak, else Spanish.
fn login_language(query: Option<&str>, headers: &HeaderMap) -> Language {
    query
        .and_then(|l| l.parse().ok())
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(|l| l.parse().ok()))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.split(',')
                        .filter_map(|part| part.split(';').next())
                        .filter_map(|tag| tag.trim().get(..2))
                        .find_map(|code| code.parse::<Language>().ok())
                })
        })
        .unwrap_or(Language::Es)
}

fn login_page(
    status: StatusCode,
    lang: Language,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let t = |en, es, pt| pick(lang, en, es, pt);
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let mut langs = String::new();
    for (code, name) in [("es", "Español"), ("pt", "Português"), ("en", "English")] {
        langs.push_str(&format!(
            "<a href=\"/app/login?lang={code}&amp;next={}\" lang=\"{code}\">{name}</a> ",
            escape(&layout::url_encode(next))
        ));
    }
    let body = format!(
        "<main id=\"main\" class=\"login\">\n<p class=\"brand\">recaudo</p>\n<h1>{title}</h1>\n{error}\
         <form method=\"post\" action=\"/app/login\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
         <label for=\"email\">{email_label}</label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\">\n\
         <label for=\"password\">{password_label}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n\
         <button type=\"submit\">{submit}</button>\n</form>\n\
         <nav class=\"langs\" aria-label=\"{langs_label}\">{langs}</nav>\n\
         <p class=\"hint\"><a href=\"/api/docs\">{api}</a></p>\n</main>\n",
        title = t(
            "Sign in to your team's dashboard",
            "Acceda al panel de su equipo",
            "Entre no painel da sua equipe"
        ),
        next = escape(next),
        lang = lang.as_str(),
        email_label = t("E-mail", "Correo electrónico", "E-mail"),
        email = escape(email),
        password_label = t("Password", "Contraseña", "Senha"),
        submit = t("Sign in", "Entrar", "Entrar"),
        langs_label = t("Language", "Idioma", "Idioma"),
        api = t("API reference", "Referencia de la API", "Referência da API"),
    );
    html(
        status,
        layout::document(lang, t("Sign in", "Entrar", "Entrar"), &body),
    )
}

/// `GET /app/login`.
pub async fn form(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let lang = login_language(q.lang.as_deref(), &headers);
    let next = q.next.as_deref().and_then(safe_next).unwrap_or("/app");
    login_page(StatusCode::OK, lang, next, "", None)
}

fn client_ip(connect: Option<&ConnectInfo<SocketAddr>>) -> String {
    connect
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The `Set-Cookie` value of a session cookie: only sent back over HTTPS when the installation
/// is served over HTTPS (its public URL), never readable by scripts, never sent by another site.
fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = state
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `POST /app/login`.
pub async fn submit(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let connect = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let fields = form_fields(&body).unwrap_or_default();
    let lang = login_language(field(&fields, "lang"), &headers);
    let t = |en, es, pt| pick(lang, en, es, pt);
    let next = field(&fields, "next")
        .and_then(safe_next)
        .unwrap_or("/app")
        .to_string();
    let email = field(&fields, "email").unwrap_or("").trim().to_lowercase();
    let password = Secret::new(field(&fields, "password").unwrap_or("").to_string());
    if cross_site(&headers) {
        tracing::warn!("a sign-in posted from another site refused");
        return login_page(
            StatusCode::FORBIDDEN,
            lang,
            &next,
            "",
            Some(t(
                "This request came from another site and was refused.",
                "Esta solicitud llegó desde otro sitio y fue rechazada.",
                "Esta solicitação veio de outro site e foi recusada.",
            )),
        );
    }
    let now = state.wall_clock.now().timestamp();
    let ip = client_ip(connect.as_ref());
    let limited = state
        .dashboard_rates
        .hit(&format!("login-ip:{ip}"), ATTEMPTS_PER_IP, WINDOW_SECS, now)
        .and_then(|()| {
            state.dashboard_rates.hit(
                &format!("login-email:{email}"),
                ATTEMPTS_PER_EMAIL,
                WINDOW_SECS,
                now,
            )
        });
    if let Err(retry_after) = limited {
        tracing::warn!(%ip, "dashboard sign-in rate limited");
        let mut response = login_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            &next,
            &email,
            Some(t(
                "Too many sign-in attempts. Please wait a few minutes and try again.",
                "Demasiados intentos de acceso. Espere unos minutos e inténtelo de nuevo.",
                "Muitas tentativas de acesso. Aguarde alguns minutos e tente novamente.",
            )),
        );
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let operator = match state.store.check_login(&email, &password).await {
        Ok(Some(operator)) => operator,
        Ok(None) => {
            tracing::info!(%ip, "dashboard sign-in refused: wrong e-mail or password");
            return login_page(
                StatusCode::UNAUTHORIZED,
                lang,
                &next,
                &email,
                Some(t(
                    "The e-mail or the password is not right.",
                    "El correo electrónico o la contraseña no son correctos.",
                    "O e-mail ou a senha não estão corretos.",
                )),
            );
        }
        Err(error) => {
            tracing::error!(error = %error, "dashboard sign-in: the store failed");
            return login_page(
                StatusCode::SERVICE_UNAVAILABLE,
                lang,
                &next,
                &email,
                Some(t(
                    "Signing in is not possible right now. Please try again in a moment.",
                    "No es posible acceder en este momento. Inténtelo de nuevo en un momento.",
                    "Não é possível entrar agora. Tente novamente em instantes.",
                )),
            );
        }
    };
    let token = match state
        .store
        .open_session(&operator, state.wall_clock.now())
        .await
    {
        Ok(token) => token,
        Err(error) => {
            tracing::error!(error = %error, "dashboard sign-in: the session was not stored");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    tracing::info!(operator = %operator.id, "dashboard sign-in");
    let mut response = redirect(&next);
    let max_age = recaudo_store::SESSION_HOURS * 3600;
    if let Ok(value) =
        HeaderValue::from_str(&session_cookie(&state, token.expose_secret(), max_age))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /app/logout`: ends the session (any role may sign out).
pub async fn logout(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Viewer) {
        return refused;
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(error) = state.store.close_session(token).await
    {
        return layout::failure(&op, &error);
    }
    let mut response = redirect("/app/login");
    if let Ok(value) = HeaderValue::from_str(&session_cookie(&state, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Deserialize, Default)]
pub struct Back {
    back: Option<String>,
}

/// `GET /app/language/{code}?back=`: keeps the language in a cookie and goes back. It changes
/// only how this browser's pages read, so it needs no role and no anti-forgery value.
pub async fn language(Path(code): Path<String>, Query(q): Query<Back>) -> Response {
    let back = q.back.as_deref().and_then(safe_next).unwrap_or("/app");
    // The language in `back`'s own `?lang=` would win over the cookie: drop it.
    let back = strip_lang(back);
    let mut response = redirect(&back);
    if let Ok(lang) = code.parse::<Language>()
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            lang.as_str()
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn strip_lang(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with("lang="))
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// `GET /app/account`: who is signed in, their tenant and role.
pub async fn account(op: Operator) -> Response {
    let tenant = op.tenant.tenant();
    let role = op.role.as_str();
    let body = format!(
        "<dl class=\"facts\">\n<dt>{name_l}</dt><dd>{name}</dd>\n<dt>{email_l}</dt><dd>{email}</dd>\n\
         <dt>{role_l}</dt><dd>{role}</dd>\n<dt>{tenant_l}</dt><dd>{tenant}</dd>\n\
         <dt>{zone_l}</dt><dd>{zone}</dd>\n<dt>{currency_l}</dt><dd>{currency}</dd>\n</dl>\n\
         <p>{what}</p>\n",
        name_l = op.t("Name", "Nombre", "Nome"),
        name = escape(&op.name),
        email_l = op.t("E-mail", "Correo electrónico", "E-mail"),
        email = escape(&op.email),
        role_l = op.t("Role", "Rol", "Perfil"),
        tenant_l = op.t("Company", "Empresa", "Empresa"),
        tenant = escape(&tenant.name),
        zone_l = op.t("Time zone", "Zona horaria", "Fuso horário"),
        zone = escape(&tenant.timezone),
        currency_l = op.t("Currency", "Moneda", "Moeda"),
        currency = tenant.currency.code(),
        what = match op.role {
            Role::Admin => op.t(
                "You can see every page, work debtors, and change strategies, templates and imports.",
                "Puede ver todas las páginas, gestionar deudores y cambiar estrategias, plantillas e importaciones.",
                "Você pode ver todas as páginas, atender devedores e alterar estratégias, modelos e importações.",
            ),
            Role::Agent => op.t(
                "You can see every page and work debtors: tasks, replies, promises, payments, disputes and retries.",
                "Puede ver todas las páginas y gestionar deudores: tareas, respuestas, promesas, pagos, disputas y reintentos.",
                "Você pode ver todas as páginas e atender devedores: tarefas, respostas, promessas, pagamentos, disputas e novas tentativas.",
            ),
            Role::Viewer => op.t(
                "You can see every page; changes are made by agents and administrators.",
                "Puede ver todas las páginas; los cambios los hacen agentes y administradores.",
                "Você pode ver todas as páginas; as alterações são feitas por agentes e administradores.",
            ),
        },
    );
    layout::page(
        &op,
        layout::Nav::Account,
        op.t("My account", "Mi cuenta", "Minha conta"),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_parameter_is_dropped_from_the_way_back() {
        assert_eq!(strip_lang("/app?lang=es"), "/app");
        assert_eq!(
            strip_lang("/app/aging?from=2026-01-01&lang=pt&by=segment"),
            "/app/aging?from=2026-01-01&by=segment"
        );
        assert_eq!(strip_lang("/app/debtors"), "/app/debtors");
    }

    #[test]
    fn the_sign_in_page_speaks_the_browsers_language() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("pt-BR,pt;q=0.9,en;q=0.8"),
        );
        assert_eq!(login_language(None, &headers), Language::Pt);
        assert_eq!(login_language(Some("en"), &headers), Language::En);
        assert_eq!(login_language(None, &HeaderMap::new()), Language::Es);
    }
}
