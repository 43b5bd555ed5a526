//! The binary, run as a user runs it.

use crate::fixtures::*;

use std::process::Command;

#[tokio::test]
async fn tenant_gen_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for url in database_urls().await {
        let m = recaudo(&url, &["migrate"], dir.path());
        assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));

        let created = recaudo(
            &url,
            &["tenant", "create", "--name", "Acme", "--country", "CO"],
            dir.path(),
        );
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
        let t = last_json(&created);
        let tenant_id = t["tenant_id"].as_str().unwrap().to_string();
        assert!(tenant_id.starts_with("ten_"));
        assert!(t["api_key"].as_str().unwrap().starts_with("rk_"));

        let file = dir.path().join("co.csv");
        let g = recaudo(
            &url,
            &[
                "gen",
                "--debtors",
                "300",
                "--seed",
                "5",
                "--country",
                "CO",
                "--today",
                "2026-11-23",
                "--out",
                file.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));

        // Spoil two rows: a bad amount and a bad email.
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        let amount_col = header.iter().position(|h| *h == "amount").unwrap();
        let total_rows = lines.len() - 1;
        let mut rec: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(lines[2].as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        rec[amount_col] = "doce".into();
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(&rec).unwrap();
        lines[2] = String::from_utf8(w.into_inner().unwrap())
            .unwrap()
            .trim_end()
            .to_string();
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();

        let imp = recaudo(
            &url,
            &["import", file.to_str().unwrap(), "--tenant", &tenant_id],
            dir.path(),
        );
        assert!(
            imp.status.success(),
            "{}",
            String::from_utf8_lossy(&imp.stderr)
        );
        let report = last_json(&imp);
        assert_eq!(report["rows"], total_rows as u64, "{report}");
        assert_eq!(report["errors"], 1, "{report}");
        assert_eq!(report["imported"], total_rows as u64 - 1, "{report}");
        let stderr = String::from_utf8_lossy(&imp.stderr);
        assert!(
            stderr.contains("error: line 3, column amount: `doce` is not a number"),
            "{stderr}"
        );
        assert_eq!(
            stderr.matches("doce").count(),
            1,
            "the value once: {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "1 of {total_rows} rows failed and were not imported"
            )),
            "{stderr}"
        );
        let errors_file = dir.path().join("co.csv.errors.csv");
        let errors = std::fs::read_to_string(&errors_file).unwrap();
        assert!(
            errors.starts_with("line,column,value,reason,severity"),
            "{errors}"
        );
        assert!(errors.contains("3,amount,doce,"), "{errors}");

        // Idempotent: the same file again updates, imports nothing new.
        let again = last_json(&recaudo(
            &url,
            &["import", file.to_str().unwrap(), "--tenant", "Acme"],
            dir.path(),
        ));
        assert_eq!(again["imported"], 0, "{again}");
        assert_eq!(again["updated"], total_rows as u64 - 1, "{again}");
        std::fs::remove_file(&errors_file).unwrap();
    }
}

#[test]
fn gen_is_deterministic_and_filters_countries() {
    let dir = tempfile::tempdir().unwrap();
    let url = recaudo_store::testing::fresh_sqlite_url();
    let run = |name: &str, seed: &str| {
        let p = dir.path().join(name);
        let o = recaudo(
            &url,
            &[
                "gen",
                "--debtors",
                "200",
                "--seed",
                seed,
                "--country",
                "CO,BR",
                "--today",
                "2026-11-23",
                "--out",
                p.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(p).unwrap()
    };
    let a = run("a.csv", "9");
    let b = run("b.csv", "9");
    let c = run("c.csv", "10");
    assert_eq!(a, b, "same seed, same file");
    assert_ne!(a, c);
    let mut rdr = csv::Reader::from_reader(a.as_slice());
    let country = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "country")
        .unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        assert!(["CO", "BR"].contains(&&r[country]), "{:?}", &r[country]);
    }
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let url = recaudo_store::testing::fresh_sqlite_url();
    let bad_country = recaudo(
        &url,
        &["tenant", "create", "--name", "X", "--country", "ZZ"],
        dir.path(),
    );
    assert!(!bad_country.status.success());
    assert!(String::from_utf8_lossy(&bad_country.stderr).contains("unknown country `ZZ`"));

    let wrong_state = recaudo(
        &url,
        &[
            "tenant",
            "create",
            "--name",
            "X",
            "--country",
            "CO",
            "--jurisdiction",
            "BR-SP",
        ],
        dir.path(),
    );
    assert!(!wrong_state.status.success());
    assert!(
        String::from_utf8_lossy(&wrong_state.stderr).contains("jurisdiction"),
        "{}",
        String::from_utf8_lossy(&wrong_state.stderr)
    );
    let sp = recaudo(
        &url,
        &[
            "tenant",
            "create",
            "--name",
            "Luz SP",
            "--country",
            "BR",
            "--jurisdiction",
            "br-sp",
        ],
        dir.path(),
    );
    assert!(
        sp.status.success(),
        "{}",
        String::from_utf8_lossy(&sp.stderr)
    );
    let listed = recaudo(&url, &["tenant", "list"], dir.path());
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(r#""jurisdiction":"BR-SP""#),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );

    let t = last_json(&recaudo(
        &url,
        &["tenant", "create", "--name", "X", "--country", "BR"],
        dir.path(),
    ));
    let f = dir.path().join("wrong.csv");
    std::fs::write(&f, "debtor_external_id,nombre,colour\nA,B,red\n").unwrap();
    let o = recaudo(
        &url,
        &[
            "import",
            f.to_str().unwrap(),
            "--tenant",
            t["tenant_id"].as_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("missing required column(s): debt_external_id, amount, due_date"),
        "{err}"
    );
    assert!(err.contains("unknown column(s): colour"), "{err}");

    let o = recaudo(
        &url,
        &["import", f.to_str().unwrap(), "--tenant", "nobody"],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no tenant with id or name `nobody`"));

    let o = recaudo("mysql://x", &["migrate"], dir.path());
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("neither `sqlite://FILE` nor `postgres://")
    );
}

#[test]
fn demo_builds_two_tenants_and_prints_a_working_curl_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args([
            "demo",
            "--debtors",
            "150",
            "--no-serve",
            "--database",
            "demo.db",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("http://127.0.0.1:8080/api/docs"), "{out}");
    assert!(
        out.contains("curl -s -H 'Authorization: Bearer rk_"),
        "{out}"
    );
    assert_eq!(out.matches("api key rk_").count(), 2, "{out}");
    assert!(dir.path().join("demo.db").exists());
    // Nothing is served: the demo says how to serve what it built, not that it runs.
    assert!(!out.contains("is running"), "{out}");
    assert!(
        out.contains("recaudo serve --database-url sqlite://demo.db"),
        "{out}"
    );
    // Each tenant's summary accounts for every debt, and contacts were planned.
    let err = String::from_utf8_lossy(&o.stderr);
    let mut summaries = 0;
    for block in err.split("each of the ").skip(1) {
        let debts: u64 = block.split(' ').next().unwrap().parse().unwrap();
        let counts: Vec<(String, u64)> = block
            .lines()
            .skip(1)
            .take_while(|line| line.starts_with("    "))
            .map(|line| {
                let (what, count) = line.trim().rsplit_once(' ').unwrap();
                (what.trim().to_string(), count.parse().unwrap())
            })
            .collect();
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), debts, "{err}");
        assert!(
            counts.iter().any(|(what, n)| what == "contacted" && *n > 0),
            "the demo's day is inside contact hours: {err}"
        );
        summaries += 1;
    }
    assert_eq!(summaries, 2, "{err}");
}

#[test]
fn demo_refuses_a_database_it_would_not_use() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args([
            "demo",
            "--no-serve",
            "--database-url",
            "postgres://app:hunter2@127.0.0.1:5432/recaudo",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("does not run on postgres://app:***@"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    // A SQLite URL names the demo's file.
    let o = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args([
            "demo",
            "--no-serve",
            "--debtors",
            "20",
            "--database-url",
            "sqlite://mine.db",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("mine.db").exists());
    assert!(!dir.path().join("recaudo-demo.db").exists());
}

#[tokio::test]
async fn demo_serves_and_the_printed_curl_returns_debtors() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args([
            "demo",
            "--debtors",
            "120",
            "--addr",
            "127.0.0.1:0",
            "--database",
            "demo.db",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut curl = None;
    let mut dashboard = None;
    let mut outbox = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim_start().strip_prefix("dashboard") {
            dashboard = Some(rest.trim().to_string());
        }
        if let Some(url) = line.trim_start().strip_prefix("outbox by key") {
            outbox = Some(url.trim().to_string());
        }
        if line.trim_start().starts_with("curl ") {
            curl = Some(line.trim().to_string());
        }
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let curl = curl.expect("the demo prints a curl line");
    // curl -s -H 'Authorization: Bearer KEY' 'URL'
    let parts: Vec<&str> = curl.split('\'').collect();
    let auth = parts[1];
    let url = parts[3];
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::new()
        .get(url)
        .header("Authorization", auth.trim_start_matches("Authorization: "))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap();
    // The planner runs on its own at start: its figures reach /metrics.
    let base = url.split("/api/").next().unwrap();
    // The outbox's live view opens with the first tenant's key in the fragment.
    assert_eq!(
        outbox.as_deref(),
        Some(
            format!(
                "{base}/about#key={}",
                auth.trim_start_matches("Authorization: Bearer ")
            )
            .as_str()
        ),
        "the demo prints the outbox's view with the key"
    );
    // The dashboard's line: `{base}/app  sign in as EMAIL with password PASSWORD`, and the
    // login it prints signs in.
    let dashboard = dashboard.expect("the demo prints the dashboard");
    let words: Vec<&str> = dashboard.split_whitespace().collect();
    assert_eq!(words[0], format!("{base}/app"), "{dashboard}");
    let (email, password) = (words[4], words[7]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = client
        .post(format!("{base}/app/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={email}&password={password}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        signed.status(),
        303,
        "the printed login signs in: {dashboard}"
    );
    let cookie = signed.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let account = client
        .get(format!("{base}/app/account"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("Energia Paulista"), "{account}");
    let mut metrics = String::new();
    for _ in 0..300 {
        metrics = reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("recaudo_planner_runs_total{outcome=\"ok\"} 2") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    assert!(
        metrics.contains("recaudo_planner_runs_total{outcome=\"ok\"} 2"),
        "two tenants planned: {metrics}"
    );
    assert!(
        metrics.contains("recaudo_planner_decisions_total{"),
        "{metrics}"
    );
    assert!(metrics.contains("recaudo_planner_run_seconds"), "{metrics}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{body}");
    assert!(items[0]["id"].as_str().unwrap().starts_with("dbr_"));
}
