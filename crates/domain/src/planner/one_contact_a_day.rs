//! **Rule: one contact a day per debtor**, across all their debts and channels (GUIDE §6; CO's
//! Ley 2300 says the same). Two parts: the policy limit that defers a second contact the same
//! local day ([`one_contact_per_day_limit`], added to the tenant's limits when
//! [`PlanOptions::one_contact_per_day`](super::PlanOptions::one_contact_per_day) is on), and
//! the grouping that lets a debtor's other debts ride on the message already chosen for the day
//! instead of asking for a second one ([`covering_message`]; the message lists them in
//! [`NewContact::covers`], which the outbox stores in its `covers` column).

use chrono::NaiveDate;

use crate::outbox::NewContact;
use crate::policy::{ChannelSet, CountScope, Limit};
use crate::portfolio::Channel;

/// The id of the limit [`one_contact_per_day_limit`]: what a deferral for it names.
pub const ONE_CONTACT_PER_DAY: &str = "one_contact_per_day";

/// The limit of one contact a local day per debtor, on every channel: a second contact the
/// same day, about any of the debtor's debts, is deferred (`cap_daily`).
pub fn one_contact_per_day_limit() -> Limit {
    Limit {
        id: ONE_CONTACT_PER_DAY.into(),
        channels: ChannelSet::ALL,
        count: CountScope::PerDebtor,
        per_day: Some(1),
        per_7_days: None,
        per_month: None,
        min_gap: None,
        max_channels_per_7_days: None,
        after_conversation_days: None,
        source: Some("tenant setting: one contact a day per debtor".into()),
    }
}

/// The message already chosen today (`today`: the debtor's local date) on `channel` that
/// another debt of the debtor can ride on, as an index into `contacts` (the debtor's plan so
/// far): the first message on that channel and day. An agent's task (a contact with a queue)
/// neither covers nor is covered. The planner lets a debt ride on it only when the policy
/// allows that debt the message (its pauses, its per-debt caps).
pub fn covering_message(
    contacts: &[NewContact],
    channel: Channel,
    today: NaiveDate,
) -> Option<usize> {
    contacts
        .iter()
        .position(|c| c.channel == channel && c.local_date == today && c.queue.is_none())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use chrono_tz::Tz;

    use super::*;
    use crate::calendar::{HolidayCalendar, Jurisdiction};
    use crate::policy::{
        Decision, Evaluator, PastContact, Preset, ProposedContact, ReasonCode, RuntimeState,
        TenantPolicy,
    };
    use crate::portfolio::{ConsentStatus, Preferences};
    use crate::{DebtId, DebtorId};

    fn contact(channel: Channel, day: NaiveDate, queue: Option<&str>) -> NewContact {
        NewContact {
            debtor_id: DebtorId::generate(),
            debt_id: DebtId::generate(),
            covers: Vec::new(),
            contact_point_id: None,
            strategy: Some("consumer".into()),
            strategy_version: Some(1),
            step: "late-3".into(),
            arm: None,
            channel,
            template: None,
            queue: queue.map(str::to_string),
            scheduled_for: Utc.with_ymd_and_hms(2026, 12, 9, 14, 0, 0).unwrap(),
            local_date: day,
            reason: String::new(),
        }
    }

    #[test]
    fn a_message_of_the_day_on_the_channel_covers_other_debts() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 9).unwrap();
        let yesterday = today.pred_opt().unwrap();
        let sms = contact(Channel::Sms, today, None);
        let email = contact(Channel::Email, today, None);
        let old_sms = contact(Channel::Sms, yesterday, None);
        let task = contact(Channel::Voice, today, Some("agents"));
        let voice = contact(Channel::Voice, today, None);
        // (the plan so far, the channel asked for, the message that covers)
        let cases: [(Vec<&NewContact>, Channel, Option<usize>); 8] = [
            (vec![], Channel::Sms, None),
            (vec![&sms], Channel::Sms, Some(0)),
            (vec![&sms], Channel::Email, None),
            (vec![&email, &sms], Channel::Sms, Some(1)),
            (vec![&sms, &sms], Channel::Sms, Some(0)),
            (vec![&old_sms], Channel::Sms, None),
            (vec![&task], Channel::Voice, None),
            (vec![&task, &voice], Channel::Voice, Some(1)),
        ];
        for (i, (plan, channel, covering)) in cases.into_iter().enumerate() {
            let plan: Vec<NewContact> = plan.into_iter().cloned().collect();
            assert_eq!(
                covering_message(&plan, channel, today),
                covering,
                "case {i}"
            );
        }
    }

    #[test]
    fn the_limit_defers_a_second_contact_the_same_local_day() {
        let tz: Tz = "America/Mexico_City".parse().unwrap();
        let preset = Preset::for_jurisdiction(Jurisdiction::Mx);
        let calendar = HolidayCalendar::for_jurisdiction(Jurisdiction::Mx);
        let preferences = Preferences::default();
        let with_limit = TenantPolicy {
            limits: vec![one_contact_per_day_limit()],
            ..TenantPolicy::default()
        };
        let without = TenantPolicy::default();
        let local = |day: u32, hour: u32| -> DateTime<Utc> {
            tz.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let (debt, other_debt) = (DebtId::generate(), DebtId::generate());
        let proposed = |channel| ProposedContact {
            channel,
            debt,
            consent: ConsentStatus::Granted,
            opted_out: false,
        };
        let past = |at, channel, about| PastContact {
            at,
            channel,
            debt: about,
            conversation: false,
        };
        let now = local(9, 11);
        let next_day = local(10, 0);
        // (the limit on, the contacts so far, the channel proposed, the decision)
        let cases = [
            (true, vec![], Channel::Sms, Decision::Send { at: now }),
            (
                true,
                vec![past(local(9, 9), Channel::Sms, debt)],
                Channel::Sms,
                Decision::Defer {
                    until: next_day + Duration::hours(7),
                    reason: ReasonCode::CapDaily,
                },
            ),
            // Another channel, another debt of the debtor: still the debtor's contact of the day.
            (
                true,
                vec![past(local(9, 9), Channel::Email, other_debt)],
                Channel::Whatsapp,
                Decision::Defer {
                    until: next_day + Duration::hours(7),
                    reason: ReasonCode::CapDaily,
                },
            ),
            // Yesterday's contact does not count today.
            (
                true,
                vec![past(local(8, 20), Channel::Sms, debt)],
                Channel::Sms,
                Decision::Send { at: now },
            ),
            // Without the limit, nothing defers the second contact.
            (
                false,
                vec![past(local(9, 9), Channel::Email, other_debt)],
                Channel::Whatsapp,
                Decision::Send { at: now },
            ),
        ];
        for (i, (on, history, channel, decision)) in cases.into_iter().enumerate() {
            let tenant = if on { &with_limit } else { &without };
            let evaluator = Evaluator::new(preset, tenant, &calendar, tz, &preferences);
            let state = RuntimeState {
                pauses: &[],
                history: &history,
            };
            assert_eq!(
                evaluator.evaluate(&proposed(channel), &state, now),
                decision,
                "case {i}"
            );
        }
    }
}
