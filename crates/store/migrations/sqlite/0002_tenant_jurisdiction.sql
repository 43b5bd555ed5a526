-- The jurisdiction whose contact law and holidays a tenant follows (`BR-SP`, `CO`, …). NULL, as
-- for tenants created before this column, means the tenant's country.
ALTER TABLE tenants ADD COLUMN jurisdiction TEXT;
