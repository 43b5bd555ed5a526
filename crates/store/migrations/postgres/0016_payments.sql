-- Payments through providers (issue 26). A tenant's payment accounts (PIX, Stripe, Mercado Pago,
-- sandbox) are kept like its channel accounts: settings in the clear, the configuration sealed.
CREATE TABLE payment_accounts (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    settings JSONB NOT NULL,
    config_sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- What a debtor set out to pay: the debts and how much of each (`allocations`, minor units), the
-- account, and what the provider knows it by (a PIX txid, a Checkout Session id). A provider's
-- notification names the intent (our reference or the txid); the intent becomes `paid` once.
CREATE TABLE payment_intents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    account TEXT NOT NULL,
    provider TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    allocations JSONB NOT NULL,
    txid TEXT NOT NULL,
    provider_ref TEXT,
    -- The BR Code (PIX) or the provider's page (a redirect) the debtor was shown.
    action JSONB NOT NULL,
    status TEXT NOT NULL,
    origin JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    paid_at TIMESTAMPTZ,
    paid_ref TEXT,
    UNIQUE (tenant_id, txid)
);
CREATE INDEX payment_intents_by_debtor ON payment_intents (tenant_id, debtor_id, created_at);

-- Every provider notification acted on, by the provider's own id: a replayed or duplicated
-- webhook (or reconciliation row) finds its id here and changes nothing.
CREATE TABLE payment_notifications (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    account TEXT NOT NULL,
    event_id TEXT NOT NULL,
    intent_id TEXT,
    outcome TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, account, event_id)
);
