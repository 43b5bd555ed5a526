use recaudo_domain::portfolio::DebtRuleError;
use recaudo_domain::strategy::StrategyError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} with external id `{external_id}` already exists")]
    Duplicate {
        what: &'static str,
        external_id: String,
    },
    #[error(transparent)]
    Rule(#[from] DebtRuleError),
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// A strategy document that does not validate: every error, with its line and column.
    #[error("the strategy is not valid: {}", strategy_errors(.0))]
    InvalidStrategy(Vec<StrategyError>),
    /// The write contradicts what is stored (e.g. another source under a stored strategy
    /// version); `field` names the request field to change.
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database (bulk write): {0}")]
    Bulk(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub(crate) fn corrupt(e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(e.to_string())
    }

    /// Whether the database refused the write for a unique key.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation())
    }

    /// Whether the database refused the write for a unique or a foreign key: what a
    /// transaction meets when a concurrent one created the same row first.
    pub fn is_key_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d))
            if d.is_unique_violation() || d.is_foreign_key_violation())
    }
}

/// `LINE:COL: path: message; …` for an error message.
fn strategy_errors(errors: &[StrategyError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
