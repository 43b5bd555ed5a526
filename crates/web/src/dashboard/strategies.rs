//! The strategy editor: the tenant's strategies, and one strategy's YAML in an editor that
//! validates it (the same parse and checks as `POST /api/v1/strategies`), previews what the
//! planner would decide for its debts on their next local day (writing nothing), and saves it
//! as a new version (admins only).

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use recaudo_domain::portfolio::Language;
use recaudo_domain::strategy::{
    Seg, StrategyError, TemplateCatalogue, YamlPath, locate, parse_strategy,
};
use recaudo_engine::preview::{PREVIEW_DEBTS, StrategyPreview, preview_strategy};
use recaudo_store::{StoreError, StoredStrategy};

use super::layout::{self, Nav, csv_response, escape, form_start, page};
use super::session::{Operator, Role};
use crate::AppState;
use crate::portal::security::{field, form_fields, see_other};

/// Where the editor's form posts.
const EDITOR_ACTION: &str = "/app/strategies";

/// The document a new strategy starts from.
const STARTER: &str = "id: new-strategy
name: New strategy
version: 1
priority: 0
pause_while: [promise_active, dispute_open, plan_current]
steps:
  - { id: pre-3, at: due-3d, send: { channel: email, template: reminder_soft } }
  - { id: due, at: due, send: { channel: sms, template: due_today, fallback: [email] } }
  - { id: late-5, at: due+5d, send: { channel: whatsapp, template: overdue_soft, fallback: [sms, email] } }
";

/// The 1-based line and column where the node at `path` (`steps[2].send.channel`, `version`;
/// `.` or empty for the whole document) starts in `source`, or where the deepest node of the
/// path that exists does; `None` when the path cannot be read or the document does not parse.
pub fn line_of(source: &str, path: &str) -> Option<(usize, usize)> {
    let path = parse_path(path)?;
    if path.0.is_empty() {
        return Some((1, 1));
    }
    locate(source, &path)
}

/// `steps[2].send.channel` as a [`YamlPath`]; `None` for text that is not such a path.
fn parse_path(text: &str) -> Option<YamlPath> {
    let text = text.trim();
    let mut segments = Vec::new();
    if text.is_empty() || text == "." {
        return Some(YamlPath(segments));
    }
    for part in text.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(open) => part.split_at(open),
            None => (part, ""),
        };
        if key.is_empty() && segments.is_empty() {
            return None;
        }
        if !key.is_empty() {
            segments.push(Seg::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let inner = rest.strip_prefix('[')?;
            let close = inner.find(']')?;
            let index = inner[..close].parse::<usize>().ok()?;
            segments.push(Seg::Index(index));
            rest = &inner[close + 1..];
        }
    }
    Some(YamlPath(segments))
}

/// Errors of a document, each with a line: the parser's and validator's own positions, else
/// the line of its path.
fn with_lines(source: &str, mut errors: Vec<StrategyError>) -> Vec<StrategyError> {
    for error in &mut errors {
        if error.line == 0
            && let Some((line, column)) = line_of(source, &error.path)
        {
            error.line = line;
            error.column = column;
        }
    }
    errors
}

/// `path` with the page's language (`?lang=`), so that the answer to a form speaks it too.
pub fn in_language(op: &Operator, path: &str) -> String {
    let join = if path.contains('?') { '&' } else { '?' };
    format!("{path}{join}lang={}", op.language.as_str())
}

/// `text` as one segment of a URL path: unreserved characters as they are, the rest
/// percent-encoded (a strategy id may hold `/` or `?`).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn retired_text(op: &Operator, s: &StoredStrategy) -> String {
    match s.retired_at {
        Some(at) => at.format("%Y-%m-%d").to_string(),
        None => op.t("no", "no", "não").to_string(),
    }
}

/// `GET /app/strategies`: the latest version of each strategy with the debts that follow it.
pub async fn list(op: Operator) -> Response {
    let (strategies, counts) = match load_list(&op).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut body = String::new();
    body.push_str("<div class=\"editor-bar\">");
    if op.is_admin() {
        body.push_str(&format!(
            "<a class=\"editor-button\" href=\"/app/strategies/new\">{}</a>",
            op.t("New strategy", "Nueva estrategia", "Nova estratégia")
        ));
    }
    body.push_str(&format!(
        "<a class=\"editor-button secondary\" href=\"/app/strategies.csv\" download>{}</a></div>",
        op.t("Export CSV", "Exportar CSV", "Exportar CSV")
    ));
    if strategies.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>",
            op.t(
                "No strategy yet.",
                "Aún no hay estrategias.",
                "Ainda não há estratégias."
            )
        ));
    } else {
        body.push_str(&format!(
            "<table class=\"editor-table\"><thead><tr><th>{}</th><th>{}</th><th class=\"editor-num\">{}</th>\
             <th class=\"editor-num\">{}</th><th class=\"editor-num\">{}</th><th>{}</th></tr></thead><tbody>",
            op.t("Id", "Id", "Id"),
            op.t("Name", "Nombre", "Nome"),
            op.t("Version", "Versión", "Versão"),
            op.t("Priority", "Prioridad", "Prioridade"),
            op.t("Debts assigned", "Deudas asignadas", "Dívidas atribuídas"),
            op.t("Retired", "Retirada", "Retirada"),
        ));
        for s in &strategies {
            body.push_str(&format!(
                "<tr><td><a href=\"/app/strategies/{}\"><code>{}</code></a></td><td>{}</td>\
                 <td class=\"editor-num\">{}</td><td class=\"editor-num\">{}</td><td class=\"editor-num\">{}</td>\
                 <td>{}</td></tr>",
                escape(&path_segment(&s.strategy_id)),
                escape(&s.strategy_id),
                escape(s.name.as_deref().unwrap_or("")),
                s.version,
                s.priority,
                counts.get(&s.strategy_id).copied().unwrap_or(0),
                escape(&retired_text(&op, s)),
            ));
        }
        body.push_str("</tbody></table>");
    }
    page(
        &op,
        Nav::Strategies,
        op.t("Strategies", "Estrategias", "Estratégias"),
        &body,
    )
}

async fn load_list(
    op: &Operator,
) -> Result<(Vec<StoredStrategy>, BTreeMap<String, u64>), Response> {
    let strategies = op
        .tenant
        .list_strategies()
        .await
        .map_err(|e| failure(op, &e))?;
    let counts = op
        .tenant
        .strategy_debt_counts()
        .await
        .map_err(|e| failure(op, &e))?;
    Ok((strategies, counts))
}

/// `GET /app/strategies.csv`: the list as CSV.
pub async fn list_csv(op: Operator) -> Response {
    let (strategies, counts) = match load_list(&op).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let rows = strategies
        .iter()
        .map(|s| {
            vec![
                s.strategy_id.clone(),
                s.name.clone().unwrap_or_default(),
                s.version.to_string(),
                s.priority.to_string(),
                counts.get(&s.strategy_id).copied().unwrap_or(0).to_string(),
                s.retired_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                s.created_at.to_rfc3339(),
            ]
        })
        .collect();
    csv_response(
        "strategies.csv",
        &[
            "id",
            "name",
            "version",
            "priority",
            "debts_assigned",
            "retired_at",
            "created_at",
        ],
        rows,
    )
}

/// A store failure as the 500 page (logged).
fn failure(op: &Operator, error: &StoreError) -> Response {
    layout::failure(op, error)
}

/// What the editor shows below the document.
enum Outcome {
    None,
    Saved(u32),
    /// Valid: its id, version, steps and experiments.
    Valid(String, u32, usize, usize),
    Invalid(Vec<StrategyError>),
    Preview(Box<StrategyPreview>),
}

/// The editor: `strategy` is the id the page is about (`None` for a new one).
struct Editor<'a> {
    strategy: Option<&'a str>,
    versions: &'a [StoredStrategy],
    source: &'a str,
    outcome: Outcome,
}

/// `GET /app/strategies/new`.
pub async fn new(op: Operator) -> Response {
    render(
        &op,
        Editor {
            strategy: None,
            versions: &[],
            source: STARTER,
            outcome: Outcome::None,
        },
    )
}

/// `GET /app/strategies/{id}`: its latest version, or `?version=N`; `?saved=N` after a save.
pub async fn edit(
    op: Operator,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let versions = match op.tenant.strategy_versions(&id).await {
        Ok(versions) => versions,
        Err(StoreError::NotFound { .. }) => return layout::not_found(&op),
        Err(error) => return failure(&op, &error),
    };
    let wanted = query.get("version").and_then(|v| v.parse::<u32>().ok());
    let shown = wanted
        .and_then(|n| versions.iter().find(|s| s.version == n))
        .or(versions.last());
    let Some(shown) = shown else {
        return layout::not_found(&op);
    };
    let outcome = match query.get("saved").and_then(|v| v.parse::<u32>().ok()) {
        Some(version) => Outcome::Saved(version),
        None => Outcome::None,
    };
    render(
        &op,
        Editor {
            strategy: Some(&id),
            versions: &versions,
            source: &shown.source,
            outcome,
        },
    )
}

/// `POST /app/strategies`: `action` = `validate`, `preview` (anyone signed in) or
/// `save` (admins), with the document in `source` and the page's strategy in `strategy`.
pub async fn post(op: Operator, State(state): State<AppState>, body: Bytes) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    let action = field(&fields, "action").unwrap_or("validate");
    let need = if action == "save" {
        Role::Admin
    } else {
        Role::Viewer
    };
    if let Err(refused) = op.check_form(&fields, need) {
        return refused;
    }
    // Browsers send CRLF from a textarea; the document is stored with LF.
    let source = field(&fields, "source").unwrap_or("").replace("\r\n", "\n");
    let page_strategy = field(&fields, "strategy").filter(|s| !s.is_empty());
    let versions = match page_strategy {
        Some(id) => match op.tenant.strategy_versions(id).await {
            Ok(versions) => versions,
            Err(StoreError::NotFound { .. }) => Vec::new(),
            Err(error) => return failure(&op, &error),
        },
        None => Vec::new(),
    };
    let now = state.clock.now();
    let outcome = match action {
        "save" => match op.tenant.put_strategy(&source, now).await {
            Ok(put) => {
                return see_other(&in_language(
                    &op,
                    &format!(
                        "/app/strategies/{}?saved={}",
                        path_segment(&put.strategy.strategy_id),
                        put.strategy.version
                    ),
                ));
            }
            Err(StoreError::InvalidStrategy(errors)) => {
                Outcome::Invalid(with_lines(&source, errors))
            }
            Err(StoreError::VersionConflict {
                strategy_id,
                version,
                latest,
            }) => Outcome::Invalid(vec![version_conflict(
                &op,
                &source,
                &strategy_id,
                version,
                latest,
            )]),
            Err(error) => return failure(&op, &error),
        },
        "preview" => match parse_strategy(&source, TemplateCatalogue::builtin()) {
            Ok(compiled) => match preview_strategy(&op.tenant, compiled, now).await {
                Ok(preview) => Outcome::Preview(Box::new(preview)),
                Err(error) => return layout::failure(&op, &error),
            },
            Err(errors) => Outcome::Invalid(with_lines(&source, errors)),
        },
        _ => match parse_strategy(&source, TemplateCatalogue::builtin()) {
            Ok(compiled) => {
                let s = compiled.strategy;
                Outcome::Valid(s.id, s.version, s.steps.len(), s.experiments.len())
            }
            Err(errors) => Outcome::Invalid(with_lines(&source, errors)),
        },
    };
    render(
        &op,
        Editor {
            strategy: page_strategy,
            versions: &versions,
            source: &source,
            outcome,
        },
    )
}

/// A save under a version already stored (or below the latest): an error on `version:`.
fn version_conflict(
    op: &Operator,
    source: &str,
    strategy_id: &str,
    version: u32,
    latest: u32,
) -> StrategyError {
    let (line, column) = line_of(source, "version").unwrap_or((1, 1));
    let next = latest.saturating_add(1);
    let message = match op.language {
        Language::Es => format!(
            "la versión {version} de `{strategy_id}` ya está guardada (la última es la {latest}): \
             para guardar un cambio, ponga `version: {next}`"
        ),
        Language::Pt => format!(
            "a versão {version} de `{strategy_id}` já está salva (a última é a {latest}): para \
             salvar uma alteração, use `version: {next}`"
        ),
        Language::En => format!(
            "version {version} of `{strategy_id}` is already stored (the latest is {latest}): to \
             save a change, set `version: {next}`"
        ),
    };
    StrategyError {
        line,
        column,
        path: "version".into(),
        message,
    }
}

/// The editor page: 422 when it shows errors (the document is kept as typed).
fn render(op: &Operator, editor: Editor<'_>) -> Response {
    let code = if matches!(editor.outcome, Outcome::Invalid(_)) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = match editor.strategy {
        Some(id) => format!("{} {}", op.t("Strategy", "Estrategia", "Estratégia"), id),
        None => op
            .t("New strategy", "Nueva estrategia", "Nova estratégia")
            .to_string(),
    };
    let mut body = String::new();
    body.push_str(&format!(
        "<p><a href=\"/app/strategies\">← {}</a></p>",
        op.t("Strategies", "Estrategias", "Estratégias"),
    ));
    if !editor.versions.is_empty() {
        body.push_str(&format!(
            "<p class=\"editor-versions\">{}: ",
            op.t("Stored versions", "Versiones guardadas", "Versões salvas")
        ));
        for (i, v) in editor.versions.iter().enumerate() {
            if i > 0 {
                body.push_str(", ");
            }
            body.push_str(&format!(
                "<a href=\"/app/strategies/{}?version={}\">v{}</a>",
                escape(&path_segment(&v.strategy_id)),
                v.version,
                v.version
            ));
        }
        body.push_str("</p>");
    }
    match &editor.outcome {
        Outcome::Saved(version) => body.push_str(&format!(
            "<p class=\"editor-note editor-ok\" role=\"status\">{} {version}.</p>",
            op.t(
                "Saved as version",
                "Guardada como versión",
                "Salva como versão"
            )
        )),
        Outcome::Valid(id, version, steps, experiments) => {
            body.push_str(&format!(
                "<p class=\"editor-note editor-ok\" role=\"status\">{} <code>{}</code> v{} — {} {}, {} {}.</p>",
                op.t(
                    "The strategy is valid:",
                    "La estrategia es válida:",
                    "A estratégia é válida:"
                ),
                escape(id),
                version,
                steps,
                op.t("steps", "pasos", "passos"),
                experiments,
                op.t("experiments", "experimentos", "experimentos"),
            ));
        }
        Outcome::Invalid(errors) => body.push_str(&errors_html(op, editor.source, errors)),
        Outcome::None | Outcome::Preview(_) => {}
    }
    let lines = editor.source.lines().count().max(1);
    body.push_str(&form_start(op, &in_language(op, EDITOR_ACTION)));
    body.push_str(&format!(
        "<input type=\"hidden\" name=\"strategy\" value=\"{}\">",
        escape(editor.strategy.unwrap_or(""))
    ));
    body.push_str(&format!(
        "<label for=\"source\">{}</label><div class=\"editor\"><pre class=\"editor-gutter\" \
         aria-hidden=\"true\">",
        op.t(
            "Strategy document (YAML)",
            "Documento de la estrategia (YAML)",
            "Documento da estratégia (YAML)"
        )
    ));
    for n in 1..=lines {
        body.push_str(&format!("{n}\n"));
    }
    body.push_str(&format!(
        "</pre><textarea id=\"source\" name=\"source\" class=\"editor-text\" rows=\"{}\" \
         wrap=\"off\" spellcheck=\"false\" autocomplete=\"off\">{}</textarea></div>",
        lines + 2,
        escape(editor.source)
    ));
    body.push_str(&format!(
        "<div class=\"editor-actions\"><button type=\"submit\" name=\"action\" value=\"validate\" \
         class=\"editor-button secondary\">{}</button><button type=\"submit\" name=\"action\" value=\"preview\" \
         class=\"editor-button secondary\">{}</button>",
        op.t("Validate", "Validar", "Validar"),
        op.t(
            "Preview tomorrow's plan",
            "Vista previa del plan de mañana",
            "Prévia do plano de amanhã"
        ),
    ));
    if op.is_admin() {
        body.push_str(&format!(
            "<button type=\"submit\" name=\"action\" value=\"save\" class=\"editor-button\">{}</button>",
            op.t(
                "Save as new version",
                "Guardar como nueva versión",
                "Salvar como nova versão"
            )
        ));
    }
    body.push_str("</div></form>");
    if let Outcome::Preview(preview) = &editor.outcome {
        body.push_str(&preview_html(op, preview));
    }
    layout::page_status(op, code, Nav::Strategies, &escape(&title), &body)
}

/// The errors, each with its line and the line quoted with a caret under the column.
fn errors_html(op: &Operator, source: &str, errors: &[StrategyError]) -> String {
    let mut out = format!(
        "<div class=\"editor-note editor-bad\" role=\"alert\"><p>{}</p><ul class=\"editor-errors\">",
        op.t(
            "The strategy cannot be saved:",
            "La estrategia no se puede guardar:",
            "A estratégia não pode ser salva:"
        )
    );
    for error in errors {
        let place = if error.line > 0 {
            format!(
                "{} {}, {} {}",
                op.t("line", "línea", "linha"),
                error.line,
                op.t("column", "columna", "coluna"),
                error.column
            )
        } else {
            op.t("document", "documento", "documento").to_string()
        };
        out.push_str(&format!(
            "<li><strong>{}</strong>: <code>{}</code>: {}",
            place,
            escape(&error.path),
            escape(&error.message)
        ));
        if let Some(text) = error
            .line
            .checked_sub(1)
            .and_then(|i| source.lines().nth(i))
        {
            let caret = format!("{}^", " ".repeat(error.column.saturating_sub(1)));
            out.push_str(&format!(
                "<pre class=\"editor-quote\">{:>4} | {}\n     | {}</pre>",
                error.line,
                escape(text),
                caret
            ));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul></div>");
    out
}

fn decision_name(op: &Operator, kind: &str) -> String {
    match kind {
        "send" => op.t("send", "enviar", "enviar").to_string(),
        "defer" => op.t("defer", "aplazar", "adiar").to_string(),
        "deny" => op.t("deny", "denegar", "negar").to_string(),
        other => other.to_string(),
    }
}

const DECISIONS: [&str; 3] = ["send", "defer", "deny"];

/// A table of `rows` (name → decision → count) with a column per decision.
fn matrix_html(
    op: &Operator,
    heading: &str,
    rows: &BTreeMap<String, BTreeMap<String, u64>>,
) -> String {
    let mut out = format!(
        "<table class=\"editor-table editor-compact\"><thead><tr><th>{}</th>",
        escape(heading)
    );
    for kind in DECISIONS {
        out.push_str(&format!(
            "<th class=\"editor-num\">{}</th>",
            escape(&decision_name(op, kind))
        ));
    }
    out.push_str("</tr></thead><tbody>");
    for (name, counts) in rows {
        out.push_str(&format!("<tr><td><code>{}</code></td>", escape(name)));
        for kind in DECISIONS {
            out.push_str(&format!(
                "<td class=\"editor-num\">{}</td>",
                counts.get(kind).copied().unwrap_or(0)
            ));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

fn counts_html(
    heading: &str,
    rows: &BTreeMap<String, u64>,
    name: impl Fn(&str) -> String,
) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<table class=\"editor-table editor-compact\"><thead><tr><th>{}</th><th class=\"editor-num\">#</th></tr>\
         </thead><tbody>",
        escape(heading)
    );
    for (key, count) in rows {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"editor-num\">{count}</td></tr>",
            name(key)
        ));
    }
    out.push_str("</tbody></table>");
    out
}

fn preview_html(op: &Operator, p: &StrategyPreview) -> String {
    let mut out = format!(
        "<section class=\"editor-preview\" id=\"preview\"><h2>{}</h2>",
        op.t(
            "Tomorrow's plan (preview, nothing is written)",
            "Plan de mañana (vista previa, no se guarda nada)",
            "Plano de amanhã (prévia, nada é gravado)"
        )
    );
    if p.sample {
        out.push_str(&format!(
            "<p class=\"editor-note\">{} {}</p>",
            op.t(
                "No open debt follows this strategy yet: the preview applies it to a sample of the tenant's open debts, as if they were moved to it. At most",
                "Ninguna deuda abierta sigue aún esta estrategia: la vista previa la aplica a una muestra de las deudas abiertas, como si se movieran a ella. Como máximo",
                "Nenhuma dívida aberta segue esta estratégia ainda: a prévia a aplica a uma amostra das dívidas abertas, como se fossem movidas para ela. No máximo"
            ),
            PREVIEW_DEBTS
        ));
    }
    out.push_str(&format!(
        "<p class=\"editor-summary\">{} <strong>{}</strong> · {} <strong>{}</strong> · {} \
         <code>{}</code> v{}</p>",
        op.t("Debts", "Deudas", "Dívidas"),
        p.debts,
        op.t("Debtors", "Deudores", "Devedores"),
        p.debtors,
        op.t("Strategy", "Estrategia", "Estratégia"),
        escape(&p.strategy),
        p.version
    ));
    if p.debts == 0 {
        out.push_str(&format!(
            "<p>{}</p></section>",
            op.t(
                "There is no open debt to plan.",
                "No hay deudas abiertas que planificar.",
                "Não há dívidas abertas para planejar."
            )
        ));
        return out;
    }
    out.push_str("<div class=\"editor-grid\">");
    out.push_str(&counts_html(
        op.t("Decision", "Decisión", "Decisão"),
        &p.by_decision,
        |k| escape(&decision_name(op, k)),
    ));
    out.push_str(&counts_html(
        op.t("Reason", "Motivo", "Motivo"),
        &p.by_reason,
        |k| match k.split_once(": ") {
            Some((kind, reason)) => format!(
                "{}: <code>{}</code>",
                escape(&decision_name(op, kind)),
                escape(reason)
            ),
            None => escape(k),
        },
    ));
    out.push_str(&counts_html(
        op.t("No decision", "Sin decisión", "Sem decisão"),
        &p.quiet,
        |k| format!("<code>{}</code>", escape(k)),
    ));
    out.push_str(&matrix_html(op, op.t("Step", "Paso", "Passo"), &p.by_step));
    out.push_str(&matrix_html(
        op,
        op.t("Channel", "Canal", "Canal"),
        &p.by_channel,
    ));
    out.push_str("</div>");
    if !p.lines.is_empty() {
        out.push_str(&format!(
            "<h3>{}</h3><table class=\"editor-table editor-compact\"><thead><tr><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            op.t("First decisions", "Primeras decisiones", "Primeiras decisões"),
            op.t("Debt", "Deuda", "Dívida"),
            op.t("Debtor", "Deudor", "Devedor"),
            op.t("Step", "Paso", "Passo"),
            op.t("Channel", "Canal", "Canal"),
            op.t("Decision", "Decisión", "Decisão"),
            op.t("Reason", "Motivo", "Motivo"),
            op.t("Send at (UTC)", "Envío (UTC)", "Envio (UTC)"),
        ));
        for line in &p.lines {
            let mut decision = decision_name(op, line.decision.kind());
            if let Some(by) = &line.covered_by {
                decision.push_str(&format!(" ({} {by})", op.t("with", "con", "com")));
            }
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td>\
                 <td><code>{}</code></td><td>{}</td></tr>",
                escape(&line.debt_external_id),
                escape(&line.debtor_external_id),
                escape(&line.step),
                escape(line.channel.as_str()),
                escape(&decision),
                escape(line.reason().map_or("", |r| r.as_str())),
                line.decision
                    .send_at()
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
            ));
        }
        out.push_str("</tbody></table>");
    }
    if !p.errors.is_empty() {
        out.push_str(&format!(
            "<h3>{}</h3><ul>",
            op.t(
                "Conditions that failed (taken as false)",
                "Condiciones que fallaron (se toman como falsas)",
                "Condições que falharam (tomadas como falsas)"
            )
        ));
        for error in p.errors.iter().take(20) {
            out.push_str(&format!("<li><code>{}</code></li>", escape(error)));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "id: demo
version: 2
steps:
  - { id: pre-3, at: due-3d, send: { channel: email, template: reminder_soft } }
  - id: late
    at: due+5d
    send:
      channel: pigeon
      template: overdue_soft
experiments:
  - { id: x, step: late, arms: { a: {channel: sms} }, split: [100] }
";

    #[test]
    fn line_of_maps_paths_to_lines() {
        let table: &[(&str, Option<(usize, usize)>)] = &[
            ("id", Some((1, 5))),
            ("version", Some((2, 10))),
            ("steps", Some((4, 3))),
            ("steps[0]", Some((4, 5))),
            ("steps[0].at", Some((4, 22))),
            ("steps[1]", Some((5, 5))),
            ("steps[1].at", Some((6, 9))),
            ("steps[1].send.channel", Some((8, 16))),
            ("steps[1].send.template", Some((9, 17))),
            ("experiments[0].arms.a.channel", Some((11, 47))),
            // An absent key: the mapping that lacks it.
            ("steps[1].wait_for", Some((5, 5))),
            (".", Some((1, 1))),
            ("", Some((1, 1))),
            ("steps[x]", None),
            ("steps[1", None),
        ];
        for (path, expected) in table {
            assert_eq!(line_of(DOC, path), *expected, "path {path}");
        }
    }

    #[test]
    fn the_starter_document_is_valid() {
        let compiled = parse_strategy(STARTER, TemplateCatalogue::builtin());
        assert!(compiled.is_ok(), "{:?}", compiled.err());
    }

    #[test]
    fn path_segment_escapes_what_a_path_cannot_hold() {
        assert_eq!(
            path_segment("consumer-default_2.x~"),
            "consumer-default_2.x~"
        );
        assert_eq!(path_segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
        assert_eq!(path_segment("cobrança"), "cobran%C3%A7a");
    }

    #[test]
    fn parse_path_reads_keys_and_indexes() {
        let k = |s: &str| Seg::Key(s.to_string());
        assert_eq!(
            parse_path("steps[2].send.fallback[0]"),
            Some(YamlPath(vec![
                k("steps"),
                Seg::Index(2),
                k("send"),
                k("fallback"),
                Seg::Index(0)
            ]))
        );
        assert_eq!(
            parse_path("a[1][2]"),
            Some(YamlPath(vec![k("a"), Seg::Index(1), Seg::Index(2)]))
        );
        assert_eq!(parse_path("[1]"), None);
    }
}
