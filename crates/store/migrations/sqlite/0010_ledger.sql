-- Issue 23, points 7-9: promises settled by payments or by an operator who says why, payments
-- that record the credit an allowed overpayment leaves, and timelines ordered by when things
-- happened.

-- Who closed a promise and why: `payments` (paid in full by its date plus the tenant's grace
-- days), `schedule` (not paid in full by then), or the API key of the operator who overrode it
-- with a required reason. NULL while the promise is pending (and for promises closed before
-- this migration, which recorded neither).
ALTER TABLE promises ADD COLUMN closed_at TEXT;
ALTER TABLE promises ADD COLUMN closed_by TEXT;
ALTER TABLE promises ADD COLUMN close_reason TEXT;

-- The part of a payment above the balance, kept as the debtor's credit (only when the request
-- allowed an overpayment); 0 for every other payment.
ALTER TABLE payments ADD COLUMN credit_minor INTEGER NOT NULL DEFAULT 0;

-- `at` is when the thing happened (a payment's `received_at`); `recorded_at` when the store
-- wrote it. Events written before this migration take their `at` as their recording time.
ALTER TABLE events ADD COLUMN recorded_at TEXT NOT NULL DEFAULT '';
UPDATE events SET recorded_at = at;

-- Timelines are read in (at, id) order.
DROP INDEX events_by_debtor;
DROP INDEX events_by_debt;
CREATE INDEX events_by_debtor ON events (debtor_id, at, id);
CREATE INDEX events_by_debt ON events (debt_id, at, id);

-- One money format in every event: `{"amount": "1234.50", "currency": "COP"}`, with the
-- currency's decimals (none for CLP). Imports wrote minor units instead.
UPDATE events SET data = json_set(
        json_remove(data, '$.amount_minor', '$.balance_minor', '$.currency'),
        '$.amount', json_object('amount',
            CASE json_extract(data, '$.currency') WHEN 'CLP'
                THEN CAST(json_extract(data, '$.amount_minor') AS TEXT)
                ELSE printf('%d.%02d', json_extract(data, '$.amount_minor') / 100,
                            json_extract(data, '$.amount_minor') % 100) END,
            'currency', json_extract(data, '$.currency')),
        '$.balance', json_object('amount',
            CASE json_extract(data, '$.currency') WHEN 'CLP'
                THEN CAST(json_extract(data, '$.balance_minor') AS TEXT)
                ELSE printf('%d.%02d', json_extract(data, '$.balance_minor') / 100,
                            json_extract(data, '$.balance_minor') % 100) END,
            'currency', json_extract(data, '$.currency')))
WHERE kind = 'invoice_issued' AND json_type(data, '$.amount_minor') IS NOT NULL;

UPDATE events SET data = (
    SELECT json_set(
        json_remove(events.data, '$.balance_minor_before', '$.balance_minor_after'),
        '$.balance_before', json_object('amount',
            CASE debts.currency WHEN 'CLP'
                THEN CAST(json_extract(events.data, '$.balance_minor_before') AS TEXT)
                ELSE printf('%d.%02d', json_extract(events.data, '$.balance_minor_before') / 100,
                            json_extract(events.data, '$.balance_minor_before') % 100) END,
            'currency', debts.currency),
        '$.balance_after', json_object('amount',
            CASE debts.currency WHEN 'CLP'
                THEN CAST(json_extract(events.data, '$.balance_minor_after') AS TEXT)
                ELSE printf('%d.%02d', json_extract(events.data, '$.balance_minor_after') / 100,
                            json_extract(events.data, '$.balance_minor_after') % 100) END,
            'currency', debts.currency))
    FROM debts WHERE debts.id = events.debt_id)
WHERE kind = 'debt_updated' AND json_type(data, '$.balance_minor_before') IS NOT NULL
    AND EXISTS (SELECT 1 FROM debts WHERE debts.id = events.debt_id);
