-- The operator dashboard (issue 27): people of a tenant's collections team and their sessions.
-- A password is kept as an argon2id PHC string; a session as the SHA-256 of its cookie value.
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    -- Lower-cased; one account per address across the installation (the login names no tenant).
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    language TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);
CREATE INDEX operators_by_tenant ON operators (tenant_id, email);

CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id);
