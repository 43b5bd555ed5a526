-- Issue 23, points 7-9: promises settled by payments or by an operator who says why, payments
-- that record the credit an allowed overpayment leaves, and timelines ordered by when things
-- happened.

-- Who closed a promise and why: `payments` (paid in full by its date plus the tenant's grace
-- days), `schedule` (not paid in full by then), or the API key of the operator who overrode it
-- with a required reason. NULL while the promise is pending (and for promises closed before
-- this migration, which recorded neither).
ALTER TABLE promises ADD COLUMN closed_at TIMESTAMPTZ;
ALTER TABLE promises ADD COLUMN closed_by TEXT;
ALTER TABLE promises ADD COLUMN close_reason TEXT;

-- The part of a payment above the balance, kept as the debtor's credit (only when the request
-- allowed an overpayment); 0 for every other payment.
ALTER TABLE payments ADD COLUMN credit_minor BIGINT NOT NULL DEFAULT 0;

-- `at` is when the thing happened (a payment's `received_at`); `recorded_at` when the store
-- wrote it. Events written before this migration take their `at` as their recording time.
ALTER TABLE events ADD COLUMN recorded_at TIMESTAMPTZ;
UPDATE events SET recorded_at = at;
ALTER TABLE events ALTER COLUMN recorded_at SET NOT NULL;

-- Timelines are read in (at, id) order.
DROP INDEX events_by_debtor;
DROP INDEX events_by_debt;
CREATE INDEX events_by_debtor ON events (debtor_id, at, id);
CREATE INDEX events_by_debt ON events (debt_id, at, id);

-- One money format in every event: `{"amount": "1234.50", "currency": "COP"}`, with the
-- currency's decimals (none for CLP). Imports wrote minor units instead.
CREATE FUNCTION pg_temp.money_json(minor BIGINT, currency TEXT) RETURNS JSONB AS $$
    SELECT jsonb_build_object('amount',
        CASE currency WHEN 'CLP' THEN minor::TEXT
            ELSE (minor / 100)::TEXT || '.' || lpad((minor % 100)::TEXT, 2, '0') END,
        'currency', currency)
$$ LANGUAGE SQL IMMUTABLE;

UPDATE events SET data = (data - 'amount_minor' - 'balance_minor' - 'currency')
    || jsonb_build_object(
        'amount', pg_temp.money_json((data->>'amount_minor')::BIGINT, data->>'currency'),
        'balance', pg_temp.money_json((data->>'balance_minor')::BIGINT, data->>'currency'))
WHERE kind = 'invoice_issued' AND data ? 'amount_minor';

UPDATE events SET data = (events.data - 'balance_minor_before' - 'balance_minor_after')
    || jsonb_build_object(
        'balance_before', pg_temp.money_json((events.data->>'balance_minor_before')::BIGINT, debts.currency),
        'balance_after', pg_temp.money_json((events.data->>'balance_minor_after')::BIGINT, debts.currency))
FROM debts
WHERE debts.id = events.debt_id AND events.kind = 'debt_updated'
    AND events.data ? 'balance_minor_before';
