//! `recaudo calendar …`: public-holiday calendars (data: crates/domain/data/holidays/).

use chrono::Datelike;
use clap::{Args, Subcommand};
use recaudo_domain::Clock;
use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Print a year's public holidays, one ISO date per line, sorted.
    Holidays(HolidaysArgs),
}

#[derive(Args, Debug)]
pub struct HolidaysArgs {
    /// Country or region: BR, BR-SP, BR-RJ, MX, CO, CL, PE, AR, ES, US (case-insensitive).
    #[arg(long, value_name = "CODE")]
    country: String,
    /// A state or region of the country, e.g. `--country BR --region SP` (= `--country BR-SP`).
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// Year (default: the current year).
    #[arg(long)]
    year: Option<i32>,
    /// Add a tab and the holiday's name after each date.
    #[arg(long)]
    names: bool,
}

pub fn run(command: CalendarCommand, clock: &dyn Clock) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Holidays(args) => holidays(args, clock),
    }
}

fn holidays(args: HolidaysArgs, clock: &dyn Clock) -> anyhow::Result<()> {
    let country = args.country.trim();
    let jurisdiction = match args.region.as_deref() {
        Some(region) if country.contains('-') => {
            anyhow::bail!(
                "give the region either in `--country {country}` or in `--region {region}`, not both"
            );
        }
        region => Jurisdiction::from_parts(country, region)?,
    };
    let year = args.year.unwrap_or_else(|| clock.now().year());
    let calendar = HolidayCalendar::try_for_jurisdiction(jurisdiction)?;
    let mut out = String::new();
    for holiday in calendar.holidays(year) {
        out.push_str(&holiday.date.to_string());
        if args.names {
            out.push('\t');
            out.push_str(&holiday.name);
        }
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}
