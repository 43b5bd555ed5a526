-- The planner's state in one row per debtor: see the SQLite migration of the same number for
-- why. Same table and rules on both databases (there is no PostgreSQL migration 7).
CREATE TABLE debtor_plans (
    plan_debtor_id TEXT PRIMARY KEY,
    planned_segment TEXT,
    planned_at TIMESTAMPTZ,
    strategies JSONB NOT NULL DEFAULT '{}'
);
INSERT INTO debtor_plans (plan_debtor_id, planned_segment, planned_at, strategies)
SELECT debtors.id, s.planned_segment, s.planned_at,
    COALESCE((
        SELECT jsonb_object_agg(ds.debt_id, jsonb_build_array(ds.strategy_id,
            ds.strategy_version, ds.strategy_arms, ds.strategy_started_at))
        FROM debts JOIN debt_strategies ds ON ds.debt_id = debts.id
        WHERE debts.debtor_id = debtors.id
    ), '{}'::jsonb)
FROM debtors LEFT JOIN debtor_segments s ON s.debtor_id = debtors.id
WHERE s.debtor_id IS NOT NULL OR EXISTS (
    SELECT 1 FROM debts JOIN debt_strategies ds ON ds.debt_id = debts.id
    WHERE debts.debtor_id = debtors.id
);
DROP TABLE debt_strategies;
DROP TABLE debtor_segments;
