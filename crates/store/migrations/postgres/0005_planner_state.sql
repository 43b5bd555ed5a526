-- The planner's own state, out of the wide portfolio rows: see the SQLite migration of the same
-- number for why. Same tables and rules on both databases.

-- The strategy a debt follows: the version it started with (kept unless moved explicitly), the
-- experiment arms it was assigned (JSON object experiment -> arm) and when it started.
CREATE TABLE debt_strategies (
    debt_id TEXT PRIMARY KEY,
    strategy_id TEXT NOT NULL,
    strategy_version BIGINT NOT NULL,
    strategy_arms JSONB NOT NULL DEFAULT '{}',
    strategy_started_at TIMESTAMPTZ NOT NULL
);
INSERT INTO debt_strategies
SELECT id, strategy_id, strategy_version, COALESCE(strategy_arms, '{}'), strategy_started_at
FROM debts
WHERE strategy_id IS NOT NULL AND strategy_version IS NOT NULL AND strategy_started_at IS NOT NULL;
ALTER TABLE debts DROP COLUMN strategy_id;
ALTER TABLE debts DROP COLUMN strategy_version;
ALTER TABLE debts DROP COLUMN strategy_arms;
ALTER TABLE debts DROP COLUMN strategy_started_at;

-- The segment the planner assigned a debtor (NULL: none applies) and when. A debtor without a
-- row here has the segment the tenant gave (`debtors.segment`).
CREATE TABLE debtor_segments (
    debtor_id TEXT PRIMARY KEY,
    planned_segment TEXT,
    planned_at TIMESTAMPTZ NOT NULL
);

-- The outbox without per-row foreign keys and without an index by debt; its `contact_planned`
-- events are read from the rows themselves.
ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_debtor_id_fkey;
ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_debt_id_fkey;
ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_contact_point_id_fkey;
DROP INDEX IF EXISTS contacts_by_debt;
DELETE FROM events WHERE kind = 'contact_planned';
