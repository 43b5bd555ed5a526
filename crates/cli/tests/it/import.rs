//! `recaudo import` on files as spreadsheets export them: `--check`, `--locale`, `--map`, and
//! the exit status when nothing was imported.

use crate::fixtures::*;

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    workspace().join("crates/import/tests/fixtures").join(name)
}

/// A migrated database with a tenant of `country`; returns the tenant's id.
fn tenant(url: &str, dir: &Path, country: &str) -> String {
    let m = recaudo(url, &["migrate"], dir);
    assert!(m.status.success(), "{}", stderr(&m));
    let created = recaudo(
        url,
        &[
            "tenant",
            "create",
            "--name",
            "Cobranzas",
            "--country",
            country,
        ],
        dir,
    );
    assert!(created.status.success(), "{}", stderr(&created));
    last_json(&created)["tenant_id"]
        .as_str()
        .expect("tenant id")
        .to_string()
}

/// A fixture copied into `dir`, so that its errors file lands there.
fn copy(name: &str, dir: &Path) -> String {
    let to = dir.join(name);
    std::fs::copy(fixture(name), &to).expect("copy fixture");
    to.to_str().expect("utf-8 path").to_string()
}

#[tokio::test]
async fn check_shows_how_each_column_is_read_and_writes_nothing() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let tenant_id = tenant(&url, dir.path(), "CO");
        let file = copy("co_cp1252_semicolon.csv", dir.path());
        let o = recaudo(
            &url,
            &["import", &file, "--tenant", &tenant_id, "--check"],
            dir.path(),
        );
        let out = stdout(&o);
        assert!(o.status.success(), "{out}{}", stderr(&o));
        for want in [
            "encoding: windows-1252 (detected)",
            "separator: `;` (detected)",
            "numbers: decimal comma, thousands dot (1.500.000,50) (told from the file)",
            "dates: dd/mm/yyyy",
            "Cédula",
            "→ document_number",
            "Fecha de vencimiento",
            "→ due_date",
            "debtor_external_id: the document number in `Cédula`",
            "debt_external_id: the invoice number in `Factura`",
            "currency: no column; the tenant's currency, COP",
            "rows: 3 read, 2 would be imported, 1 with errors, 2 warnings",
            "warning: line 3, column Celular (phone): `(604) 444 5566` is a landline number",
            "error: line 4, column Valor (amount): `doce` is not a number",
        ] {
            assert!(out.contains(want), "missing `{want}` in:\n{out}");
        }
        assert_eq!(last_json(&o)["valid"], 2, "{out}");
        assert!(
            !dir.path()
                .join("co_cp1252_semicolon.csv.errors.csv")
                .exists(),
            "a check writes no errors file"
        );

        // Nothing was written: the real import imports both good rows as new.
        let o = recaudo(&url, &["import", &file, "--tenant", &tenant_id], dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
        let report = last_json(&o);
        assert_eq!(
            (report["imported"].as_u64(), report["warnings"].as_u64()),
            (Some(2), Some(2)),
            "{report}"
        );
    }
}

#[tokio::test]
async fn an_import_that_imports_nothing_fails_and_says_where_the_errors_are() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let tenant_id = tenant(&url, dir.path(), "BR");
        // Without a locale, 05/12/2026 could be May or December: every row is refused.
        let file = copy("br_latin1_tab.csv", dir.path());
        let o = recaudo(&url, &["import", &file, "--tenant", &tenant_id], dir.path());
        assert!(!o.status.success(), "{}", stdout(&o));
        let err = stderr(&o);
        let errors_file = dir.path().join("br_latin1_tab.csv.errors.csv");
        assert!(
            err.contains(&format!(
                "no row was imported: 2 of 2 rows failed; every problem is in {}",
                errors_file.display()
            )),
            "{err}"
        );
        assert!(errors_file.exists());
        assert_eq!(last_json(&o)["imported"], 0);

        // A file with a header and no rows imports nothing either.
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "cedula,nombre,factura,valor,vencimiento\n").unwrap();
        let o = recaudo(
            &url,
            &["import", empty.to_str().unwrap(), "--tenant", &tenant_id],
            dir.path(),
        );
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("no row was imported: the file has no data rows"),
            "{}",
            stderr(&o)
        );

        // The locale says the order: both rows import.
        let o = recaudo(
            &url,
            &["import", &file, "--tenant", &tenant_id, "--locale", "pt-BR"],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["imported"], 2);
    }
}

#[test]
fn a_mapping_file_and_reading_options_reach_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let url = recaudo_store::testing::fresh_sqlite_url();
    let tenant_id = tenant(&url, dir.path(), "CO");
    let file = copy("co_mapped.csv", dir.path());
    let map = fixture("co_mapping.toml");
    let o = recaudo(&url, &["import", &file, "--tenant", &tenant_id], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--map mapping.toml"), "{}", stderr(&o));

    let o = recaudo(
        &url,
        &[
            "import",
            &file,
            "--tenant",
            &tenant_id,
            "--map",
            map.to_str().unwrap(),
            "--separator",
            ";",
            "--encoding",
            "utf-8",
            "--locale",
            "es-CO",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(last_json(&o)["imported"], 1);

    let o = recaudo(
        &url,
        &["import", &file, "--tenant", &tenant_id, "--locale", "fr-FR"],
        dir.path(),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown locale `fr-FR`"),
        "{}",
        stderr(&o)
    );
}
