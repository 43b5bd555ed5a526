-- Strategies, versioned (GUIDE §5, docs/strategies.md): one row per (strategy, version), the YAML
-- as submitted. A version is never changed once stored; a new one is a new row. `retired_at`
-- takes a strategy out of the choice for new debts; debts already on it keep it.
CREATE TABLE strategies (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    strategy_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT,
    priority BIGINT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, strategy_id, version)
);
-- The strategy a debt follows: the version it started with (kept unless moved explicitly), the
-- experiment arms it was assigned (JSON object experiment -> arm) and when it started.
ALTER TABLE debts ADD COLUMN strategy_id TEXT;
ALTER TABLE debts ADD COLUMN strategy_version BIGINT;
ALTER TABLE debts ADD COLUMN strategy_arms JSONB;
-- The planner reads a tenant's debtors in batches by id, and their debts by ranges of debtors.
CREATE INDEX debtors_by_tenant_id ON debtors (tenant_id, id);
CREATE INDEX debts_by_tenant_debtor ON debts (tenant_id, debtor_id);
ALTER TABLE debts ADD COLUMN strategy_started_at TIMESTAMPTZ;
-- An agent task's queue (a contact whose step is a `task`).
ALTER TABLE contacts ADD COLUMN queue TEXT;
