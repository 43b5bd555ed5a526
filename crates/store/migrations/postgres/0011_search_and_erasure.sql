-- Search and erasure (issue 23, points 10 and 12; docs/api.md).
-- `search_name`: the name folded for search (lower case, no accents, spaces collapsed) and
-- `document_key`: the document number's letters and digits, upper-cased. Both are computed in
-- Rust (`recaudo_domain::search`) on every write of a debtor, the bulk import included; rows
-- written before this migration get them from the store right after it (`Store::migrate`), which
-- finds them by `search_name IS NULL`.
ALTER TABLE debtors ADD COLUMN search_name TEXT;
ALTER TABLE debtors ADD COLUMN document_key TEXT;
-- When the debtor's personal data was erased (NULL: never). An erased debtor is left out of
-- search, lists and planning; its debts, payments and contacts stay, anonymised.
ALTER TABLE debtors ADD COLUMN erased_at TIMESTAMPTZ;
-- A debtor who calls in is found by their document or by the phone or email they call from:
-- exact lookups, each through its own index. (A name is matched anywhere in it, which no
-- B-tree answers: that is a scan of plain folded text.)
CREATE INDEX debtors_by_document ON debtors (document_key) WHERE document_key IS NOT NULL;
CREATE INDEX contact_points_by_address ON contact_points (address);
