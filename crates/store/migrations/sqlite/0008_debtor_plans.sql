-- The planner's state in one row per debtor (docs/architecture.md, "What the planner writes"):
-- the segment it assigned the debtor and the strategies the debtor's debts follow, instead of a
-- row per debtor in `debtor_segments` and one per debt in `debt_strategies`. On a portfolio's
-- first day every debtor gets a segment and every debt starts a strategy: 1.75M rows for 1M
-- debts became 0.78M, and each row written costs SQLite more than its bytes do.
--
-- The key is named `plan_debtor_id`, a name no table it is joined to has, so that queries read
-- through the join (`DEBTORS_FROM`, `DEBTS_FROM`) need no qualified columns.
-- `planned_at` NULL: the planner assigned no segment (the debtor's own, `debtors.segment`,
-- applies); `planned_segment` NULL with a time: no segment applies.
-- `strategies`: JSON object, debt id -> [strategy id, version, experiment arms (object
-- experiment -> arm), started at]: the version a debt started with stays unless moved
-- explicitly.
CREATE TABLE debtor_plans (
    plan_debtor_id TEXT PRIMARY KEY,
    planned_segment TEXT,
    planned_at TEXT,
    strategies TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
INSERT INTO debtor_plans (plan_debtor_id, planned_segment, planned_at, strategies)
SELECT debtors.id, s.planned_segment, s.planned_at,
    COALESCE((
        SELECT json_group_object(ds.debt_id, json_array(ds.strategy_id, ds.strategy_version,
            json(ds.strategy_arms), ds.strategy_started_at))
        FROM debts JOIN debt_strategies ds ON ds.debt_id = debts.id
        WHERE debts.debtor_id = debtors.id
    ), '{}')
FROM debtors LEFT JOIN debtor_segments s ON s.debtor_id = debtors.id
WHERE s.debtor_id IS NOT NULL OR EXISTS (
    SELECT 1 FROM debts JOIN debt_strategies ds ON ds.debt_id = debts.id
    WHERE debts.debtor_id = debtors.id
);
DROP TABLE debt_strategies;
DROP TABLE debtor_segments;
