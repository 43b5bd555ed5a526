//! Imports: a CSV or JSONL file of debts with their debtors (format: docs/import.md), upserted
//! on external ids.

use std::io::Cursor;

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use recaudo_import::{
    Encoding, Format, ImportError, ImportOptions, ImportReport, ImportSink, Locale, import_with,
};
use recaudo_store::TenantStore;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{ApiQuery, Ctx, RawBody, non_empty};
use crate::problem::Problem;

/// The file's format, when its Content-Type does not say it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `csv` or `jsonl`; default: from the Content-Type (`text/csv`, `application/x-ndjson`,
    /// `application/jsonl`).
    #[serde(default, deserialize_with = "non_empty")]
    pub format: Option<String>,
    /// `utf-8`, `windows-1252` or `latin-1`; default: told from the file.
    #[serde(default, deserialize_with = "non_empty")]
    pub encoding: Option<String>,
    /// How numbers and dates are written: `es-CO`, `pt-BR`, `es-CL` (1.500.000,50 and
    /// dd/mm/yyyy), `es-MX` (1,500,000.50 and dd/mm/yyyy) or `en-US` (mm/dd/yyyy); default: told
    /// from the file where its values leave no doubt.
    #[serde(default, deserialize_with = "non_empty")]
    pub locale: Option<String>,
    /// The CSV separator: `,`, `;`, `tab` or `|`; default: told from the header line.
    #[serde(default, deserialize_with = "non_empty")]
    pub separator: Option<String>,
}

/// The reading options the query gives (the dashboard's upload form gives the same fields).
pub(crate) fn reading_options(query: &ImportParams) -> Result<ImportOptions, Problem> {
    let mut opts = ImportOptions::default();
    if let Some(encoding) = &query.encoding {
        opts.encoding = Some(
            encoding
                .parse::<Encoding>()
                .map_err(|e| Problem::bad_field(Some("encoding".into()), e))?,
        );
    }
    if let Some(locale) = &query.locale {
        opts.locale = Some(
            locale
                .parse::<Locale>()
                .map_err(|e| Problem::bad_field(Some("locale".into()), e))?,
        );
    }
    if let Some(separator) = &query.separator {
        opts.separator = Some(match separator.as_str() {
            "," | "comma" => b',',
            ";" | "semicolon" => b';',
            "\t" | "tab" => b'\t',
            "|" | "pipe" => b'|',
            other => {
                return Err(Problem::bad_field(
                    Some("separator".into()),
                    format!("unknown separator `{other}` (expected `,`, `;`, `tab` or `|`)"),
                ));
            }
        });
    }
    Ok(opts)
}

/// The format of the body: `?format=` first, then the Content-Type.
fn format_of(param: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
    if let Some(format) = param {
        return format
            .parse::<Format>()
            .map_err(|e| Problem::bad_field(Some("format".into()), e));
    }
    let essence = crate::extract::media_type(headers);
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match essence.as_str() {
        "text/csv" | "application/csv" => Ok(Format::Csv),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines" => Ok(Format::Jsonl),
        _ => Err(Problem::unsupported_media_type(format!(
            "send the file as `text/csv` or `application/x-ndjson`, or say `?format=csv|jsonl` \
             (Content-Type was `{ct}`)"
        ))
        .with_field("format")),
    }
}

pub(crate) fn import_problem(error: ImportError) -> Problem {
    match error {
        ImportError::Columns {
            ref missing,
            ref unknown,
            ref duplicated,
        } => {
            let columns: Vec<&str> = missing
                .iter()
                .chain(unknown)
                .chain(duplicated)
                .map(String::as_str)
                .collect();
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-columns",
                "Invalid columns",
            )
            .with_field(columns.join(", "))
            .with_detail(error.to_string())
        }
        // The whole body is in memory: a failure to read it is a fault of its content (not
        // UTF-8, broken CSV quoting), not of the server.
        ImportError::Empty | ImportError::Read(_) => {
            Problem::new(StatusCode::BAD_REQUEST, "invalid-file", "Invalid file")
                .with_detail(error.to_string())
        }
        ImportError::Store(store_error) => Problem::from(store_error),
    }
}

/// Imports a CSV or JSONL file (the request body; up to 256 MiB by default): one row per debt
/// with its debtor. Bad rows are skipped and reported with their line and column; good rows are imported.
#[utoipa::path(post, path = "/api/v1/imports", operation_id = "create_import", tag = "imports",
    params(ImportParams),
    request_body(description = "The file itself", content(
        (String = "text/csv"),
        (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "What the import did", body = ImportReport),
        (status = 415, description = "The format is not given", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn create(
    ctx: Ctx,
    ApiQuery(query): ApiQuery<ImportParams>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<ImportReport>, Problem> {
    let format = format_of(query.format.as_deref(), &headers)?;
    let opts = reading_options(&query)?;
    let report = run(
        &ctx.ts,
        format,
        body,
        &opts,
        ctx.now,
        &mut recaudo_import::NoSink,
    )
    .await
    .map_err(import_problem)?;
    Ok(Json(report))
}

/// Imports a file held in memory: the one path of `POST /api/v1/imports` and of the
/// dashboard's upload (which watches it through `sink`).
pub(crate) async fn run(
    ts: &TenantStore,
    format: Format,
    body: axum::body::Bytes,
    opts: &ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport, ImportError> {
    import_with(ts, format, Cursor::new(body), opts, now, sink).await
}
