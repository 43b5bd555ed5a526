-- The outbox: one row per contact the planner decided on (GUIDE §4, §10). `idempotency_key` is
-- unique, so planning the same day twice adds nothing. `covers` lists the other debts of the
-- debtor one message covers (JSON array of debt ids).
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    debt_id TEXT NOT NULL REFERENCES debts(id),
    covers TEXT NOT NULL DEFAULT '[]',
    contact_point_id TEXT REFERENCES contact_points(id),
    strategy TEXT,
    strategy_version BIGINT,
    step TEXT NOT NULL,
    arm TEXT,
    channel TEXT NOT NULL,
    template TEXT,
    scheduled_for TEXT NOT NULL,
    local_date TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- A debtor's contact history, for caps and gaps (policy runtime state).
CREATE INDEX contacts_by_debtor ON contacts (debtor_id, scheduled_for);
CREATE INDEX contacts_by_debt ON contacts (debt_id, scheduled_for);
-- What a dispatcher claims next.
CREATE INDEX contacts_due ON contacts (state, scheduled_for);
