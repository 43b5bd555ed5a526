-- Sending (issue 24). A contact is claimed by a dispatcher for a lease (`lease_owner`,
-- `lease_until`); a crash leaves the lease to expire and another dispatcher re-sends under the
-- same idempotency key. A retry waits until `next_attempt_at`. What the provider said is kept
-- with the contact: its account, its message id, the cost, the last error, and when the message
-- was sent, delivered, opened, clicked and answered.
ALTER TABLE contacts ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN lease_owner TEXT;
ALTER TABLE contacts ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN provider TEXT;
ALTER TABLE contacts ADD COLUMN provider_message_id TEXT;
-- A decimal in the currency (a message may cost a fraction of its minor unit).
ALTER TABLE contacts ADD COLUMN cost TEXT;
ALTER TABLE contacts ADD COLUMN cost_currency TEXT;
ALTER TABLE contacts ADD COLUMN outcome TEXT;
ALTER TABLE contacts ADD COLUMN last_error TEXT;
ALTER TABLE contacts ADD COLUMN sent_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN delivered_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN opened_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN clicked_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN replied_at TIMESTAMPTZ;
-- A provider's status callback names its own message id.
CREATE INDEX contacts_by_provider_message ON contacts (provider_message_id);

-- The message as the debtor got it, rendered at send time (the outbox view shows it).
CREATE TABLE contact_messages (
    contact_id TEXT PRIMARY KEY REFERENCES contacts(id),
    tenant_id TEXT NOT NULL,
    content JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- A contact point that failed hard again and again is not used any more.
ALTER TABLE contact_points ADD COLUMN unusable_at TIMESTAMPTZ;

-- A tenant's provider accounts: the settings in the clear, the provider's configuration sealed
-- (AES-256-GCM under the installation's key; it holds the credentials).
CREATE TABLE provider_accounts (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    settings JSONB NOT NULL,
    config_sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- A tenant's own text for a template on a channel in a language, replacing the default.
CREATE TABLE message_templates (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    body JSONB NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name, channel, language)
);

-- Agent tasks, from a strategy's `task:` steps: one per contact.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    contact_id TEXT NOT NULL UNIQUE REFERENCES contacts(id),
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    debt_id TEXT NOT NULL REFERENCES debts(id),
    queue TEXT NOT NULL,
    script TEXT NOT NULL,
    state TEXT NOT NULL,
    assignee TEXT,
    claimed_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    outcome TEXT,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_open ON tasks (tenant_id, state, queue, created_at);

-- Webhook events already applied, by their dedupe key: a replay changes nothing.
CREATE TABLE webhook_receipts (
    tenant_id TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, dedupe_key)
);
