//! `recaudo gen` (a synthetic portfolio file) and `recaudo demo` (a fresh demo database with two
//! tenants, served).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use clap::Args;
use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
use recaudo_domain::{Clock, Country, OffsetClock, SystemClock};
use recaudo_import::Format;
use recaudo_import::synth::{GenOptions, Sector, write_csv, write_jsonl};
use recaudo_store::{NewTenant, Store};

use crate::config::{Config, DatabaseUrl};
use crate::import::{ImportArgs, import_file};

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Number of debtors (each has one to three debts, one row per debt).
    #[arg(long, default_value_t = 1000)]
    pub debtors: usize,
    /// Same seed (and --today), same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file (`-` for standard output).
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
    /// Only these countries, e.g. `CO,BR` (default: BR, MX, CO, CL, PE, ES, US).
    #[arg(long, value_delimiter = ',')]
    pub country: Vec<Country>,
    /// csv or jsonl (default: from --out's extension, else csv).
    #[arg(long)]
    pub format: Option<Format>,
    /// The day due dates are spread around (default: today, UTC).
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// The products of the debts: mixed, utility (bills) or lender (cards and loans).
    #[arg(long, default_value = "mixed")]
    pub sector: Sector,
}

pub fn generate(args: GenArgs) -> anyhow::Result<()> {
    let opts = GenOptions {
        debtors: args.debtors,
        seed: args.seed,
        countries: args.country.clone(),
        today: args.today.unwrap_or_else(|| SystemClock.now().date_naive()),
        sector: args.sector,
    };
    let format = args
        .format
        .or_else(|| Format::from_path(&args.out))
        .unwrap_or(Format::Csv);
    if args.out.as_os_str() == "-" {
        write_to(&opts, format, BufWriter::new(std::io::stdout().lock()))?;
    } else {
        let file = std::fs::File::create(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let stats = write_to(&opts, format, BufWriter::with_capacity(1 << 20, file))?;
        eprintln!(
            "{}",
            serde_json::json!({"out": args.out, "debtors": stats.debtors, "rows": stats.rows})
        );
    }
    Ok(())
}

fn write_to<W: Write>(
    opts: &GenOptions,
    format: Format,
    out: W,
) -> anyhow::Result<recaudo_import::synth::GenStats> {
    match format {
        Format::Csv => write_csv(opts, out),
        Format::Jsonl => write_jsonl(opts, out),
    }
    .context("writing the file")
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The demo database file, deleted and made anew (default recaudo-demo.db). A
    /// `--database-url sqlite://FILE` names it too; the demo refuses any other database.
    #[arg(long)]
    pub database: Option<PathBuf>,
    /// Debtors generated per tenant.
    #[arg(long, default_value_t = 5000)]
    pub debtors: usize,
    /// Build the demo database, print its keys and how to serve it, and exit.
    #[arg(long)]
    pub no_serve: bool,
    /// How much faster than real time the demo's clock runs: 8640 is one simulated day every
    /// 10 seconds.
    #[arg(long, default_value_t = 8640.0)]
    pub speed: f64,
}

struct DemoTenant {
    name: &'static str,
    country: Country,
    /// The state whose law and holidays apply, if not the country's.
    region: Option<&'static str>,
    sector: Sector,
    seed: u64,
    /// The portal's colour and contact line.
    colour: &'static str,
    support: &'static str,
    /// The domain of its operators' e-mails, and their names (admin, agent, viewer).
    team_domain: &'static str,
    team: [&'static str; 3],
}

const DEMO_TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        name: "Energia Paulista (demo utility)",
        country: Country::Br,
        region: Some("SP"),
        sector: Sector::Utility,
        seed: 7,
        colour: "#0b6e4f",
        support: "0800 000 1234 · atendimento@energia-paulista.example",
        team_domain: "energia.demo",
        team: ["Ana Souza", "Bruno Lima", "Carla Dias"],
    },
    DemoTenant {
        name: "Crédito Andino (demo lender)",
        country: Country::Co,
        region: None,
        sector: Sector::Lender,
        seed: 11,
        colour: "#7a1f5c",
        support: "601 000 1234 · servicio@credito-andino.example",
        team_domain: "credito.demo",
        team: ["Andrés Gómez", "Beatriz Ruiz", "Camilo Rojas"],
    },
];

impl DemoTenant {
    fn jurisdiction(&self) -> anyhow::Result<Jurisdiction> {
        Ok(Jurisdiction::from_parts(self.country.code(), self.region)?)
    }
}

/// The demo's file: `--database`, or the file of an explicit `--database-url sqlite://FILE`.
fn demo_database(args: &DemoArgs, url: Option<&DatabaseUrl>) -> anyhow::Result<PathBuf> {
    let Some(url) = url else {
        return Ok(args
            .database
            .clone()
            .unwrap_or_else(|| PathBuf::from("recaudo-demo.db")));
    };
    if args.database.is_some() {
        anyhow::bail!(
            "give the demo's database once: --database FILE or --database-url sqlite://FILE"
        );
    }
    let file = url
        .expose()
        .strip_prefix("sqlite://")
        .or_else(|| url.expose().strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|file| !file.is_empty() && *file != ":memory:");
    match file {
        Some(file) => Ok(PathBuf::from(file)),
        None => anyhow::bail!(
            "the demo builds its own SQLite file and deletes it first, so it does not run on {}: \
             use --database FILE (or --database-url sqlite://FILE); for PostgreSQL, run \
             `recaudo migrate`, `recaudo tenant create` and `recaudo serve`",
            url.redacted()
        ),
    }
}

/// The hours (in Bogotá, 12:00–18:00 in São Paulo) when both demo tenants may contact
/// debtors on a working day, whatever the channel: the demo's day starts inside them.
const DEMO_HOURS: std::ops::Range<u32> = 10..16;

/// `now` when it falls inside [`DEMO_HOURS`] of a weekday that is a working day for every
/// calendar, else 10:00 Bogotá of the next such day: the demo's simulated day starts there,
/// so its first plan meets open contact hours, not an empty outbox.
pub fn demo_start(now: DateTime<Utc>, calendars: &[HolidayCalendar]) -> DateTime<Utc> {
    let bogota = chrono_tz::America::Bogota;
    let working = |day: NaiveDate| {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
            && calendars.iter().all(|calendar| !calendar.is_holiday(day))
    };
    let local = now.with_timezone(&bogota);
    if working(local.date_naive()) && DEMO_HOURS.contains(&local.hour()) {
        return now;
    }
    let mut day = local.date_naive();
    if local.hour() >= DEMO_HOURS.start || !working(day) {
        day = day.succ_opt().unwrap_or(day);
    }
    while !working(day) {
        day = day.succ_opt().unwrap_or(day);
    }
    let start = day.and_hms_opt(DEMO_HOURS.start, 0, 0).unwrap_or_default();
    // Bogotá keeps no daylight saving time: the local hour exists once.
    start
        .and_local_timezone(bogota)
        .single()
        .map_or(now, |at| at.with_timezone(&Utc))
}

pub async fn run(
    args: DemoArgs,
    config: &Config,
    database_url: Option<DatabaseUrl>,
) -> anyhow::Result<()> {
    crate::serve::init_tracing(&crate::config::LogConfig {
        level: "warn".into(),
        format: "text".into(),
    });
    let database = demo_database(&args, database_url.as_ref())?;
    for suffix in ["", "-wal", "-shm"] {
        let mut path = database.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(path));
    }
    let url = format!("sqlite://{}", database.display());
    let store = Store::open(&url).await?;
    let calendars = DEMO_TENANTS
        .iter()
        .map(|tenant| Ok(HolidayCalendar::for_jurisdiction(tenant.jurisdiction()?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let clock = OffsetClock::starting_at(demo_start(SystemClock.now(), &calendars));
    let now = clock.now();
    if clock.offset() > chrono::Duration::minutes(1) {
        eprintln!(
            "outside contact hours now: the demo's day starts {} (Bogotá), {} ahead of this clock",
            now.with_timezone(&chrono_tz::America::Bogota)
                .format("%a %Y-%m-%d %H:%M"),
            humanize(clock.offset())
        );
    }
    let workdir = std::env::temp_dir().join(format!("recaudo-demo-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let mut keys = vec![];
    // One password for the demo's operators, made afresh each run and shown in the banner.
    let team_password = recaudo_store::new_password();
    for tenant in &DEMO_TENANTS {
        let tk = store
            .create_tenant(
                NewTenant {
                    jurisdiction: Some(tenant.jurisdiction()?),
                    ..NewTenant::in_country(tenant.name, tenant.country)
                },
                now,
            )
            .await?;
        let file = workdir.join(format!("{}.csv", tenant.country.code().to_lowercase()));
        let out = std::fs::File::create(&file)?;
        write_to(
            &GenOptions {
                debtors: args.debtors,
                seed: tenant.seed,
                countries: vec![tenant.country],
                today: now.date_naive(),
                sector: tenant.sector,
            },
            Format::Csv,
            BufWriter::with_capacity(1 << 20, out),
        )?;
        let report = import_file(
            &store.tenant(&tk.tenant),
            &ImportArgs {
                file: file.clone(),
                tenant: tk.tenant.id.to_string(),
                format: Some(Format::Csv),
                errors: None,
                batch_size: 2000,
                show: 0,
            },
            false,
            now,
        )
        .await?;
        eprintln!("{}: {}", tenant.name, report.summary_json());
        // The example strategies, and today's plan written to the outbox.
        let ts = store.tenant(&tk.tenant);
        crate::examples::put_examples(&ts, now).await?;
        // The portal in the tenant's colours; links last the longest allowed, a year of the
        // demo's fast days.
        ts.put_portal_settings(
            &recaudo_store::PutPortalSettings {
                display_name: None,
                colour: Some(tenant.colour.into()),
                logo: None,
                support: Some(tenant.support.into()),
                link_days: Some(365),
            },
            now,
        )
        .await?;
        // The collections team: an administrator, an agent and a viewer.
        for (role, name) in [
            recaudo_domain::operators::OperatorRole::Admin,
            recaudo_domain::operators::OperatorRole::Agent,
            recaudo_domain::operators::OperatorRole::Viewer,
        ]
        .into_iter()
        .zip(tenant.team)
        {
            store
                .create_operator(
                    tk.tenant.id,
                    recaudo_store::NewOperator {
                        email: format!("{role}@{}", tenant.team_domain),
                        name: name.into(),
                        role,
                        language: None,
                        password: team_password.clone(),
                    },
                    now,
                )
                .await?;
        }
        let setup = std::sync::Arc::new(recaudo_engine::PlanSetup::load(&ts).await?);
        let plan = recaudo_engine::plan_tenant(
            &ts,
            setup,
            now,
            recaudo_engine::PlanRunOptions::default(),
            |_| {},
        )
        .await?;
        eprintln!(
            "{}: planned {} debtors' {} open debts, {} contacts in the outbox",
            tenant.name, plan.debtors, plan.debts, plan.contacts_written
        );
        eprint!("{}", crate::plan::outcomes(&plan));
        keys.push((tk.tenant, tk.api_key));
    }
    let _ = std::fs::remove_dir_all(&workdir);
    // A debtor of the first tenant whose portal the banner links to (a link issued now, as an
    // agent's `POST /api/v1/debtors/{id}/portal-link` would).
    let portal_debtor = match keys.first() {
        Some((tenant, _)) => store
            .tenant(tenant)
            .list_debtors(&recaudo_store::DebtorFilter {
                limit: Some(1),
                ..Default::default()
            })
            .await?
            .items
            .into_iter()
            .next()
            .map(|d| d.id),
        None => None,
    };
    // A key of the demo's own: provider accounts can be saved, and links are signed.
    let secrets_key = config
        .secrets
        .key
        .clone()
        .unwrap_or_else(recaudo_channels::seal::SealingKey::generate_hex);
    let link_key = crate::serve::link_key(Some(&secrets_key));

    // The dashboard opens with the first tenant's key in the fragment, which the browser never
    // sends to the server.
    let dashboard_key = keys
        .first()
        .map(|(_, key)| key.expose_secret().clone())
        .unwrap_or_default();
    let keys_and_try = move |base: &str| {
        // The demo shows its keys on purpose: they are how the reader tries the API.
        for (tenant, key) in &keys {
            println!();
            println!(
                "  tenant  {} ({}, {})",
                tenant.name, tenant.country, tenant.currency
            );
            println!("  api key {}", key.expose_secret());
        }
        if let Some((_, key)) = keys.first() {
            println!();
            println!("Try:");
            println!(
                "  curl -s -H 'Authorization: Bearer {}' '{base}/api/v1/debtors?limit=3'",
                key.expose_secret()
            );
        }
    };
    if args.no_serve {
        let addr: std::net::SocketAddr = args
            .addr
            .parse()
            .with_context(|| format!("--addr {}", args.addr))?;
        println!();
        println!("recaudo demo database ready: {}", database.display());
        println!(
            "  serve it with: recaudo serve --database-url {url} --addr {addr} (then http://{addr}/api/docs)"
        );
        println!(
            "  the dashboard then: http://{addr}/app, signed in as admin@{} with password {}",
            DEMO_TENANTS[0].team_domain,
            team_password.expose_secret()
        );
        keys_and_try(&format!("http://{addr}"));
        return Ok(());
    }
    let banner = move |local: std::net::SocketAddr| {
        let base = format!("http://{local}");
        println!();
        println!("recaudo demo is running on {base}");
        println!(
            "  dashboard     {base}/app  sign in as admin@{} with password {}",
            DEMO_TENANTS[0].team_domain,
            team_password.expose_secret()
        );
        println!(
            "                (also agent@… and viewer@…; admin@{} for the other tenant; same password)",
            DEMO_TENANTS[1].team_domain
        );
        println!("  outbox by key {base}/about#key={dashboard_key}");
        if let Some(debtor) = portal_debtor {
            let links = recaudo_channels::links::LinkSigner::new(&link_key, &base);
            println!(
                "  a portal      {} (a debtor's page: pay, promise, plan, dispute)",
                links.debtor_url(debtor, now)
            );
        }
        println!("  API docs      {base}/api/docs");
        println!("  OpenAPI       {base}/api/v1/openapi.json");
        println!("  health        {base}/healthz");
        println!("  metrics       {base}/metrics");
        println!(
            "  strategies    {base}/api/v1/strategies (schema: {base}/api/v1/schemas/strategy.json)"
        );
        keys_and_try(&base);
        println!();
        println!("Press Ctrl-C to stop.");
    };
    let mut cfg = config.clone();
    cfg.database_url = DatabaseUrl::from(url);
    // Simulated days: the planner runs every few simulated hours, the dispatcher sends to the
    // sandbox, whose debtors read, answer and pay as the days go by.
    let speed = if args.speed.is_finite() && args.speed >= 1.0 {
        args.speed
    } else {
        anyhow::bail!("--speed must be at least 1 (real time), not {}", args.speed);
    };
    let clock: Arc<dyn Clock> = Arc::new(recaudo_domain::ScaledClock::new(now, speed));
    cfg.planner.enabled = true;
    cfg.planner.interval_seconds = ((6.0 * 3600.0 / speed) as u64).max(1);
    cfg.dispatch.enabled = true;
    cfg.dispatch.sandbox = true;
    cfg.dispatch.idle_millis = 250;
    cfg.secrets.key = Some(secrets_key);
    let status = tokio::spawn(report_progress(store.clone(), Arc::clone(&clock)));
    let served = crate::serve::serve(store, &cfg, &args.addr, clock, Some(Box::new(banner))).await;
    status.abort();
    served
}

/// Every ten seconds, what the demo did so far: the simulated day, what left by channel, what
/// came back, what debtors wrote and what was done about it, how many debts were paid and how
/// much was collected.
async fn report_progress(store: Store, clock: Arc<dyn Clock>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        let Ok(tenants) = store.list_tenants().await else {
            continue;
        };
        let day = clock
            .now()
            .with_timezone(&chrono_tz::America::Bogota)
            .format("%a %Y-%m-%d %H:%M");
        for tenant in tenants {
            let ts = store.tenant(&tenant);
            let Ok(counts) = ts.outbox_counts().await else {
                continue;
            };
            let sent: Vec<String> = counts
                .sent_by_channel
                .iter()
                .map(|(channel, n)| format!("{channel} {n}"))
                .collect();
            let collected = ts.collected().await.ok();
            let paid = collected.as_ref().map_or(0, |c| c.paid_debts);
            let amounts: Vec<String> = collected
                .iter()
                .flat_map(|c| &c.by_currency)
                .map(|t| {
                    recaudo_channels::templates::format_money(
                        &t.total,
                        tenant.language,
                        tenant.country,
                    )
                })
                .collect();
            let messages = ts.message_counts().await.ok().unwrap_or_default();
            println!(
                "[{day}] {}: planned {}, sent {} ({}), delivered {}, opened {}, replied {}, {}, paid debts {paid}, collected {}",
                tenant.name,
                counts.by_state.get("planned").copied().unwrap_or(0),
                counts.sent_by_channel.values().sum::<i64>(),
                if sent.is_empty() {
                    "none yet".to_string()
                } else {
                    sent.join(", ")
                },
                counts.delivered,
                counts.opened,
                counts.replied,
                conversation_line(&messages),
                if amounts.is_empty() {
                    "nothing yet".to_string()
                } else {
                    amounts.join(", ")
                },
            );
        }
    }
}

/// `messages received 12 (promises 4, opt-outs 1, agent tasks 3)`: what debtors wrote and
/// what was done about it.
fn conversation_line(counts: &recaudo_store::MessageCounts) -> String {
    let action = |name: &str| counts.by_action.get(name).copied().unwrap_or(0);
    format!(
        "messages received {} (promises {}, opt-outs {}, agent tasks {})",
        counts.received,
        action("promise_made"),
        action("opted_out"),
        counts.tasks
    )
}

/// `1 day 3 h`, `5 h 20 min`: how far the demo's clock runs ahead.
fn humanize(offset: chrono::Duration) -> String {
    let minutes = offset.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        (1, _) => format!("1 day {hours} h"),
        _ => format!("{days} days {hours} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// The demo's day starts inside both tenants' contact hours, on a working day of both.
    #[test]
    fn the_demo_day_starts_inside_contact_hours() {
        let calendars: Vec<HolidayCalendar> = DEMO_TENANTS
            .iter()
            .map(|tenant| HolidayCalendar::for_jurisdiction(tenant.jurisdiction().unwrap()))
            .collect();
        for (now, start) in [
            // Monday 11:00 Bogotá: now.
            ("2026-12-07T16:00:00Z", "2026-12-07T16:00:00Z"),
            // Monday 07:00 Bogotá: 10:00 the same day.
            ("2026-12-07T12:00:00Z", "2026-12-07T15:00:00Z"),
            // Monday 17:00 Bogotá: Tuesday 10:00 (Tuesday 8 December is a holiday in CO:
            // Wednesday).
            ("2026-12-07T22:00:00Z", "2026-12-09T15:00:00Z"),
            // Sunday: Monday 10:00.
            ("2026-12-06T09:53:00Z", "2026-12-07T15:00:00Z"),
            // Friday 23:00 Bogotá: Monday.
            ("2026-12-12T04:00:00Z", "2026-12-14T15:00:00Z"),
            // Christmas Day (holiday in both) at 11:00 Bogotá: the next working day.
            ("2026-12-25T16:00:00Z", "2026-12-28T15:00:00Z"),
        ] {
            assert_eq!(demo_start(utc(now), &calendars), utc(start), "{now}");
        }
        // Every hour of a year lands inside the hours, on a working day, never earlier.
        let mut now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        while now.year() == 2026 {
            let start = demo_start(now, &calendars);
            let local = start.with_timezone(&chrono_tz::America::Bogota);
            assert!(
                start >= now && start - now < chrono::Duration::days(6),
                "{now}"
            );
            assert!(DEMO_HOURS.contains(&local.hour()), "{now} → {local}");
            assert!(
                calendars.iter().all(|c| !c.is_holiday(local.date_naive())),
                "{now} → {local}"
            );
            now += chrono::Duration::hours(1);
        }
    }

    #[test]
    fn the_progress_line_counts_messages_and_what_was_done() {
        let counts = recaudo_store::MessageCounts {
            received: 12,
            by_intent: [("promise_to_pay".to_string(), 5)].into(),
            by_action: [
                ("promise_made".to_string(), 4),
                ("opted_out".to_string(), 1),
            ]
            .into(),
            tasks: 3,
        };
        assert_eq!(
            conversation_line(&counts),
            "messages received 12 (promises 4, opt-outs 1, agent tasks 3)"
        );
        assert_eq!(
            conversation_line(&Default::default()),
            "messages received 0 (promises 0, opt-outs 0, agent tasks 0)"
        );
    }

    #[test]
    fn the_demo_takes_a_sqlite_url_and_refuses_others() {
        let args = |database: Option<&str>| DemoArgs {
            addr: "127.0.0.1:0".into(),
            database: database.map(PathBuf::from),
            debtors: 1,
            no_serve: true,
            speed: 8640.0,
        };
        let url = |text: &str| DatabaseUrl::from(text.to_string());
        assert_eq!(
            demo_database(&args(None), None).unwrap(),
            PathBuf::from("recaudo-demo.db")
        );
        assert_eq!(
            demo_database(&args(None), Some(&url("sqlite://x/demo.db?mode=rwc"))).unwrap(),
            PathBuf::from("x/demo.db")
        );
        let refused = demo_database(&args(None), Some(&url("postgres://app:hunter2@db/recaudo")))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("does not run on postgres://app:***@db/recaudo"),
            "{refused}"
        );
        assert!(!refused.contains("hunter2"));
        assert!(
            demo_database(&args(Some("a.db")), Some(&url("sqlite://b.db")))
                .unwrap_err()
                .to_string()
                .contains("once")
        );
    }
}
