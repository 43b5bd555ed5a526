//! The import report and its row problems.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row was skipped.
    Error,
    /// The row was imported; something deserves a look.
    Warning,
}

/// One problem of one row: where, what value, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// Line in the file (CSV: the header is line 1; JSONL: the first object is line 1).
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
    pub severity: Severity,
}

/// What an import did. Serialised as the last line of `recaudo import` and the body of
/// `POST /api/v1/imports`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// New debts.
    pub imported: u64,
    /// Existing debts rewritten (also by a later line of the same file).
    pub updated: u64,
    /// Rows skipped because of an error.
    pub errors: u64,
    pub warnings: u64,
    /// The first problems (errors and warnings), up to `ImportOptions::max_reported`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RowProblem>,
}

impl ImportReport {
    /// The one-line summary: counts only.
    pub fn summary_json(&self) -> String {
        serde_json::json!({
            "rows": self.rows, "imported": self.imported, "updated": self.updated,
            "errors": self.errors, "warnings": self.warnings,
        })
        .to_string()
    }
}
