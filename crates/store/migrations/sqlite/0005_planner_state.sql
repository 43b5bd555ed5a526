-- The planner's own state, out of the wide portfolio rows (docs/architecture.md, "What the
-- planner writes"). On a portfolio's first day every debt starts a strategy and every debtor gets
-- a segment: rewriting a whole debt or debtor row for each cost SQLite about four times as much as
-- a row of a narrow table, so they live beside the portfolio instead. Ids are ULIDs, unique across
-- tenants; these rows are reached through their (tenant-scoped) debt or debtor, and written only
-- by the store for debts and debtors it read within the tenant, so they carry no tenant_id and no
-- foreign key (a per-row key check was a fifth of the write).

-- The strategy a debt follows: the version it started with (kept unless moved explicitly), the
-- experiment arms it was assigned (JSON object experiment -> arm) and when it started.
CREATE TABLE debt_strategies (
    debt_id TEXT PRIMARY KEY,
    strategy_id TEXT NOT NULL,
    strategy_version BIGINT NOT NULL,
    strategy_arms TEXT NOT NULL DEFAULT '{}',
    strategy_started_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO debt_strategies
SELECT id, strategy_id, strategy_version, COALESCE(strategy_arms, '{}'), strategy_started_at
FROM debts
WHERE strategy_id IS NOT NULL AND strategy_version IS NOT NULL AND strategy_started_at IS NOT NULL;
ALTER TABLE debts DROP COLUMN strategy_id;
ALTER TABLE debts DROP COLUMN strategy_version;
ALTER TABLE debts DROP COLUMN strategy_arms;
ALTER TABLE debts DROP COLUMN strategy_started_at;

-- The segment the planner assigned a debtor (NULL: none applies) and when. A debtor without a
-- row here has the segment the tenant gave (`debtors.segment`, from an import or the API).
CREATE TABLE debtor_segments (
    debtor_id TEXT PRIMARY KEY,
    planned_segment TEXT,
    planned_at TEXT NOT NULL
) WITHOUT ROWID;

-- The outbox, rebuilt: keyed by its id without a separate rowid tree, and without per-row
-- foreign keys (the store checks that a contact's debts and contact point are its debtor's
-- before writing; the planner writes only what it read). A debt's contacts are found through its
-- debtor's index, so there is no index by debt. A contact's planned fields (debt, covers, step,
-- channel, template, queue, scheduled_for, created_at, key) never change once written: its
-- `contact_planned` event is read from the row itself (`TenantStore::debt_timeline`) instead of
-- being stored a second time.
CREATE TABLE contacts_new (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    debt_id TEXT NOT NULL,
    covers TEXT NOT NULL DEFAULT '[]',
    contact_point_id TEXT,
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
    updated_at TEXT NOT NULL,
    queue TEXT
) WITHOUT ROWID;
INSERT INTO contacts_new (id, tenant_id, debtor_id, debt_id, covers, contact_point_id, strategy,
    strategy_version, step, arm, channel, template, scheduled_for, local_date, state, attempts,
    idempotency_key, reason, created_at, updated_at, queue)
SELECT id, tenant_id, debtor_id, debt_id, covers, contact_point_id, strategy, strategy_version,
    step, arm, channel, template, scheduled_for, local_date, state, attempts, idempotency_key,
    reason, created_at, updated_at, queue
FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
-- A debtor's contact history, for caps and gaps (policy runtime state), and a debt's.
CREATE INDEX contacts_by_debtor ON contacts (debtor_id, scheduled_for);
-- What a dispatcher claims next.
CREATE INDEX contacts_due ON contacts (state, scheduled_for);
-- The stored copies of the events now read from the outbox rows.
DELETE FROM events WHERE kind = 'contact_planned';
