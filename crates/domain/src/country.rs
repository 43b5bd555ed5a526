//! Countries recaudo knows, with their defaults (time zone, currency, language, phone region).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Currency;
use crate::portfolio::Language;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Country {
    Br,
    Mx,
    Co,
    Cl,
    Pe,
    Ar,
    Es,
    Us,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown country `{0}` (expected one of BR, MX, CO, CL, PE, AR, ES, US)")]
pub struct UnknownCountry(pub String);

impl Country {
    pub const ALL: [Country; 8] = [
        Country::Br,
        Country::Mx,
        Country::Co,
        Country::Cl,
        Country::Pe,
        Country::Ar,
        Country::Es,
        Country::Us,
    ];

    /// ISO 3166-1 alpha-2 code.
    pub fn code(self) -> &'static str {
        match self {
            Country::Br => "BR",
            Country::Mx => "MX",
            Country::Co => "CO",
            Country::Cl => "CL",
            Country::Pe => "PE",
            Country::Ar => "AR",
            Country::Es => "ES",
            Country::Us => "US",
        }
    }

    pub fn currency(self) -> Currency {
        match self {
            Country::Br => Currency::Brl,
            Country::Mx => Currency::Mxn,
            Country::Co => Currency::Cop,
            Country::Cl => Currency::Clp,
            Country::Pe => Currency::Pen,
            Country::Ar => Currency::Ars,
            Country::Es => Currency::Eur,
            Country::Us => Currency::Usd,
        }
    }

    /// The time zone of the country's largest city, the default for its debtors.
    pub fn default_timezone(self) -> chrono_tz::Tz {
        use chrono_tz::America;
        match self {
            Country::Br => America::Sao_Paulo,
            Country::Mx => America::Mexico_City,
            Country::Co => America::Bogota,
            Country::Cl => America::Santiago,
            Country::Pe => America::Lima,
            Country::Ar => America::Argentina::Buenos_Aires,
            Country::Es => chrono_tz::Europe::Madrid,
            Country::Us => America::New_York,
        }
    }

    pub fn language(self) -> Language {
        match self {
            Country::Br => Language::Pt,
            Country::Us => Language::En,
            _ => Language::Es,
        }
    }

    /// The region used to read national phone numbers.
    pub fn phone_region(self) -> phonenumber::country::Id {
        use phonenumber::country::Id;
        match self {
            Country::Br => Id::BR,
            Country::Mx => Id::MX,
            Country::Co => Id::CO,
            Country::Cl => Id::CL,
            Country::Pe => Id::PE,
            Country::Ar => Id::AR,
            Country::Es => Id::ES,
            Country::Us => Id::US,
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Country {
    type Err = UnknownCountry;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        Country::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| UnknownCountry(text.to_string()))
    }
}
