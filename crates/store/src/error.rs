use recaudo_domain::portfolio::DebtRuleError;
use recaudo_domain::strategy::StrategyError;

/// What kind of stored thing an error is about: callers match on it (a missing strategy is the
/// request's `strategy` field at fault); its `Display` is the word the messages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Tenant,
    ApiKey,
    Debtor,
    ContactPoint,
    Debt,
    Payment,
    Promise,
    Dispute,
    Contact,
    Strategy,
    StrategyVersion,
    ContactRules,
    ProviderAccount,
    PaymentAccount,
    PaymentIntent,
    Task,
    Message,
    Evidence,
    Plan,
    Operator,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Tenant => "tenant",
            Entity::ApiKey => "API key",
            Entity::Debtor => "debtor",
            Entity::ContactPoint => "contact point",
            Entity::Debt => "debt",
            Entity::Payment => "payment",
            Entity::Promise => "promise",
            Entity::Dispute => "dispute",
            Entity::Contact => "contact",
            Entity::Strategy => "strategy",
            Entity::StrategyVersion => "strategy version",
            Entity::ContactRules => "contact rules",
            Entity::ProviderAccount => "provider account",
            Entity::PaymentAccount => "payment account",
            Entity::PaymentIntent => "payment",
            Entity::Task => "task",
            Entity::Message => "message",
            Entity::Evidence => "evidence",
            Entity::Plan => "plan",
            Entity::Operator => "operator",
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} `{id}` not found")]
    NotFound { what: Entity, id: String },
    #[error("{what} with external id `{external_id}` already exists")]
    Duplicate { what: Entity, external_id: String },
    #[error(transparent)]
    Rule(#[from] DebtRuleError),
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// A strategy document that does not validate: every error, with its line and column.
    #[error("the strategy is not valid: {}", strategy_errors(.0))]
    InvalidStrategy(Vec<StrategyError>),
    /// Contact rules that do not validate (a value looser than the law's included): every error,
    /// with its line and column.
    #[error("the contact rules are not valid: {}", strategy_errors(.0))]
    InvalidContactRules(Vec<StrategyError>),
    /// A write checked against what it read found it changed each time it tried (optimistic
    /// concurrency gave up); trying again later may succeed.
    #[error("the {entity} kept changing while this was recorded; try again")]
    Contention { entity: Entity, id: String },
    /// A strategy version contradicts what is stored: a change needs a new version. `latest` is
    /// the latest stored version: `version` itself when that version is stored with another
    /// source, above it when the put is below the latest.
    #[error("{}", version_conflict(strategy_id, *version, *latest))]
    VersionConflict {
        strategy_id: String,
        version: u32,
        latest: u32,
    },
    /// The change does not fit the state the thing is in (a task claimed by another agent, or
    /// resolved already); `reason` says which, for a human.
    #[error("{what} `{id}`: {reason}")]
    Conflict {
        what: Entity,
        id: String,
        reason: String,
    },
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
    pub(crate) fn not_found(what: Entity, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub(crate) fn corrupt(message: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(message.to_string())
    }

    /// Whether the database refused the write for a unique key.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(error)) if error.is_unique_violation())
    }

    /// Whether the database refused the write for a unique or a foreign key: what a
    /// transaction meets when a concurrent one created the same row first.
    pub fn is_key_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(error))
            if error.is_unique_violation() || error.is_foreign_key_violation())
    }
}

fn version_conflict(strategy_id: &str, version: u32, latest: u32) -> String {
    if latest > version {
        format!(
            "strategy `{strategy_id}` is at version {latest}: a new version must be above it, \
             not {version}"
        )
    } else {
        format!(
            "version {version} of strategy `{strategy_id}` is already stored with a different \
             source: raise `version` to store a change"
        )
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
