//! What may have changed between planning and sending: the debt paid or paused, the contact
//! point opted out or unusable, the rules' window closed or a cap reached. Pure: the dispatcher
//! hands it the debtor's file as read at send time.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use recaudo_domain::calendar::HolidayCalendar;
use recaudo_domain::outbox::{Contact, ContactState};
use recaudo_domain::planner::DebtorFile;
use recaudo_domain::policy::Preset;
use recaudo_domain::policy::{
    Decision, Evaluator, PastContact, ProposedContact, RuntimeState, TenantPolicy,
};
use recaudo_domain::portfolio::{ConsentStatus, ContactPoint, DebtStatus};

use crate::inbound::settings::templates;

/// Whether a claimed contact may go now.
#[derive(Debug, Clone, PartialEq)]
pub enum Check<'a> {
    /// Send to this contact point, with the debtor's file as read now.
    Go(&'a DebtorFile, &'a ContactPoint),
    /// Not now: try at `until`.
    Defer {
        until: DateTime<Utc>,
        reason: String,
    },
    /// Not at all.
    Cancel(String),
}

/// What the rules are made of, for the tenant.
pub struct Rules<'a> {
    pub preset: &'a Preset,
    pub tenant: &'a TenantPolicy,
    pub calendar: &'a HolidayCalendar,
}

/// Re-checks `contact` (on a channel with an address) against `file` at `now`.
pub fn recheck<'a>(
    contact: &Contact,
    file: Option<&'a DebtorFile>,
    rules: &Rules<'_>,
    now: DateTime<Utc>,
) -> Check<'a> {
    // An answer goes whatever the debt's state (it confirms the promise or the dispute that
    // paused it, or thanks for the payment that closed it).
    let answer = contact.is_answer();
    if !answer && let Some(reason) = debt_check(contact, file) {
        return Check::Cancel(reason);
    }
    let Some(file) = file else {
        return Check::Cancel("debt_closed".into());
    };
    let point = contact
        .contact_point_id
        .and_then(|id| file.contact_points.iter().find(|p| p.id == id));
    let Some(point) = point else {
        return Check::Cancel("no_contact_point".into());
    };
    let template = contact.template.as_deref();
    let opted_out = point.is_opted_out();
    // The confirmation of an opt-out goes to the point just opted out; the apology to a wrong
    // person to the point just marked wrong. Nothing else does.
    let confirming_opt_out = answer && template == Some(templates::OPT_OUT);
    if opted_out && !confirming_opt_out {
        return Check::Cancel("opted_out".into());
    }
    if point.is_unusable() && !(answer && template == Some(templates::WRONG_PERSON)) {
        return Check::Cancel("contact_point_unusable".into());
    }
    let Ok(tz) = file.debtor.timezone.parse::<Tz>() else {
        return Check::Cancel("bad_timezone".into());
    };
    // What left already counts toward caps and gaps; this contact and what is only planned
    // do not.
    // An answer is no new contact: no cap or gap applies, only the hours and days.
    let history: Vec<PastContact> = file
        .contacts
        .iter()
        .filter(|_| !answer)
        .filter(|c| {
            matches!(
                c.state,
                ContactState::Sending | ContactState::Sent | ContactState::Delivered
            ) && !(c.debt == contact.debt_id
                && c.step == contact.step
                && c.channel == contact.channel
                && c.local_date == contact.local_date)
                && c.scheduled_for <= now
        })
        .map(|c| PastContact {
            at: c.scheduled_for,
            channel: c.channel,
            debt: c.debt,
            conversation: false,
        })
        .collect();
    let evaluator = Evaluator::new(
        rules.preset,
        rules.tenant,
        rules.calendar,
        tz,
        &file.debtor.preferences,
    );
    let proposed = ProposedContact {
        channel: contact.channel,
        debt: contact.debt_id,
        // The confirmation of an opt-out is the one message the point still gets.
        consent: if confirming_opt_out {
            ConsentStatus::Granted
        } else {
            point.consent.status
        },
        opted_out: point.opted_out_at.is_some() && !confirming_opt_out,
    };
    let state = RuntimeState {
        pauses: &[],
        history: &history,
    };
    match evaluator.evaluate(&proposed, &state, now) {
        Decision::Send { .. } => Check::Go(file, point),
        Decision::Defer { until, reason } => Check::Defer {
            until,
            reason: reason.as_str().to_string(),
        },
        Decision::Deny { reason } => Check::Cancel(reason.as_str().to_string()),
    }
}

/// Why the contact's debt no longer wants it (paid, closed, paused), if it does not.
pub fn debt_check(contact: &Contact, file: Option<&DebtorFile>) -> Option<String> {
    let debt = file.and_then(|f| f.debts.iter().find(|d| d.debt.id == contact.debt_id));
    let Some(debt) = debt else {
        return Some("debt_closed".into());
    };
    match debt.debt.status {
        DebtStatus::Paid | DebtStatus::WrittenOff => Some("debt_closed".into()),
        DebtStatus::Disputed => Some("paused_dispute".into()),
        DebtStatus::Promised => Some("paused_promise".into()),
        DebtStatus::Plan => Some("paused_plan".into()),
        DebtStatus::Open => None,
    }
}
