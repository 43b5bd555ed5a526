//! The tenant's team (`/app/team`): every operator with their role, and for an administrator
//! the forms to add one (the password is made here and shown once) and to disable one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use recaudo_domain::Secret;
use recaudo_domain::operators::OperatorRole;
use recaudo_domain::portfolio::Language;
use recaudo_store::{NewOperator, Operator as Account, StoreError};

use super::layout::{self, Nav, escape, form_start};
use super::session::{Operator, Role};
use crate::AppState;
use crate::portal::security::{field, form_fields};

fn role_label(op: &Operator, role: OperatorRole) -> &'static str {
    match role {
        Role::Admin => op.t("administrator", "administrador", "administrador"),
        Role::Agent => op.t("agent", "agente", "agente"),
        Role::Viewer => op.t("viewer", "observador", "observador"),
    }
}

/// What the page shows above the list: a made password, or the error of the add form.
enum Said<'a> {
    Nothing,
    Made { email: &'a str, password: &'a str },
    Disabled(&'a str),
    Error { field: &'a str, message: String },
}

async fn render(state: &AppState, op: &Operator, status: StatusCode, said: Said<'_>) -> Response {
    let team = match state.store.list_operators(op.tenant.tenant().id).await {
        Ok(team) => team,
        Err(error) => return layout::failure(op, &error),
    };
    let mut body = String::new();
    match &said {
        Said::Made { email, password } => body.push_str(&format!(
            "<div class=\"notice\" role=\"status\" id=\"made\"><p>{}</p><p><strong>{}</strong> · \
             <code id=\"made-password\">{}</code></p></div>",
            op.t(
                "The account is ready. Give this password to its owner now: it is not shown again.",
                "La cuenta está lista. Entregue ahora esta contraseña a su titular: no se volverá a mostrar.",
                "A conta está pronta. Entregue agora esta senha ao titular: ela não será mostrada novamente.",
            ),
            escape(email),
            escape(password)
        )),
        Said::Disabled(email) => body.push_str(&format!(
            "<p class=\"ok\" role=\"status\">{} {}</p>",
            escape(email),
            op.t(
                "can no longer sign in.",
                "ya no puede iniciar sesión.",
                "não pode mais entrar."
            )
        )),
        Said::Error { field: "disable", message } => body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(message)
        )),
        Said::Nothing | Said::Error { .. } => {}
    }
    body.push_str(&format!(
        "<div class=\"table-wrap\"><table><caption class=\"muted\">{caption}</caption><thead><tr>\
         <th>{name}</th><th>{email}</th><th>{role}</th><th>{lang}</th><th>{status}</th><th></th>\
         </tr></thead><tbody>",
        caption = op.t(
            "People who sign in to this company's dashboard",
            "Personas que acceden al panel de esta empresa",
            "Pessoas que acessam o painel desta empresa"
        ),
        name = op.t("Name", "Nombre", "Nome"),
        email = op.t("E-mail", "Correo electrónico", "E-mail"),
        role = op.t("Role", "Rol", "Perfil"),
        lang = op.t("Language", "Idioma", "Idioma"),
        status = op.t("Status", "Estado", "Situação"),
    ));
    for member in &team {
        let active = member.disabled_at.is_none();
        let action = if op.is_admin() && active && member.email != op.email {
            format!(
                "{}<input type=\"hidden\" name=\"email\" value=\"{}\">\
                 <button type=\"submit\" class=\"secondary\" aria-label=\"{} {}\">{}</button></form>",
                form_start(op, "/app/team/disable"),
                escape(&member.email),
                op.t("Disable", "Desactivar", "Desativar"),
                escape(&member.email),
                op.t("Disable", "Desactivar", "Desativar"),
            )
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
            escape(&member.name),
            escape(&member.email),
            role_label(op, member.role),
            member.language.as_str(),
            if active {
                op.t("active", "activa", "ativa")
            } else {
                op.t("disabled", "desactivada", "desativada")
            },
        ));
    }
    body.push_str(&format!(
        "</tbody></table></div><p class=\"export\"><a href=\"/app/team.csv\">{}</a></p>",
        op.t("Download CSV", "Descargar CSV", "Baixar CSV")
    ));
    if op.is_admin() {
        body.push_str(&add_form(op, &said));
    } else {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            op.t(
                "Only an administrator can add or disable accounts.",
                "Solo un administrador puede agregar o desactivar cuentas.",
                "Somente um administrador pode adicionar ou desativar contas."
            )
        ));
    }
    layout::page_status(op, status, Nav::Team, Nav::Team.label(op.language), &body)
}

fn add_form(op: &Operator, said: &Said<'_>) -> String {
    let error_at = |name: &str| match said {
        Said::Error { field, message } if *field == name => format!(
            "<p class=\"field-error\" id=\"{name}-error\" role=\"alert\">{}</p>",
            escape(message)
        ),
        _ => String::new(),
    };
    let mut roles = String::new();
    for role in [Role::Agent, Role::Viewer, Role::Admin] {
        roles.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            role.as_str(),
            role_label(op, role)
        ));
    }
    let mut langs = String::new();
    for (lang, name) in [
        (Language::Es, "Español"),
        (Language::Pt, "Português"),
        (Language::En, "English"),
    ] {
        let selected = if lang == op.tenant.tenant().language {
            " selected"
        } else {
            ""
        };
        langs.push_str(&format!(
            "<option value=\"{}\"{selected}>{name}</option>",
            lang.as_str()
        ));
    }
    format!(
        "<h2>{title}</h2>{form}\
         <label for=\"new-name\">{name}</label><input id=\"new-name\" name=\"name\" required maxlength=\"100\">{name_error}\
         <label for=\"new-email\">{email}</label><input id=\"new-email\" name=\"email\" type=\"email\" required>{email_error}\
         <label for=\"new-role\">{role}</label><select id=\"new-role\" name=\"role\">{roles}</select>\
         <label for=\"new-language\">{lang}</label><select id=\"new-language\" name=\"language\">{langs}</select>\
         <p><button type=\"submit\">{add}</button></p></form>",
        title = op.t(
            "Add a person",
            "Agregar una persona",
            "Adicionar uma pessoa"
        ),
        form = form_start(op, "/app/team"),
        name = op.t("Name", "Nombre", "Nome"),
        name_error = error_at("name"),
        email = op.t("E-mail", "Correo electrónico", "E-mail"),
        email_error = error_at("email"),
        role = op.t("Role", "Rol", "Perfil"),
        lang = op.t("Language", "Idioma", "Idioma"),
        add = op.t(
            "Add and make a password",
            "Agregar y crear una contraseña",
            "Adicionar e criar uma senha"
        ),
    )
}

/// `GET /app/team`.
pub async fn page(State(state): State<AppState>, op: Operator) -> Response {
    render(&state, &op, StatusCode::OK, Said::Nothing).await
}

/// `GET /app/team.csv`: the team as listed (never a password or its hash).
pub async fn csv(State(state): State<AppState>, op: Operator) -> Response {
    let team = match state.store.list_operators(op.tenant.tenant().id).await {
        Ok(team) => team,
        Err(error) => return layout::failure(&op, &error),
    };
    let rows = team
        .into_iter()
        .map(|m| {
            vec![
                m.name,
                m.email,
                m.role.as_str().to_string(),
                m.language.as_str().to_string(),
                m.created_at.to_rfc3339(),
                m.disabled_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            ]
        })
        .collect();
    layout::csv_response(
        "team.csv",
        &[
            "name",
            "email",
            "role",
            "language",
            "created_at",
            "disabled_at",
        ],
        rows,
    )
}

/// `POST /app/team`: an administrator adds an operator of their own tenant.
pub async fn add(State(state): State<AppState>, op: Operator, body: Bytes) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Admin) {
        return refused;
    }
    let role = match field(&fields, "role").unwrap_or("").parse::<OperatorRole>() {
        Ok(role) => role,
        Err(error) => {
            let said = Said::Error {
                field: "role",
                message: error.to_string(),
            };
            return render(&state, &op, StatusCode::UNPROCESSABLE_ENTITY, said).await;
        }
    };
    let password = recaudo_store::new_password();
    let new = NewOperator {
        email: field(&fields, "email").unwrap_or("").to_string(),
        name: field(&fields, "name").unwrap_or("").to_string(),
        role,
        language: field(&fields, "language").and_then(|l| l.parse().ok()),
        password: Secret::new(password.expose_secret().clone()),
    };
    let now = state.clock.now();
    match state
        .store
        .create_operator(op.tenant.tenant().id, new, now)
        .await
    {
        Ok(Account { email, .. }) => {
            tracing::info!(operator = %op.user_id, added = %email, "dashboard: an operator added");
            let said = Said::Made {
                email: &email,
                password: password.expose_secret(),
            };
            render(&state, &op, StatusCode::OK, said).await
        }
        Err(StoreError::Invalid { field, message }) => {
            let field = if field == "name" { "name" } else { "email" };
            render(
                &state,
                &op,
                StatusCode::UNPROCESSABLE_ENTITY,
                Said::Error { field, message },
            )
            .await
        }
        Err(StoreError::Duplicate { .. }) => {
            let message = op
                .t(
                    "This e-mail already has an account.",
                    "Este correo electrónico ya tiene una cuenta.",
                    "Este e-mail já tem uma conta.",
                )
                .to_string();
            render(
                &state,
                &op,
                StatusCode::UNPROCESSABLE_ENTITY,
                Said::Error {
                    field: "email",
                    message,
                },
            )
            .await
        }
        Err(error) => layout::failure(&op, &error),
    }
}

/// `POST /app/team/disable`: an administrator disables an operator of their own tenant (never
/// themselves: a tenant keeps someone who can sign in).
pub async fn disable(State(state): State<AppState>, op: Operator, body: Bytes) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Admin) {
        return refused;
    }
    let email = field(&fields, "email").unwrap_or("").trim().to_lowercase();
    if email == op.email {
        let message = op
            .t(
                "You cannot disable your own account.",
                "No puede desactivar su propia cuenta.",
                "Você não pode desativar a sua própria conta.",
            )
            .to_string();
        return render(
            &state,
            &op,
            StatusCode::UNPROCESSABLE_ENTITY,
            Said::Error {
                field: "disable",
                message,
            },
        )
        .await;
    }
    match state
        .store
        .disable_operator(op.tenant.tenant().id, &email, state.clock.now())
        .await
    {
        Ok(()) => {
            tracing::info!(operator = %op.user_id, disabled = %email, "dashboard: an operator disabled");
            render(&state, &op, StatusCode::OK, Said::Disabled(&email)).await
        }
        Err(StoreError::NotFound { .. } | StoreError::Invalid { .. }) => layout::not_found(&op),
        Err(error) => layout::failure(&op, &error),
    }
}
