-- Contact points stored in their debtor's order: keyed by (debtor_id, channel, address), the
-- unique key they always had, without a separate rowid tree (docs/architecture.md, "What the
-- planner reads"). The planner reads every debtor's contact points every day in debtor order;
-- through the old unique index each row was an index entry and then a seek into the table (two
-- fifths of SQLite's work on contact points). Now a batch's contact points are one range of the
-- table. Lookups by id go through the unique index on `id`.
CREATE TABLE contact_points_new (
    id TEXT NOT NULL UNIQUE,
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
    PRIMARY KEY (debtor_id, channel, address)
) WITHOUT ROWID;
INSERT INTO contact_points_new (id, tenant_id, debtor_id, channel, address, postal, verified,
    consent_status, consent_source, consent_at, opted_out_at, priority, bounce_count, created_at)
SELECT id, tenant_id, debtor_id, channel, address, postal, verified, consent_status,
    consent_source, consent_at, opted_out_at, priority, bounce_count, created_at
FROM contact_points;
DROP TABLE contact_points;
ALTER TABLE contact_points_new RENAME TO contact_points;
