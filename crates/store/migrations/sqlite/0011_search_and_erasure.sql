-- Search, erasure and API key use (issue 23, points 10 and 12; docs/api.md).
-- `search_name`: the name folded for search (lower case, no accents, spaces collapsed) and
-- `document_key`: the document number's letters and digits, upper-cased. Both are computed in
-- Rust (`recaudo_domain::search`) on every write of a debtor, the bulk import included; rows
-- written before this migration get them from the store right after it (`Store::migrate`), which
-- finds them by `search_name IS NULL`.
ALTER TABLE debtors ADD COLUMN search_name TEXT;
ALTER TABLE debtors ADD COLUMN document_key TEXT;
-- When the debtor's personal data was erased (NULL: never). An erased debtor is left out of
-- search, lists and planning; its debts, payments and contacts stay, anonymised.
ALTER TABLE debtors ADD COLUMN erased_at TEXT;
-- When an API key last authenticated a request, to the minute (`Store::authenticate_at`).
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
-- No index on these nor on contact point addresses: a search reads the tenant's debtors (and,
-- for a phone or an email, their contact points), about half a second for a million debtors
-- that do not match, while an index keyed by name, document or address is written in random
-- order by every import batch: on SQLite it made inserting contact points four times as slow
-- (300,000 rows in batches of 2,000, 1.8-2.4 s without, 8.0-8.9 s with), and the import of a
-- million rows must stay near 45 s (docs/benchmarks.md). A part of a name can be anywhere in
-- it, which no B-tree answers anyway.
