-- Conversations (issue 25). Every message a debtor sends is stored, matched to its debtor when
-- that is certain, read (its intent), and acted on; an answer goes out as a contact that names
-- the message it answers (`reply_to`) and, for an agent's own words, carries the text (`body`).
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    -- NULL while no debtor is certain (unknown sender, or an address several debtors share).
    debtor_id TEXT REFERENCES debtors(id),
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    -- The debtor's address: who wrote (inbound), to whom it went (outbound).
    address TEXT NOT NULL,
    -- As received (an email's quoted history included), and the part that was read.
    body TEXT NOT NULL,
    text TEXT NOT NULL,
    -- The contact it answers (inbound) or that carried it (outbound), when known.
    contact_id TEXT,
    provider TEXT,
    provider_message_id TEXT,
    intent TEXT,
    -- In thousandths (0 to 1000).
    confidence_milli BIGINT,
    language TEXT,
    promised_on DATE,
    -- What was done (`promise_made`, `opted_out`, `task`, …) and the task, if one was made.
    action TEXT,
    task_id TEXT,
    dedupe_key TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX messages_by_debtor ON messages (tenant_id, debtor_id, at);
CREATE INDEX messages_recent ON messages (tenant_id, at);

-- An answer to a message, and an agent's own text.
ALTER TABLE contacts ADD COLUMN reply_to TEXT;
ALTER TABLE contacts ADD COLUMN body TEXT;

-- A debt held for a few days (the debtor says it is paid: the receipt is checked first).
CREATE TABLE debt_holds (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    debt_id TEXT NOT NULL REFERENCES debts(id),
    held_until TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    message_id TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX debt_holds_by_debt ON debt_holds (tenant_id, debt_id, held_until);

-- A promise kept whose debtor was thanked, once.
ALTER TABLE promises ADD COLUMN thanked_at TIMESTAMPTZ;

-- What the tenant's automatic answers do (JSON, see docs/conversations.md).
CREATE TABLE reply_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
    body JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Tasks come from messages too: a task without a contact (an answer to read), without a debt
-- (the debtor's whole file) or without a debtor (a sender nobody matches, or several).
ALTER TABLE tasks ALTER COLUMN contact_id DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN debtor_id DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN debt_id DROP NOT NULL;
ALTER TABLE tasks ADD COLUMN message_id TEXT;
ALTER TABLE tasks ADD COLUMN reason TEXT;
ALTER TABLE tasks ADD COLUMN candidates JSONB NOT NULL DEFAULT '[]';
CREATE INDEX tasks_by_debtor ON tasks (tenant_id, debtor_id);

-- Agents' notes on a task, in order.
CREATE TABLE task_notes (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    task_id TEXT NOT NULL REFERENCES tasks(id),
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX task_notes_by_task ON task_notes (task_id, created_at);
