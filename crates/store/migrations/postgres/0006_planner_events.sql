-- The events the planner reads: a debtor's timeline without the portfolio's bookkeeping, which an
-- import writes by the million (`debtor_created`, `invoice_issued`, …) and no strategy reads.
-- Without it, finding a batch's few promises and replies meant reading every event row of its
-- debtors. The WHERE clause is repeated word for word by the planner's query
-- (`planning::PLANNER_EVENTS`), so that the database knows the index answers it.
CREATE INDEX events_for_planner ON events (debtor_id, at)
WHERE kind NOT IN ('contact_planned', 'contact_point_added', 'debt_updated', 'debtor_created', 'debtor_updated', 'invoice_issued');
