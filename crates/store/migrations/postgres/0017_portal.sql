-- The debtor's portal (issue 26): each tenant's branding and limits, revocation of a debtor's
-- links, and the evidence a debtor uploads with a dispute.
CREATE TABLE portal_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
    display_name TEXT,
    -- `#rrggbb`, lower case.
    colour TEXT,
    logo BYTEA,
    logo_content_type TEXT,
    support TEXT,
    link_days BIGINT NOT NULL DEFAULT 60,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Links issued before this instant no longer open the debtor's portal.
ALTER TABLE debtors ADD COLUMN portal_revoked_at TIMESTAMPTZ;

CREATE TABLE dispute_evidence (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    id TEXT PRIMARY KEY,
    dispute_id TEXT NOT NULL REFERENCES disputes(id),
    debtor_id TEXT NOT NULL REFERENCES debtors(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dispute_evidence_by_dispute ON dispute_evidence (tenant_id, dispute_id, id);
