-- The tenant's own contact rules (docs/policy.md, "The tenant's rules"): the YAML as submitted,
-- one row per version, numbered from 1. The latest version applies; a stored version never
-- changes, so what the planner used on a day can be read back.
CREATE TABLE contact_rules (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    version BIGINT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
