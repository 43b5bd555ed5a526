-- Number 7 on PostgreSQL, kept so that both databases have the same numbered list. SQLite's 0007
-- rebuilds `contact_points` WITHOUT ROWID, keyed by (debtor_id, channel, address), so that the
-- planner's range of a batch's contact points (in debtor order) is one range of the table rather
-- than an index entry and a seek into the table per row. PostgreSQL has no table stored in key
-- order that stays so (CLUSTER orders a table once, and later rows go wherever there is room):
-- it keeps its heap table, whose unique index on (debtor_id, channel, address) from 0001 already
-- serves that range in that order, and its primary key on `id` the lookups by id. Nothing
-- changes; sqlx applies a missing version below the latest one applied, so a database migrated
-- before this file existed records it as applied at its next migration.
SELECT 1;
