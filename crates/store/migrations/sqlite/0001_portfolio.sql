-- recaudo portfolio schema (SQLite). Money is stored in minor units (BIGINT) with its currency;
-- times are UTC; every row carries its tenant. Portfolio tables keep tenant_id without a foreign key:
-- tenants are never deleted and the store's TenantStore sets tenant_id on every write, while a
-- per-row key check would be the largest cost of a bulk import on PostgreSQL. Ids are ULIDs, unique
-- across tenants, so indexes by a parent id need no tenant_id prefix (queries still filter on it).
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    timezone TEXT NOT NULL,
    currency TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE debtors (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    document_type TEXT,
    document_number TEXT,
    birth_date TEXT,
    language TEXT NOT NULL,
    timezone TEXT NOT NULL,
    country TEXT NOT NULL,
    segment TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    attributes TEXT NOT NULL DEFAULT '{}',
    preferences TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, external_id)
);

CREATE TABLE contact_points (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    postal TEXT,
    verified BOOLEAN NOT NULL DEFAULT 0,
    consent_status TEXT NOT NULL,
    consent_source TEXT,
    consent_at TEXT,
    opted_out_at TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    bounce_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (debtor_id, channel, address)
);

CREATE TABLE debts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    external_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    original_minor BIGINT NOT NULL,
    balance_minor BIGINT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    product TEXT,
    status TEXT NOT NULL,
    last_import_id TEXT,
    last_import_line BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX debts_by_debtor ON debts (debtor_id);
CREATE INDEX debts_by_status ON debts (tenant_id, status, id);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debt_id TEXT NOT NULL REFERENCES debts(id),
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    method TEXT NOT NULL,
    provider_ref TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX payments_by_debt ON payments (debt_id, id);

CREATE TABLE promises (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debt_id TEXT NOT NULL REFERENCES debts(id),
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    channel TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX promises_by_debt ON promises (debt_id, id);

CREATE TABLE disputes (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debt_id TEXT NOT NULL REFERENCES debts(id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX disputes_by_debt ON disputes (debt_id, id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    debt_id TEXT,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_debtor ON events (debtor_id, id);
CREATE INDEX events_by_debt ON events (debt_id, id);

CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    report TEXT
);
