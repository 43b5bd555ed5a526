//! The SQL that differs between SQLite and PostgreSQL, in one place. Statements are otherwise
//! written once for both (see the crate's documentation); where the two databases spell a thing
//! differently, the statement asks this module for its fragment. `sqlite` is the `SQLITE`
//! constant `on_pool!` gives each copy of a body, or a match on the store's backend.
//!
//! JSON columns are text on SQLite and `jsonb` on PostgreSQL, which is most of what differs.

/// How a transaction begins. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
/// transaction that reads and then writes would otherwise fail with SQLITE_BUSY_SNAPSHOT if
/// another connection committed between its read and its first write.
pub(crate) const fn begin(sqlite: bool) -> &'static str {
    if sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" }
}

/// An empty JSON object as a value of a JSON column.
pub(crate) const fn empty_json_object(sqlite: bool) -> &'static str {
    if sqlite { "'{}'" } else { "'{}'::jsonb" }
}

/// A NULL of a JSON column's type (PostgreSQL needs the type where no column gives it, as in a
/// `SELECT` list).
pub(crate) const fn null_json(sqlite: bool) -> &'static str {
    if sqlite { "NULL" } else { "NULL::jsonb" }
}

/// The JSON object `base` with the members of `over` added, replacing members of the same name
/// (`json_patch` on SQLite; `||` on `jsonb`). The store merges objects whose values are never
/// `null` (which `json_patch` would take as "remove").
pub(crate) fn json_merge(sqlite: bool, base: &str, over: &str) -> String {
    if sqlite {
        format!("json_patch({base}, {over})")
    } else {
        format!("{base} || {over}")
    }
}

/// The function that builds a JSON object from name, value pairs.
pub(crate) const fn json_build_object(sqlite: bool) -> &'static str {
    if sqlite {
        "json_object"
    } else {
        "jsonb_build_object"
    }
}

/// Stored JSON `column` as a JSON value inside [`json_build_object`] (SQLite stores JSON as
/// text, which would be nested as a string; `json()` marks it as JSON).
pub(crate) fn json_column(sqlite: bool, column: &str) -> String {
    if sqlite {
        format!("json({column})")
    } else {
        column.to_string()
    }
}

/// A subquery giving each element of the JSON array of text bound at `param` (a placeholder) as
/// a row: how a statement takes a list of any length as one parameter.
pub(crate) fn json_array_texts(sqlite: bool, param: &str) -> String {
    if sqlite {
        format!("SELECT value FROM json_each({param})")
    } else {
        format!("SELECT jsonb_array_elements_text({param}::jsonb)")
    }
}

/// `columns` of the rows of `table` of tenant `tenant` (a placeholder) whose `external_id` is one
/// of the JSON array of text bound at `values` (a placeholder). Each value is looked up through
/// the `(tenant_id, external_id)` index: SQLite does so for `IN (subquery)`; PostgreSQL is made
/// to by a LATERAL probe per value (its planner, left to itself, may flatten the probe into a
/// scan of all the tenant's rows per lookup, quadratic over an import; `OFFSET 0` keeps the
/// subquery from being pulled up).
pub(crate) fn rows_by_external_ids(
    sqlite: bool,
    table: &str,
    columns: &str,
    tenant: &str,
    values: &str,
) -> String {
    if sqlite {
        format!(
            "SELECT {columns} FROM {table} WHERE tenant_id = {tenant} \
             AND external_id IN ({})",
            json_array_texts(true, values)
        )
    } else {
        format!(
            "SELECT r.* FROM jsonb_array_elements_text({values}::jsonb) AS v(ext) CROSS JOIN LATERAL \
             (SELECT {columns} FROM {table} WHERE tenant_id = {tenant} AND external_id = v.ext OFFSET 0) AS r"
        )
    }
}

/// The JSON object in `column` without the members named `keys` (SQL-safe names written by
/// the store itself): `json_remove` on SQLite, `-` on `jsonb`.
pub(crate) fn json_without_keys(sqlite: bool, column: &str, keys: &[&str]) -> String {
    if sqlite {
        let paths: Vec<String> = keys.iter().map(|k| format!("'$.{k}'")).collect();
        format!("json_remove({column}, {})", paths.join(", "))
    } else {
        let names: Vec<String> = keys.iter().map(|k| format!("'{k}'")).collect();
        format!("{column} - ARRAY[{}]::text[]", names.join(", "))
    }
}

/// The function giving the 1-based position of a text in another, 0 when absent:
/// `{position}(haystack, needle)`.
pub(crate) const fn position(sqlite: bool) -> &'static str {
    if sqlite { "instr" } else { "strpos" }
}

/// An `INSERT` that skips rows a unique key already holds: `{head} table (…) VALUES …{tail}`.
/// SQLite's `OR IGNORE` also skips rows that break another constraint (`NOT NULL`, `CHECK`),
/// and leaves none that aborts a statement of many rows halfway, so SQLite keeps no statement
/// journal for it (a copy of every page such a statement changes, made in case a later row
/// fails); PostgreSQL's `ON CONFLICT DO NOTHING` skips only key conflicts.
pub(crate) const fn insert_or_ignore(sqlite: bool) -> (&'static str, &'static str) {
    if sqlite {
        ("INSERT OR IGNORE INTO", "")
    } else {
        ("INSERT INTO", " ON CONFLICT DO NOTHING")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fragment_is_spelled_for_its_database() {
        assert_eq!(json_merge(true, "a", "b"), "json_patch(a, b)");
        assert_eq!(json_merge(false, "a", "b"), "a || b");
        assert_eq!(json_column(true, "covers"), "json(covers)");
        assert_eq!(json_column(false, "covers"), "covers");
        assert!(json_array_texts(false, "$1").contains("$1::jsonb"));
        assert!(rows_by_external_ids(true, "debts", "id", "$1", "$2").ends_with("json_each($2))"));
        assert_eq!(insert_or_ignore(true).1, "");
        assert_eq!(
            json_without_keys(true, "data", &["a", "b"]),
            "json_remove(data, '$.a', '$.b')"
        );
        assert_eq!(
            json_without_keys(false, "data", &["a"]),
            "data - ARRAY['a']::text[]"
        );
    }
}
