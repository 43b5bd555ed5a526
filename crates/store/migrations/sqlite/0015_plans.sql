-- Instalment plans (issue 26). A debtor accepts a plan over one or more of their debts (one
-- currency): the debts' balances change by the plan's adjustment (interest − discount, split in
-- proportion to their balances) and the debts are `plan` until it completes, breaks or is
-- cancelled.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    -- The debt ids, in order, and per debt `[balance_before_minor, adjustment_minor]`.
    debts TEXT NOT NULL,
    shares TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance_at_start_minor INTEGER NOT NULL,
    -- Signed: interest − discount.
    adjustment_minor INTEGER NOT NULL,
    total_minor INTEGER NOT NULL,
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    close_reason TEXT
);
CREATE INDEX plans_by_debtor ON plans (tenant_id, debtor_id, id);
CREATE INDEX plans_active ON plans (tenant_id, status);

CREATE TABLE plan_instalments (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    plan_id TEXT NOT NULL REFERENCES plans(id),
    -- 0 is the down payment.
    number INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    status TEXT NOT NULL,
    paid_at TEXT,
    reminded_at TEXT,
    PRIMARY KEY (plan_id, number)
);
CREATE INDEX plan_instalments_due ON plan_instalments (tenant_id, status, due_on);

-- What plans a tenant's debtors may accept (JSON, see docs/plans.md).
CREATE TABLE plan_rules (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
