//! What every portal page works with ([`PortalCtx`]): the verified link, its tenant and
//! debtor, the debtor's open debts, the tenant's portal settings, the page's language and the
//! rate limits already counted. Also the signed-link lookup the tracking links share
//! ([`linked`]).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use recaudo_channels::links::{LinkPurpose, LinkSigner};
use recaudo_channels::templates::{format_date, format_money, locale_tag};
use recaudo_domain::outbox::Contact;
use recaudo_domain::portfolio::{Debt, DebtStatus, Debtor, Language, Tenant, parse_timezone};
use recaudo_domain::{ContactId, Country, DebtId, Money};
use recaudo_store::{DebtFilter, PortalSettings, StoreError, TenantStore};

use super::layout::{not_found_page, too_many_page, unavailable_page};
use crate::AppState;

/// What a genuine contact link leads to: the contact, its tenant and its debtor.
pub(crate) struct Linked {
    pub ts: TenantStore,
    pub contact: Contact,
    pub debtor: Debtor,
}

impl Linked {
    pub fn tenant(&self) -> &Tenant {
        self.ts.tenant()
    }
}

/// Why a link leads nowhere.
pub(crate) enum LinkError {
    /// No link key, a forged, mistyped, expired or revoked token, or a contact or debtor that
    /// no longer exists.
    NotFound,
    Store(StoreError),
}

impl From<StoreError> for LinkError {
    fn from(error: StoreError) -> Self {
        match error {
            // A debtor erased since the message went out.
            StoreError::NotFound { .. } => LinkError::NotFound,
            error => LinkError::Store(error),
        }
    }
}

impl LinkError {
    /// The page for the debtor: not found, or sorry-try-later.
    pub fn into_page(self) -> Response {
        match self {
            LinkError::NotFound => not_found_page(),
            LinkError::Store(error) => {
                tracing::error!(%error, "a link's page could not be read");
                unavailable_page()
            }
        }
    }
}

/// The contact a link's token names, with its tenant and debtor. A forged token is logged.
pub(crate) async fn linked(
    state: &AppState,
    purpose: LinkPurpose,
    token: &str,
) -> Result<Linked, LinkError> {
    let contact = verified(state, purpose, token).ok_or(LinkError::NotFound)?;
    let ts = state
        .store
        .tenant_of_contact(contact)
        .await
        .map_err(LinkError::Store)?
        .ok_or(LinkError::NotFound)?;
    let contact = ts.get_contact(contact).await?;
    let debtor = ts.get_debtor(contact.debtor_id).await?;
    Ok(Linked {
        ts,
        contact,
        debtor,
    })
}

/// The contact a token names when it is genuine; a forged one is logged (not the token: it
/// would let a log reader replay a genuine one that only looked forged).
pub(crate) fn verified(state: &AppState, purpose: LinkPurpose, token: &str) -> Option<ContactId> {
    let links = state.links.as_ref()?;
    let contact = links.verify(purpose, token);
    if contact.is_none() {
        tracing::warn!(
            link = purpose.path(),
            "a link with a forged or mangled token"
        );
    }
    contact
}

/// Which kind of link opened the portal.
#[derive(Debug, Clone)]
pub enum PortalLink {
    /// The link a message carried: its contact.
    Contact(Box<Contact>),
    /// A link an agent issued for the debtor (`POST /api/v1/debtors/{id}/portal-link`).
    Debtor,
}

/// Everything a portal page needs, checked: build it with [`load`] or take it as an axum
/// extractor (the path's `{token}` is read; a bad link answers the neutral 404 page, too many
/// requests the 429 page).
pub struct PortalCtx {
    pub state: AppState,
    pub signer: LinkSigner,
    /// The token of the link, as in the URL.
    pub token: String,
    pub ts: TenantStore,
    pub debtor: Debtor,
    pub link: PortalLink,
    /// When the link was issued.
    pub issued_at: DateTime<Utc>,
    /// ALL the debtor's open debts (neither paid nor written off), the message's first.
    pub debts: Vec<Debt>,
    /// The debtor's debts already paid, for their receipts.
    pub paid: Vec<Debt>,
    pub settings: PortalSettings,
    /// The page's language: `?lang=` (the switcher), else the debtor's preference, else the
    /// debtor's language.
    pub lang: Language,
    pub country: Country,
    pub now: DateTime<Utc>,
    /// The security windows' time ([`AppState::wall_clock`]).
    pub wall_now: DateTime<Utc>,
    /// The debtor's today, in their time zone.
    pub today: NaiveDate,
    pub tz: chrono_tz::Tz,
    /// Whether the home page offers paying (`/p/{token}/pay`) and a payment plan
    /// (`/p/{token}/plan`); false until those pages exist.
    pub can_pay: bool,
    pub can_plan: bool,
    /// The form this request is about: the path's last segment (`promise`, `dispute`, …).
    pub form: String,
    /// The path after `/p/{token}` (`""` for home, `/promise`, …).
    pub subpath: String,
    pub headers: HeaderMap,
}

impl PortalCtx {
    pub fn tenant(&self) -> &Tenant {
        self.ts.tenant()
    }

    /// The name the portal shows for the tenant.
    pub fn tenant_name(&self) -> &str {
        self.settings
            .display_name
            .as_deref()
            .unwrap_or(&self.tenant().name)
    }

    /// `contact` or `debtor`.
    pub fn link_kind(&self) -> &'static str {
        match self.link {
            PortalLink::Contact(_) => "contact",
            PortalLink::Debtor => "debtor",
        }
    }

    pub fn contact_id(&self) -> Option<ContactId> {
        match &self.link {
            PortalLink::Contact(contact) => Some(contact.id),
            PortalLink::Debtor => None,
        }
    }

    /// A portal URL of this link (`path` after the token: `""`, `/promise`, …), with the
    /// page's language kept.
    pub fn href(&self, path: &str) -> String {
        format!("/p/{}{path}?lang={}", self.token, self.lang.as_str())
    }

    /// The BCP 47 tag of the page (`pt-BR`).
    pub fn locale(&self) -> &'static str {
        locale_tag(self.lang, self.country)
    }

    pub fn money(&self, money: &Money) -> String {
        format_money(money, self.lang, self.country)
    }

    pub fn date(&self, date: NaiveDate) -> String {
        format_date(date, self.lang, self.country)
    }

    /// The start of the debtor's today, in UTC.
    pub fn today_start(&self) -> DateTime<Utc> {
        self.tz
            .from_local_datetime(&self.today.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(self.now - Duration::hours(24))
    }

    /// What the portal's events carry as their origin.
    pub fn origin(&self) -> serde_json::Value {
        serde_json::json!({
            "source": "portal",
            "contact_id": self.contact_id(),
            "link": self.link_kind(),
        })
    }
}

/// The request facts [`load`] needs.
pub struct PortalRequest<'a> {
    pub token: &'a str,
    pub method: &'a Method,
    /// The path after `/p/{token}`.
    pub subpath: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The client's IP (or `unknown`).
    pub ip: &'a str,
}

/// Verifies the link and loads what the page needs, counting the request against the rate
/// limits first. `Err` is the page to answer: 429, the neutral 404, or 503.
pub async fn load(state: &AppState, request: PortalRequest<'_>) -> Result<PortalCtx, Response> {
    let now = state.clock.now();
    let wall_now = state.wall_clock.now();
    let limits = state.portal_limits;
    if let Err(retry) = state.portal_rates.hit(
        &format!("ip:{}", request.ip),
        limits.ip_per_minute,
        60,
        wall_now.timestamp(),
    ) {
        tracing::warn!("portal requests over the per-IP limit");
        return Err(too_many_page(retry));
    }
    let signer = state.links.clone().ok_or_else(not_found_page)?;
    let found = match find(state, &signer, request.token, now).await {
        Ok(found) => found,
        Err(error) => return Err(error.into_page()),
    };
    if request.method == Method::POST
        && let Err(retry) = state.portal_rates.hit(
            &format!("token:{}", request.token),
            limits.posts_per_hour,
            3600,
            wall_now.timestamp(),
        )
    {
        tracing::warn!(debtor = %found.debtor.id, "portal posts over the per-link limit");
        return Err(too_many_page(retry));
    }
    let Found {
        ts,
        debtor,
        link,
        issued_at,
        settings,
    } = found;
    let query: HashMap<String, String> = request
        .query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let lang = query
        .get("lang")
        .and_then(|l| l.parse::<Language>().ok())
        .or(debtor.preferences.language)
        .unwrap_or(debtor.language);
    let tz = parse_timezone(&debtor.timezone).unwrap_or_else(|_| debtor.country.default_timezone());
    let today = now.with_timezone(&tz).date_naive();
    let (debts, paid) = match debts_of(&ts, &debtor, &link).await {
        Ok(debts) => debts,
        Err(error) => return Err(LinkError::Store(error).into_page()),
    };
    // Paying is offered when an account takes the currency of the debts to pay.
    let can_pay = match debts.iter().find(|d| !d.balance.is_zero_or_less()) {
        Some(debt) => match crate::payhooks::accounts(state, &ts).await {
            Ok(accounts) => !accounts.for_currency(debt.balance.currency).is_empty(),
            Err(error) => return Err(LinkError::Store(error).into_page()),
        },
        None => false,
    };
    // A plan is offered when the tenant's rules allow plans and a debt can enter one.
    let can_plan = debts
        .iter()
        .any(|d| matches!(d.status, DebtStatus::Open | DebtStatus::Promised))
        && match ts.plan_rules().await {
            Ok(rules) => rules.enabled,
            Err(error) => return Err(LinkError::Store(error).into_page()),
        };
    let form = request
        .subpath
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("home")
        .to_string();
    Ok(PortalCtx {
        state: state.clone(),
        signer,
        token: request.token.to_string(),
        country: debtor.country,
        ts,
        debtor,
        link,
        issued_at,
        debts,
        paid,
        settings,
        lang,
        now,
        wall_now,
        today,
        tz,
        can_pay,
        can_plan,
        form,
        subpath: request.subpath.to_string(),
        headers: request.headers.clone(),
    })
}

struct Found {
    ts: TenantStore,
    debtor: Debtor,
    link: PortalLink,
    issued_at: DateTime<Utc>,
    settings: PortalSettings,
}

/// The link a token names, when it is genuine, unexpired and not revoked.
async fn find(
    state: &AppState,
    signer: &LinkSigner,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Found, LinkError> {
    let (ts, debtor_id, link, issued_at) =
        if let Some((debtor, issued)) = signer.verify_debtor(token) {
            let ts = state
                .store
                .tenant_of_debtor(debtor)
                .await
                .map_err(LinkError::Store)?
                .ok_or(LinkError::NotFound)?;
            (ts, debtor, PortalLink::Debtor, issued)
        } else {
            let linked = linked(state, LinkPurpose::Portal, token).await?;
            // A message's link lasts from when the message was due to leave, by the injected
            // clock (the id's own time is the machine's, not the clock's).
            let issued = linked.contact.scheduled_for.max(linked.contact.created_at);
            let debtor = linked.debtor.id;
            (
                linked.ts,
                debtor,
                PortalLink::Contact(Box::new(linked.contact)),
                issued,
            )
        };
    let debtor = ts.get_debtor(debtor_id).await?;
    let settings = ts.portal_settings().await.map_err(LinkError::Store)?;
    let expires_at = issued_at + Duration::days(i64::from(settings.link_days));
    if now >= expires_at {
        tracing::warn!(debtor = %debtor_id, "an expired portal link");
        return Err(LinkError::NotFound);
    }
    if let Some(revoked) = ts.portal_revoked_at(debtor_id).await?
        && issued_at <= revoked
    {
        tracing::warn!(debtor = %debtor_id, "a revoked portal link");
        return Err(LinkError::NotFound);
    }
    Ok(Found {
        ts,
        debtor,
        link,
        issued_at,
        settings,
    })
}

/// The debtor's open debts (the contact's first, in the message's order) and paid ones.
async fn debts_of(
    ts: &TenantStore,
    debtor: &Debtor,
    link: &PortalLink,
) -> Result<(Vec<Debt>, Vec<Debt>), StoreError> {
    let mut all = Vec::new();
    let mut filter = DebtFilter {
        debtor_id: Some(debtor.id),
        limit: Some(500),
        ..DebtFilter::default()
    };
    loop {
        let page = ts.list_debts(&filter).await?;
        all.extend(page.items);
        match page.next_cursor {
            Some(cursor) if all.len() < 5000 => filter.cursor = Some(cursor),
            _ => break,
        }
    }
    let first: Vec<DebtId> = match link {
        PortalLink::Contact(c) => std::iter::once(c.debt_id)
            .chain(c.covers.iter().copied())
            .collect(),
        PortalLink::Debtor => vec![],
    };
    let rank = |d: &Debt| {
        first
            .iter()
            .position(|id| *id == d.id)
            .unwrap_or(first.len())
    };
    let (mut open, paid): (Vec<Debt>, Vec<Debt>) = all
        .into_iter()
        .filter(|d| d.status != DebtStatus::WrittenOff)
        .partition(|d| d.status != DebtStatus::Paid);
    open.sort_by_key(|d| (rank(d), d.due_on));
    Ok((open, paid))
}

impl FromRequestParts<AppState> for PortalCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = parts.uri.path();
        // `/p/{token}{subpath}`.
        let rest = path.strip_prefix("/p/").ok_or_else(not_found_page)?;
        let (token, subpath) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        load(
            state,
            PortalRequest {
                token,
                method: &parts.method,
                subpath,
                query: parts.uri.query(),
                headers: &parts.headers,
                ip: &ip,
            },
        )
        .await
    }
}
