//! `/app/imports`: the tenant's import runs (when, which file, how far, rows imported and
//! refused) and, for an administrator, the upload of a CSV or JSONL file, imported by the same
//! path as `POST /api/v1/imports` ([`crate::api::imports::run`]).
//! `/app/imports/{id}`: one run, its progress while it runs (the page refreshes itself every
//! two seconds through htmx) and the rows it refused, with their line, column and reason,
//! exported as CSV at `/app/imports/{id}/errors.csv`.
//!
//! An upload runs in the background: the page answers as soon as the run is recorded (or it
//! ends, if that is within a few seconds), and the run records its progress as it goes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use recaudo_domain::ImportId;
use recaudo_import::{Format, ImportError, ImportOptions, ImportSink};
use recaudo_store::{ImportRun, StoreError, TenantStore};

use super::layout::{
    Nav, csv_response, escape, failure, form_start_multipart, not_found, page, page_status,
    redirect,
};
use super::session::{Operator, Role};
use crate::AppState;
use crate::api::imports::{ImportParams, reading_options};

/// Runs the list shows.
const LIST_SIZE: i64 = 100;

/// How long an upload's answer waits for its run to end before showing its progress page.
const WAIT_FOR_END: Duration = Duration::from_secs(3);

/// How often a running import records how far it got.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// A run not finished this long after it started stopped without ending (the server stopped).
const RUNNING_AT_MOST: chrono::Duration = chrono::Duration::hours(6);

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    fields: Vec<(String, String)>,
    /// The file's name and bytes, when a file was chosen.
    file: Option<(String, Vec<u8>)>,
    too_big: bool,
}

impl Upload {
    fn text(&self, name: &str) -> &str {
        crate::portal::security::field(&self.fields, name)
            .unwrap_or("")
            .trim()
    }
}

/// Reads the multipart form, keeping at most `limit` bytes of the file (past that the rest is
/// drained and `too_big` set). `None` when the body is not a readable form.
async fn read(mut multipart: Multipart, limit: usize) -> Option<Upload> {
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or("").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.ok()? {
                if bytes.len() + chunk.len() > limit {
                    upload.too_big = true;
                    while field.chunk().await.ok()?.is_some() {}
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            upload.file = Some((filename, bytes));
            continue;
        }
        let value = field.text().await.ok()?;
        upload.fields.push((name, value));
    }
    Some(upload)
}

/// What a run is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Running,
    Done,
    DoneWithErrors,
    Failed,
    Interrupted,
}

fn status_of(run: &ImportRun, now: DateTime<Utc>) -> Status {
    let report = run.report.as_ref();
    if report.and_then(|r| r.get("error")).is_some() {
        return Status::Failed;
    }
    if run.finished_at.is_none() {
        return if now - run.started_at > RUNNING_AT_MOST {
            Status::Interrupted
        } else {
            Status::Running
        };
    }
    if number(report, "errors") > 0 {
        Status::DoneWithErrors
    } else {
        Status::Done
    }
}

fn status_label(op: &Operator, status: Status) -> &'static str {
    match status {
        Status::Running => op.t("Running", "En curso", "Em andamento"),
        Status::Done => op.t("Done", "Terminada", "Concluída"),
        Status::DoneWithErrors => op.t(
            "Done, some rows refused",
            "Terminada, con filas rechazadas",
            "Concluída, com linhas recusadas",
        ),
        Status::Failed => op.t("Failed", "Fallida", "Falhou"),
        Status::Interrupted => op.t("Interrupted", "Interrumpida", "Interrompida"),
    }
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Running => "running",
        Status::Done => "done",
        Status::DoneWithErrors => "partial",
        Status::Failed | Status::Interrupted => "failed",
    }
}

/// A count of the run's report (0 when absent).
fn number(report: Option<&Value>, key: &str) -> u64 {
    report
        .and_then(|r| r.get(key))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// `at` in the tenant's zone.
fn local(op: &Operator, at: DateTime<Utc>) -> String {
    match op.tenant.tenant().timezone.parse::<Tz>() {
        Ok(tz) => at
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}

/// `GET /app/imports`.
pub async fn list(State(state): State<AppState>, op: Operator) -> Response {
    list_page(&state, &op, StatusCode::OK, &Upload::default(), None).await
}

async fn list_page(
    state: &AppState,
    op: &Operator,
    status: StatusCode,
    sent: &Upload,
    error: Option<(&str, String)>,
) -> Response {
    let runs = match op.tenant.list_imports(LIST_SIZE).await {
        Ok(runs) => runs,
        Err(e) => return failure(op, &e),
    };
    let now = state.clock.now();
    let mut body = String::new();
    if op.is_admin() {
        body.push_str(&upload_form(op, sent, error));
    } else {
        body.push_str(&format!(
            "<p class=\"notice\">{}</p>\n",
            op.t(
                "Only an administrator can import files.",
                "Solo un administrador puede importar archivos.",
                "Somente um administrador pode importar arquivos."
            )
        ));
    }
    body.push_str(&format!(
        "<h2>{}</h2>\n",
        op.t(
            "Latest imports",
            "Últimas importaciones",
            "Últimas importações"
        )
    ));
    if runs.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"imports-empty\">{}</p>\n",
            op.t(
                "No import yet.",
                "Aún no hay importaciones.",
                "Ainda não há importações."
            )
        ));
    } else {
        body.push_str(&format!(
            "<p class=\"export\"><a href=\"/app/imports.csv\" download>{}</a></p>\n",
            op.t("Export as CSV", "Exportar como CSV", "Exportar como CSV")
        ));
        body.push_str(&format!(
            "<div class=\"table-wrap\"><table id=\"imports\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
             <th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>\n<tbody>\n",
            op.t("Started", "Inicio", "Início"),
            op.t("File", "Archivo", "Arquivo"),
            op.t("Status", "Estado", "Situação"),
            op.t("Rows read", "Filas leídas", "Linhas lidas"),
            op.t("New", "Nuevas", "Novas"),
            op.t("Updated", "Actualizadas", "Atualizadas"),
            op.t("Refused", "Rechazadas", "Recusadas"),
        ));
        for run in &runs {
            let report = run.report.as_ref();
            let status = status_of(run, now);
            body.push_str(&format!(
                "<tr id=\"run-{id}\"><td><a href=\"/app/imports/{id}\">{started}</a></td><td>{file}</td>\
                 <td><span class=\"badge import-{class}\">{status}</span></td><td class=\"num\">{rows}</td>\
                 <td class=\"num\">{imported}</td><td class=\"num\">{updated}</td><td class=\"num\">{errors}</td></tr>\n",
                id = run.id,
                started = local(op, run.started_at),
                file = escape(&run.source),
                class = status_class(status),
                status = status_label(op, status),
                rows = number(report, "rows"),
                imported = number(report, "imported"),
                updated = number(report, "updated"),
                errors = number(report, "errors"),
            ));
        }
        body.push_str("</tbody></table></div>\n");
    }
    page_status(
        op,
        status,
        Nav::Imports,
        op.t("Imports", "Importaciones", "Importações"),
        &body,
    )
}

fn upload_form(op: &Operator, sent: &Upload, error: Option<(&str, String)>) -> String {
    let error_for = |name: &str| match &error {
        Some((field, message)) if *field == name => format!(
            "<p class=\"field-error\" id=\"{name}-error\" role=\"alert\">{}</p>",
            escape(message)
        ),
        _ => String::new(),
    };
    let described = |name: &str, hint: Option<&str>| {
        let invalid = matches!(&error, Some((field, _)) if *field == name);
        let mut ids: Vec<String> = hint.map(|h| vec![h.to_string()]).unwrap_or_default();
        if invalid {
            ids.push(format!("{name}-error"));
        }
        let mut out = String::new();
        if invalid {
            out.push_str(" aria-invalid=\"true\"");
        }
        if !ids.is_empty() {
            out.push_str(&format!(" aria-describedby=\"{}\"", ids.join(" ")));
        }
        out
    };
    let select = |name: &str, options: &[(&str, &str)]| {
        let chosen = sent.text(name);
        options
            .iter()
            .map(|(value, label)| {
                let selected = if chosen == *value { " selected" } else { "" };
                format!(
                    "<option value=\"{value}\"{selected}>{}</option>",
                    escape(label)
                )
            })
            .collect::<String>()
    };
    let auto = op.t(
        "Tell from the file",
        "Detectar del archivo",
        "Detectar do arquivo",
    );
    let formats = select(
        "format",
        &[("", auto), ("csv", "CSV"), ("jsonl", "JSON Lines (JSONL)")],
    );
    let encodings = select(
        "encoding",
        &[
            ("", auto),
            ("utf-8", "UTF-8"),
            ("windows-1252", "Windows-1252"),
            ("latin-1", "Latin-1 (ISO-8859-1)"),
        ],
    );
    let locales = select(
        "locale",
        &[
            ("", auto),
            ("pt-BR", "pt-BR (1.500,50 · dd/mm/aaaa)"),
            ("es-CO", "es-CO (1.500,50 · dd/mm/aaaa)"),
            ("es-CL", "es-CL (1.500,50 · dd/mm/aaaa)"),
            ("es-MX", "es-MX (1,500.50 · dd/mm/aaaa)"),
            ("en-US", "en-US (1,500.50 · mm/dd/yyyy)"),
        ],
    );
    let separators = select(
        "separator",
        &[
            ("", auto),
            (",", op.t("Comma ,", "Coma ,", "Vírgula ,")),
            (
                ";",
                op.t("Semicolon ;", "Punto y coma ;", "Ponto e vírgula ;"),
            ),
            ("tab", op.t("Tab", "Tabulador", "Tabulação")),
            ("|", op.t("Pipe |", "Barra vertical |", "Barra vertical |")),
        ],
    );
    format!(
        "<section class=\"import-upload\" aria-labelledby=\"upload-title\">\n<h2 id=\"upload-title\">{title}</h2>\n\
         <p class=\"hint\" id=\"file-hint\">{hint}</p>\n{form}\n\
         <label for=\"import-file\">{file_l}</label>\
         <input type=\"file\" id=\"import-file\" name=\"file\" accept=\".csv,.jsonl,.ndjson,.txt,text/csv,application/x-ndjson\" required{file_d}>{file_e}\n\
         <div class=\"inline import-options\">\n\
         <div><label for=\"import-format\">{format_l}</label><select id=\"import-format\" name=\"format\"{format_d}>{formats}</select>{format_e}</div>\n\
         <div><label for=\"import-encoding\">{encoding_l}</label><select id=\"import-encoding\" name=\"encoding\"{encoding_d}>{encodings}</select>{encoding_e}</div>\n\
         <div><label for=\"import-locale\">{locale_l}</label><select id=\"import-locale\" name=\"locale\"{locale_d}>{locales}</select>{locale_e}</div>\n\
         <div><label for=\"import-separator\">{separator_l}</label><select id=\"import-separator\" name=\"separator\"{separator_d}>{separators}</select>{separator_e}</div>\n\
         </div>\n{columns_e}<button type=\"submit\" id=\"import-submit\">{submit}</button>\n</form>\n</section>\n",
        title = op.t("Import a file", "Importar un archivo", "Importar um arquivo"),
        hint = op.t(
            "A CSV or JSON Lines file of debts with their debtors, one row per debt (docs/import.md). Rows with an error are skipped and listed; the others are imported or updated by their external ids.",
            "Un archivo CSV o JSON Lines de deudas con sus deudores, una fila por deuda (docs/import.md). Las filas con errores se omiten y se listan; las demás se importan o se actualizan por su id externo.",
            "Um arquivo CSV ou JSON Lines de dívidas com seus devedores, uma linha por dívida (docs/import.md). Linhas com erro são ignoradas e listadas; as demais são importadas ou atualizadas pelo id externo.",
        ),
        form = form_start_multipart(op, "/app/imports"),
        file_l = op.t("File", "Archivo", "Arquivo"),
        file_d = described("file", Some("file-hint")),
        file_e = error_for("file"),
        format_l = op.t("Format", "Formato", "Formato"),
        format_d = described("format", None),
        format_e = error_for("format"),
        encoding_l = op.t("Encoding", "Codificación", "Codificação"),
        encoding_d = described("encoding", None),
        encoding_e = error_for("encoding"),
        locale_l = op.t("Numbers and dates", "Números y fechas", "Números e datas"),
        locale_d = described("locale", None),
        locale_e = error_for("locale"),
        separator_l = op.t("Separator", "Separador", "Separador"),
        separator_d = described("separator", None),
        separator_e = error_for("separator"),
        columns_e = error_for("columns"),
        submit = op.t("Import", "Importar", "Importar"),
    )
}

/// `POST /app/imports` (multipart, administrators only).
pub async fn upload(
    State(state): State<AppState>,
    op: Operator,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let sent = match multipart {
        Ok(multipart) => read(multipart, state.import_limit).await,
        Err(_) => None,
    };
    // Unreadable: the anti-forgery value was not read either, so nothing is trusted.
    let mut sent = sent.unwrap_or_default();
    if let Err(refused) = op.check_form(&sent.fields, Role::Admin) {
        return refused;
    }
    let invalid = |field: &'static str, message: String| {
        let state = state.clone();
        let op = op.clone();
        let sent = &sent;
        async move {
            list_page(
                &state,
                &op,
                StatusCode::UNPROCESSABLE_ENTITY,
                sent,
                Some((field, message)),
            )
            .await
        }
    };
    if sent.too_big {
        return invalid(
            "file",
            format!(
                "{} ({} MiB)",
                op.t(
                    "The file is larger than the import limit",
                    "El archivo supera el límite de importación",
                    "O arquivo é maior que o limite de importação"
                ),
                state.import_limit / (1024 * 1024)
            ),
        )
        .await;
    }
    let Some((filename, bytes)) = sent.file.as_ref().filter(|(_, b)| !b.is_empty()) else {
        return invalid(
            "file",
            op.t(
                "Choose a file that is not empty.",
                "Elija un archivo que no esté vacío.",
                "Escolha um arquivo que não esteja vazio.",
            )
            .into(),
        )
        .await;
    };
    let format = match sent.text("format") {
        "" => Format::from_path(std::path::Path::new(filename)).unwrap_or(Format::Csv),
        given => match given.parse::<Format>() {
            Ok(format) => format,
            Err(message) => return invalid("format", message).await,
        },
    };
    let params = ImportParams {
        format: None,
        encoding: non_empty(sent.text("encoding")),
        locale: non_empty(sent.text("locale")),
        separator: non_empty(sent.text("separator")),
    };
    let mut opts = match reading_options(&params) {
        Ok(opts) => opts,
        Err(problem) => {
            let field = match problem.field.as_deref() {
                Some("encoding") => "encoding",
                Some("locale") => "locale",
                Some("separator") => "separator",
                _ => "file",
            };
            return invalid(field, problem.detail.unwrap_or(problem.title)).await;
        }
    };
    opts.source = source_name(filename);
    let total = row_estimate(format, bytes);
    // The file moves to the import as it is (no copy of what may be hundreds of megabytes).
    let body =
        axum::body::Bytes::from(sent.file.take().map(|(_, bytes)| bytes).unwrap_or_default());
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let job = tokio::spawn(run_import(
        op.tenant.clone(),
        format,
        body,
        opts,
        Arc::clone(&state.clock),
        total,
        started_tx,
    ));
    let id = match started_rx.await {
        Ok(id) => id,
        // It ended before a run was recorded: a fault of the store.
        Err(_) => {
            return match job.await {
                Ok(Err(error)) => failure(&op, &error),
                Ok(Ok(_)) | Err(_) => failure(&op, &"the import stopped before it started"),
            };
        }
    };
    tracing::info!(operator = %op.user_id, import = %id, "dashboard: a file import started");
    // A small file is done by now: its page shows the result straight away.
    let _ = tokio::time::timeout(WAIT_FOR_END, job).await;
    redirect(&format!("/app/imports/{id}"))
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// The name a run is recorded under: the file's own name, without any folder, at most 200
/// characters.
fn source_name(filename: &str) -> String {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.is_empty() {
        "upload".into()
    } else {
        name
    }
}

/// About how many rows the file holds: its lines, less the CSV header (a quoted field across
/// lines makes it a little high).
fn row_estimate(format: Format, bytes: &[u8]) -> u64 {
    let lines = bytes
        .split(|&b| b == b'\n')
        .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .count() as u64;
    match format {
        Format::Csv => lines.saturating_sub(1),
        Format::Jsonl => lines,
    }
}

/// What a running import shares with its progress writer.
#[derive(Default)]
struct Shared {
    id: Option<ImportId>,
    rows: u64,
}

/// The sink of a dashboard import: it tells the handler the run's id and keeps how far it got.
struct Watch {
    shared: Arc<Mutex<Shared>>,
    started: Option<tokio::sync::oneshot::Sender<ImportId>>,
}

impl Watch {
    fn with<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> T {
        match self.shared.lock() {
            Ok(mut shared) => f(&mut shared),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl ImportSink for Watch {
    fn started(&mut self, id: ImportId) {
        self.with(|s| s.id = Some(id));
        if let Some(tx) = self.started.take() {
            let _ = tx.send(id);
        }
    }
    fn progress(&mut self, rows: u64, _bytes: u64) {
        self.with(|s| s.rows = rows);
    }
}

/// Runs the import, recording its progress every [`PROGRESS_EVERY`] while it runs and, when
/// the file as a whole is refused, that error as the run's end.
async fn run_import(
    ts: TenantStore,
    format: Format,
    body: axum::body::Bytes,
    opts: ImportOptions,
    clock: Arc<dyn recaudo_domain::Clock>,
    total: u64,
    started: tokio::sync::oneshot::Sender<ImportId>,
) -> Result<(), StoreError> {
    let now = clock.now();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let mut sink = Watch {
        shared: Arc::clone(&shared),
        started: Some(started),
    };
    let snapshot = |shared: &Arc<Mutex<Shared>>| match shared.lock() {
        Ok(s) => (s.id, s.rows),
        Err(poisoned) => {
            let s = poisoned.into_inner();
            (s.id, s.rows)
        }
    };
    let result = {
        let import = crate::api::imports::run(&ts, format, body, &opts, now, &mut sink);
        tokio::pin!(import);
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        let mut written = None;
        loop {
            tokio::select! {
                result = &mut import => break result,
                _ = ticker.tick() => {
                    if let (Some(id), rows) = snapshot(&shared)
                        && written != Some(rows)
                    {
                        written = Some(rows);
                        if let Err(e) = ts.import_progress(id, json!({"rows": rows, "total": total})).await {
                            tracing::warn!(import = %id, error = %e, "an import's progress was not recorded");
                        }
                    }
                }
            }
        }
    };
    let (id, rows) = snapshot(&shared);
    match (result, id) {
        (Ok(_), _) => Ok(()),
        (Err(error), Some(id)) => {
            tracing::warn!(import = %id, error = %error, "a dashboard import was refused");
            let problem = match &error {
                ImportError::Store(e) => {
                    tracing::error!(import = %id, error = %e, "a dashboard import failed in the store");
                    None
                }
                _ => Some(error.to_string()),
            };
            let report = json!({
                "rows": rows,
                "total": total,
                "error": problem.unwrap_or_else(|| "the import stopped on a database error".into()),
                "columns": problem_columns(&error),
            });
            ts.finish_import(id, report, clock.now()).await
        }
        (Err(ImportError::Store(e)), None) => Err(e),
        (Err(error), None) => Err(StoreError::Invalid {
            field: "file".into(),
            message: error.to_string(),
        }),
    }
}

/// The columns at fault, when the file's header was refused.
fn problem_columns(error: &ImportError) -> Value {
    match error {
        ImportError::Columns {
            missing,
            unknown,
            duplicated,
        } => Value::String(
            missing
                .iter()
                .chain(unknown)
                .chain(duplicated)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => Value::Null,
    }
}

/// `GET /app/imports/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Response {
    let run = match load(&op, &id).await {
        Ok(run) => run,
        Err(response) => return *response,
    };
    let now = state.clock.now();
    let status = status_of(&run, now);
    let report = run.report.as_ref();
    let rows = number(report, "rows");
    let total = match status {
        Status::Running => number(report, "total").max(rows),
        _ => rows,
    };
    let mut body = String::from("<p><a href=\"/app/imports\">← ");
    body.push_str(op.t(
        "Back to the imports",
        "Volver a las importaciones",
        "Voltar às importações",
    ));
    body.push_str("</a></p>\n");
    // While it runs, this block asks for itself again every two seconds; the block of a run
    // that ended carries no trigger, so the polling stops with it.
    let poll = if status == Status::Running {
        format!(
            " hx-get=\"/app/imports/{}\" hx-trigger=\"every 2s\" hx-select=\"#import-progress\" hx-swap=\"outerHTML\"",
            run.id
        )
    } else {
        String::new()
    };
    body.push_str(&format!(
        "<section id=\"import-progress\" aria-live=\"polite\"{poll}>\n<dl class=\"facts\">\n\
         <dt>{file_l}</dt><dd>{file}</dd>\n<dt>{started_l}</dt><dd>{started}</dd>\n\
         <dt>{finished_l}</dt><dd>{finished}</dd>\n\
         <dt>{status_l}</dt><dd><span class=\"badge import-{class}\" id=\"import-status\">{status}</span></dd>\n\
         <dt>{rows_l}</dt><dd><span id=\"import-rows\">{rows}</span> / {total}</dd>\n</dl>\n\
         <progress id=\"import-bar\" max=\"{max}\" value=\"{rows}\">{rows} / {total}</progress>\n",
        file_l = op.t("File", "Archivo", "Arquivo"),
        file = escape(&run.source),
        started_l = op.t("Started", "Inicio", "Início"),
        started = local(&op, run.started_at),
        finished_l = op.t("Finished", "Fin", "Fim"),
        finished = run
            .finished_at
            .map(|at| local(&op, at))
            .unwrap_or_else(|| "—".into()),
        status_l = op.t("Status", "Estado", "Situação"),
        class = status_class(status),
        status = status_label(&op, status),
        rows_l = op.t("Rows done", "Filas procesadas", "Linhas processadas"),
        max = total.max(1),
    ));
    if let Some(error) = report.and_then(|r| r.get("error")).and_then(Value::as_str) {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\" id=\"import-error\">{} {}</p>\n",
            op.t(
                "The file was refused as a whole; nothing was imported:",
                "El archivo se rechazó completo; no se importó nada:",
                "O arquivo foi recusado por inteiro; nada foi importado:"
            ),
            escape(error)
        ));
    }
    if status != Status::Running && status != Status::Failed {
        body.push_str(&format!(
            "<div class=\"cards import-cards\">\
             <div class=\"card\"><span class=\"label\">{}</span> <span class=\"value\" id=\"import-imported\">{}</span></div>\
             <div class=\"card\"><span class=\"label\">{}</span> <span class=\"value\" id=\"import-updated\">{}</span></div>\
             <div class=\"card\"><span class=\"label\">{}</span> <span class=\"value\" id=\"import-errors\">{}</span></div>\
             <div class=\"card\"><span class=\"label\">{}</span> <span class=\"value\" id=\"import-warnings\">{}</span></div></div>\n",
            op.t("New debts", "Deudas nuevas", "Dívidas novas"),
            number(report, "imported"),
            op.t("Updated", "Actualizadas", "Atualizadas"),
            number(report, "updated"),
            op.t("Rows refused", "Filas rechazadas", "Linhas recusadas"),
            number(report, "errors"),
            op.t("Warnings", "Advertencias", "Avisos"),
            number(report, "warnings"),
        ));
    }
    let problems = problems_of(report);
    if !problems.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2>\n<p class=\"export\"><a href=\"/app/imports/{}/errors.csv\" download>{}</a></p>\n",
            op.t(
                "Rows to correct",
                "Filas por corregir",
                "Linhas a corrigir"
            ),
            run.id,
            op.t("Export as CSV", "Exportar como CSV", "Exportar como CSV"),
        ));
        body.push_str(&format!(
            "<div class=\"table-wrap\"><table id=\"import-problems\">\n<thead><tr><th class=\"num\">{}</th>\
             <th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            op.t("Line", "Línea", "Linha"),
            op.t("Column", "Columna", "Coluna"),
            op.t("Value", "Valor", "Valor"),
            op.t("Problem", "Problema", "Problema"),
            op.t("Severity", "Gravedad", "Gravidade"),
        ));
        for p in &problems {
            let severity = if p.error {
                op.t(
                    "Error: row skipped",
                    "Error: fila omitida",
                    "Erro: linha ignorada",
                )
            } else {
                op.t(
                    "Warning: row imported",
                    "Advertencia: fila importada",
                    "Aviso: linha importada",
                )
            };
            body.push_str(&format!(
                "<tr class=\"{}\"><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                if p.error { "problem-error" } else { "problem-warning" },
                p.line,
                escape(&p.column),
                escape(&p.value),
                escape(&p.reason),
                severity,
            ));
        }
        body.push_str("</tbody></table></div>\n");
        let errors = number(report, "errors") + number(report, "warnings");
        if errors > problems.len() as u64 {
            body.push_str(&format!(
                "<p class=\"muted\">{} {}</p>\n",
                op.t(
                    "Only the first problems are kept; rows with problems in all:",
                    "Solo se guardan los primeros problemas; filas con problemas en total:",
                    "Somente os primeiros problemas são guardados; linhas com problemas no total:"
                ),
                errors
            ));
        }
    }
    body.push_str("</section>\n");
    page(
        &op,
        Nav::Imports,
        op.t("Import", "Importación", "Importação"),
        &body,
    )
}

/// One row problem of a run's report.
struct Problem {
    line: u64,
    column: String,
    value: String,
    reason: String,
    error: bool,
}

fn problems_of(report: Option<&Value>) -> Vec<Problem> {
    let Some(items) = report
        .and_then(|r| r.get("problems"))
        .and_then(Value::as_array)
    else {
        return vec![];
    };
    items
        .iter()
        .map(|p| {
            let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or("").to_string();
            Problem {
                line: p.get("line").and_then(Value::as_u64).unwrap_or(0),
                column: text("column"),
                value: text("value"),
                reason: text("reason"),
                error: text("severity") != "warning",
            }
        })
        .collect()
}

/// The run of this tenant named by the path, or the page to answer instead.
async fn load(op: &Operator, id: &str) -> Result<ImportRun, Box<Response>> {
    let Ok(id) = id.parse::<ImportId>() else {
        return Err(Box::new(not_found(op)));
    };
    match op.tenant.get_import(id).await {
        Ok(run) => Ok(run),
        Err(StoreError::NotFound { .. }) => Err(Box::new(not_found(op))),
        Err(e) => Err(Box::new(failure(op, &e))),
    }
}

/// `GET /app/imports/{id}/errors.csv`: the run's row problems.
pub async fn errors_csv(op: Operator, Path(id): Path<String>) -> Response {
    let run = match load(&op, &id).await {
        Ok(run) => run,
        Err(response) => return *response,
    };
    let rows = problems_of(run.report.as_ref())
        .into_iter()
        .map(|p| {
            vec![
                p.line.to_string(),
                p.column,
                p.value,
                p.reason,
                if p.error { "error" } else { "warning" }.to_string(),
            ]
        })
        .collect();
    csv_response(
        &format!("import-{}-errors.csv", run.id),
        &["line", "column", "value", "reason", "severity"],
        rows,
    )
}

/// `GET /app/imports.csv`: the runs the list shows.
pub async fn list_csv(State(state): State<AppState>, op: Operator) -> Response {
    let runs = match op.tenant.list_imports(500).await {
        Ok(runs) => runs,
        Err(e) => return failure(&op, &e),
    };
    let now = state.clock.now();
    let rows = runs
        .iter()
        .map(|run| {
            let report = run.report.as_ref();
            let status = match status_of(run, now) {
                Status::Running => "running",
                Status::Done => "done",
                Status::DoneWithErrors => "done_with_errors",
                Status::Failed => "failed",
                Status::Interrupted => "interrupted",
            };
            vec![
                run.id.to_string(),
                run.source.clone(),
                run.started_at.to_rfc3339(),
                run.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                status.to_string(),
                number(report, "rows").to_string(),
                number(report, "imported").to_string(),
                number(report, "updated").to_string(),
                number(report, "errors").to_string(),
                number(report, "warnings").to_string(),
            ]
        })
        .collect();
    csv_response(
        "imports.csv",
        &[
            "import_id",
            "file",
            "started_at",
            "finished_at",
            "status",
            "rows",
            "imported",
            "updated",
            "errors",
            "warnings",
        ],
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_estimated_from_lines() {
        let csv = b"a,b\n1,2\n\n3,4\n";
        assert_eq!(row_estimate(Format::Csv, csv), 2);
        assert_eq!(row_estimate(Format::Jsonl, b"{}\n{}"), 2);
        assert_eq!(row_estimate(Format::Csv, b"a,b"), 0);
    }

    #[test]
    fn a_file_name_keeps_no_folder_nor_control_characters() {
        assert_eq!(source_name("C:\\data\\debts.csv"), "debts.csv");
        assert_eq!(source_name("../../etc/debts\u{7}.csv"), "debts.csv");
        assert_eq!(source_name(""), "upload");
    }
}
