//! What is done about a message, per intent, as the tenant's [`ReplySettings`] say. Each
//! action's event names the message and the intent (`origin`), answers are contacts that name
//! the message, and what a machine should not decide becomes a task.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use recaudo_channels::templates::builtin_text;
use recaudo_domain::conversation::Message;
use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::{Channel, ConsentStatus, Debt, DebtStatus, Debtor, Language};
use recaudo_domain::{ContactPointId, DebtId, TaskId};
use recaudo_intents::Intent;
use recaudo_store::{
    DebtFilter, NewMessageTask, NewPromise, NewReply, StoreError, TenantStore, TrackKind, Tracked,
};

use super::matching::Match;
use super::settings::{Action, ReplySettings, templates};
use super::{InboundError, Said, answer_channel};

/// What a message was read as.
#[derive(Debug, Clone)]
pub(super) struct Reading {
    pub said: Said,
    pub intent: Intent,
    pub date: Option<NaiveDate>,
    pub confidence: f32,
    pub language: Option<String>,
    pub explain: Vec<String>,
}

/// Reads what the debtor said: text through the classifier (in the debtor's local `today`),
/// keys of a call's menu as what they stand for.
pub(super) fn read(said: &Said, text: &str, today: NaiveDate, _: &ReplySettings) -> Reading {
    let keyed = |intent: Intent, date: Option<NaiveDate>, why: String| Reading {
        said: said.clone(),
        intent,
        date,
        confidence: 1.0,
        language: None,
        explain: vec![why],
    };
    match said {
        Said::Text(_) => {
            let c = recaudo_intents::classify(text, today);
            Reading {
                said: said.clone(),
                intent: c.intent,
                date: c.date,
                confidence: c.confidence,
                language: Some(c.lang.as_str().to_string()),
                explain: c.explain.into_iter().take(4).collect(),
            }
        }
        Said::MenuKey(key) => match key.as_str() {
            "1" => keyed(
                Intent::PaymentLink,
                None,
                "menu key 1: the payment link".into(),
            ),
            "2" => keyed(Intent::Human, None, "menu key 2: an agent".into()),
            other => keyed(Intent::Other, None, format!("menu key {other}")),
        },
        Said::PromiseDigits(digits) => {
            let date = keyed_date(digits, today);
            keyed(
                Intent::PromiseToPay,
                date,
                format!("keyed date {digits}: {date:?}"),
            )
        }
    }
}

/// The date of `DDMM` keys: the next such day from `today` (this year, or next year once it
/// has passed). `None` when the keys name no date.
pub fn keyed_date(digits: &str, today: NaiveDate) -> Option<NaiveDate> {
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day: u32 = digits[..2].parse().ok()?;
    let month: u32 = digits[2..].parse().ok()?;
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(date) if date >= today => Some(date),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

/// Records that the debtor answered: the contact's `replied_at` and `replied` (on the debt of
/// the contact it answers, else on the debtor), naming the message.
pub(super) async fn record_replied(
    ts: &TenantStore,
    matched: &Match,
    message: &Message,
    channel: Channel,
) -> Result<(), StoreError> {
    // On the reply's own channel (the contact's may differ: an SMS answering an email), which
    // is what opens that channel's window (WhatsApp's 24 hours).
    let data = serde_json::json!({
        "message_id": message.id, "channel": channel, "text": message.text,
        "from": message.address,
    });
    if let Some(contact) = &matched.contact {
        ts.apply_tracked(vec![Tracked {
            provider_message_id: None,
            contact_id: Some(contact.id),
            kind: TrackKind::Replied,
            at: message.at,
            dedupe_key: format!("message:{}", message.id),
            data,
        }])
        .await?;
        return Ok(());
    }
    let Some(debtor) = &matched.debtor else {
        return Ok(());
    };
    ts.append_event(NewEvent {
        debtor_id: debtor.id,
        debt_id: None,
        kind: EventKind::Replied,
        at: message.at,
        recorded_at: message.recorded_at,
        data,
    })
    .await
}

/// A task for a message nobody (or several) could be matched to.
pub(super) async fn task_for_unmatched(
    ts: &TenantStore,
    settings: &ReplySettings,
    message: &Message,
    matched: &Match,
    now: DateTime<Utc>,
) -> Result<TaskId, StoreError> {
    let (queue, reason) = if matched.candidates.is_empty() {
        (
            "unmatched".to_string(),
            format!("no debtor has {}", matched.address),
        )
    } else {
        (
            settings.queue.clone(),
            format!(
                "{} debtors share {}: pick the one who wrote",
                matched.candidates.len(),
                matched.address
            ),
        )
    };
    let task = ts
        .create_message_task(
            NewMessageTask {
                debtor_id: None,
                debt_id: None,
                queue,
                script: "identify_sender".into(),
                message_id: message.id,
                intent: None,
                reason,
                candidates: matched.candidates.clone(),
            },
            now,
        )
        .await?;
    Ok(task.id)
}

/// Acting on one matched message.
pub(super) struct Act<'a> {
    pub ts: &'a TenantStore,
    pub settings: &'a ReplySettings,
    pub message: &'a Message,
    pub matched: &'a Match,
    pub debtor: &'a Debtor,
    pub channel: Channel,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    /// The intent acted on (set by `run`).
    pub intent: Option<Intent>,
    /// What was done, in order.
    pub done: Vec<String>,
    pub task: Option<TaskId>,
}

impl Act<'_> {
    fn origin(&self, intent: Intent) -> serde_json::Value {
        serde_json::json!({ "message_id": self.message.id, "intent": intent.as_str() })
    }

    pub(super) async fn run(&mut self, reading: &Reading) -> Result<(), InboundError> {
        let s = self.settings;
        let intent = reading.intent;
        self.intent = Some(intent);
        // What the classifier is unsure of, a person reads (an opt-out is acted on whatever
        // its confidence: stopping is always safe). A message from an address the debtor opted
        // out of is read and acted on too (it may be a dispute), but answered on no channel of
        // theirs automatically (see `reply`).
        if intent != Intent::OptOut && reading.confidence < s.min_confidence {
            let why = format!(
                "{} at confidence {:.2}, below {:.2}",
                intent, reading.confidence, s.min_confidence
            );
            return self.task(&s.queue, "read_message", why).await;
        }
        match intent {
            Intent::OptOut if s.opt_out.enabled => self.opt_out(reading).await,
            Intent::WrongPerson if s.wrong_person.enabled => self.wrong_person().await,
            Intent::Dispute if s.dispute.enabled => self.dispute().await,
            Intent::AlreadyPaid if s.already_paid.enabled => self.already_paid().await,
            Intent::PromiseToPay if s.promise_to_pay.enabled => self.promise(reading).await,
            Intent::Hardship if s.hardship.enabled => {
                self.reply(&s.hardship, intent).await?;
                self.task(
                    "negotiation",
                    "offer_plan",
                    "hardship: offer an instalment plan".into(),
                )
                .await
            }
            Intent::PaymentLink if s.payment_link.enabled => {
                self.reply(&s.payment_link, intent).await
            }
            Intent::Other => {
                // Key 3 of a call's menu: the date follows, keyed.
                let awaiting = matches!(&reading.said, Said::MenuKey(key) if key == "3");
                self.done
                    .push(if awaiting { "awaiting_date" } else { "none" }.into());
                Ok(())
            }
            // `human`, or an action the tenant turned off: a person reads it.
            _ => {
                let why = if intent == Intent::Human {
                    "the debtor asks for a person".to_string()
                } else {
                    format!("{intent}: automatic action off")
                };
                self.task(&s.queue, "read_message", why).await
            }
        }
    }

    async fn opt_out(&mut self, reading: &Reading) -> Result<(), InboundError> {
        let everywhere = recaudo_intents::rules::opt_out_everywhere(&self.message.text);
        let points = self.ts.list_contact_points(self.debtor.id).await?;
        let chosen: Vec<ContactPointId> = points
            .iter()
            .filter(|p| {
                everywhere
                    || Some(p.id) == self.matched.point
                    || (p.channel == self.channel && p.address == self.matched.address)
            })
            .map(|p| p.id)
            .collect();
        let changed = self
            .ts
            .opt_out_by_reply(
                self.debtor.id,
                &chosen,
                &self.origin(reading.intent),
                self.now,
            )
            .await?;
        let scope = if everywhere {
            "all".to_string()
        } else {
            self.channel.as_str().to_string()
        };
        self.done.push(format!("opted_out:{scope}"));
        // Confirmed once, where the tenant confirms, on the point this message just opted out.
        let here = self.matched.point.filter(|p| changed.contains(p));
        if here.is_some() && self.settings.opt_out_confirm_on.contains(&self.channel) {
            self.reply(&self.settings.opt_out.clone(), Intent::OptOut)
                .await?;
        }
        Ok(())
    }

    async fn wrong_person(&mut self) -> Result<(), InboundError> {
        if self.matched.point.is_some() {
            // Answered first (the points are not used after), then marked: every point of the
            // debtor's with this address (a phone number is SMS, WhatsApp and calls alike).
            self.reply(&self.settings.wrong_person.clone(), Intent::WrongPerson)
                .await?;
            let points = self.ts.list_contact_points(self.debtor.id).await?;
            let origin = self.origin(Intent::WrongPerson);
            for point in points
                .iter()
                .filter(|p| Some(p.id) == self.matched.point || p.address == self.matched.address)
            {
                self.ts
                    .mark_wrong_party(self.debtor.id, point.id, &origin, self.now)
                    .await?;
            }
            self.done.push("wrong_party".into());
        }
        self.task(
            &self.settings.queue.clone(),
            "find_contact",
            "wrong person: find the debtor's own contact".into(),
        )
        .await
    }

    async fn dispute(&mut self) -> Result<(), InboundError> {
        let reason = format!(
            "The debtor wrote: {}",
            recaudo_store::truncate(&self.message.text, 1900)
        );
        let origin = self.origin(Intent::Dispute);
        for debt in self.debts().await? {
            match self
                .ts
                .open_dispute_from(debt.id, &reason, &origin, self.now)
                .await
            {
                Ok((dispute, _)) => self.done.push(format!("dispute_opened:{}", dispute.id)),
                // Closed or disputed already: nothing to open.
                Err(StoreError::Rule(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.reply(&self.settings.dispute.clone(), Intent::Dispute)
            .await?;
        self.task(
            "disputes",
            "review_dispute",
            "dispute: review the claim".into(),
        )
        .await
    }

    async fn already_paid(&mut self) -> Result<(), InboundError> {
        let debts: Vec<DebtId> = self.debts().await?.iter().map(|d| d.id).collect();
        let until = self.now + chrono::Duration::days(i64::from(self.settings.hold_days));
        self.ts
            .hold_debts(
                self.debtor.id,
                &debts,
                until,
                "the debtor says it is paid",
                &self.origin(Intent::AlreadyPaid),
                self.now,
            )
            .await?;
        if !debts.is_empty() {
            self.done.push(format!("held_until:{}", until.to_rfc3339()));
        }
        self.reply(&self.settings.already_paid.clone(), Intent::AlreadyPaid)
            .await?;
        self.task(
            &self.settings.queue.clone(),
            "verify_payment",
            "already paid: find the payment or the receipt".into(),
        )
        .await
    }

    async fn promise(&mut self, reading: &Reading) -> Result<(), InboundError> {
        let latest = self
            .today
            .checked_add_days(chrono::Days::new(u64::from(self.settings.max_promise_days)));
        let date = reading
            .date
            .filter(|d| *d >= self.today && latest.is_none_or(|l| *d <= l));
        let Some(date) = date else {
            // No date, a past one or one beyond the limit: asked again, nothing stored.
            self.done.push(match reading.date {
                None => "promise_without_date".into(),
                Some(d) => format!("promise_date_refused:{d}"),
            });
            return self
                .reply(
                    &self.settings.promise_ask_date.clone(),
                    Intent::PromiseToPay,
                )
                .await;
        };
        let origin = self.origin(Intent::PromiseToPay);
        let mut made = 0;
        for debt in self.debts().await? {
            if debt.balance.is_zero_or_less() {
                continue;
            }
            let new = NewPromise {
                amount: debt.balance,
                due_on: date,
                channel: Some(self.channel),
            };
            match self
                .ts
                .create_promise_from(debt.id, new, &origin, self.now, self.today)
                .await
            {
                Ok((promise, _)) => {
                    made += 1;
                    self.done.push(format!("promise_made:{}", promise.id));
                }
                // Disputed, in a plan, or closed: not promised by message.
                Err(StoreError::Rule(_)) | Err(StoreError::Invalid { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        if made == 0 {
            return self
                .task(
                    &self.settings.queue.clone(),
                    "read_message",
                    format!("promise for {date}: no debt could take it"),
                )
                .await;
        }
        self.reply(&self.settings.promise_to_pay.clone(), Intent::PromiseToPay)
            .await
    }

    /// The debts the message is about: those of the contact it answers, else all the
    /// debtor's; open ones only (not paid, not written off).
    async fn debts(&self) -> Result<Vec<Debt>, StoreError> {
        let mut debts = Vec::new();
        if let Some(contact) = &self.matched.contact {
            for id in std::iter::once(contact.debt_id).chain(contact.covers.iter().copied()) {
                match self.ts.get_debt(id).await {
                    Ok(debt) => debts.push(debt),
                    Err(StoreError::NotFound { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
        } else {
            let page = self
                .ts
                .list_debts(&DebtFilter {
                    debtor_id: Some(self.debtor.id),
                    limit: Some(100),
                    ..Default::default()
                })
                .await?;
            debts = page.items;
        }
        debts.retain(|d| !matches!(d.status, DebtStatus::Paid | DebtStatus::WrittenOff));
        Ok(debts)
    }

    /// Makes a task for a person (the message joins it).
    async fn task(
        &mut self,
        queue: &str,
        script: &str,
        reason: String,
    ) -> Result<(), InboundError> {
        let debt = self.matched.contact.as_ref().map(|c| c.debt_id);
        let task = self
            .ts
            .create_message_task(
                NewMessageTask {
                    debtor_id: Some(self.debtor.id),
                    debt_id: debt,
                    queue: queue.to_string(),
                    script: script.to_string(),
                    message_id: self.message.id,
                    intent: self.intent.map(|i| i.as_str().to_string()),
                    reason,
                    candidates: vec![],
                },
                self.now,
            )
            .await?;
        self.done.push(format!("task:{}", task.id));
        self.task = Some(task.id);
        Ok(())
    }

    /// Queues `action`'s answer on the channel the debtor wrote on (a call's answer goes by
    /// SMS), to the point they wrote from, unless that point was opted out before this message.
    async fn reply(&mut self, action: &Action, intent: Intent) -> Result<(), InboundError> {
        let Some(template) = action.reply.clone() else {
            return Ok(());
        };
        let points = self.ts.list_contact_points(self.debtor.id).await?;
        let channel = answer_channel(self.channel);
        let point = if channel == self.channel {
            self.matched
                .point
                .and_then(|id| points.iter().find(|p| p.id == id))
        } else {
            points
                .iter()
                .find(|p| p.channel == channel && p.is_reachable())
        };
        let Some(point) = point else {
            self.done
                .push(format!("no_reply:no_{channel}_contact_point"));
            return Ok(());
        };
        let confirming_opt_out = template == templates::OPT_OUT;
        let opted_out_before = point
            .opted_out_at
            .is_some_and(|at| at < self.message.recorded_at)
            || (point.consent.status == ConsentStatus::OptedOut && point.opted_out_at.is_none());
        if opted_out_before || (point.opted_out_at.is_some() && !confirming_opt_out) {
            self.done.push(format!("no_reply:opted_out_{channel}"));
            return Ok(());
        }
        if builtin_text(&template, channel, Language::Es).is_none() {
            self.done
                .push(format!("no_reply:no_{template}_on_{channel}"));
            return Ok(());
        }
        let debts = self.debts().await?;
        let (debt_id, covers) = match (debts.split_first(), &self.matched.contact) {
            (Some((first, rest)), _) => (first.id, rest.iter().map(|d| d.id).collect()),
            (None, Some(contact)) => (contact.debt_id, vec![]),
            (None, None) => {
                self.done.push("no_reply:no_debt".into());
                return Ok(());
            }
        };
        let queued = self
            .ts
            .enqueue_reply(
                NewReply {
                    debtor_id: self.debtor.id,
                    debt_id,
                    covers,
                    contact_point_id: point.id,
                    channel,
                    template: Some(template.clone()),
                    body: None,
                    reply_to: Some(self.message.id),
                    idempotency_key: format!("reply:{}:{template}", self.message.id),
                    local_date: self.today,
                    reason: format!("answer to {} ({intent})", self.message.id),
                },
                self.now,
            )
            .await?;
        if let Some(contact) = queued {
            self.done.push(format!("reply_queued:{contact}"));
        }
        Ok(())
    }
}

/// Thanks the debtors whose promise made in a conversation was kept since `since`, once each,
/// on the channel they promised on. Returns how many thanks were queued.
pub async fn thank_kept_promises(
    ts: &TenantStore,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let settings = ReplySettings::load(ts).await?;
    let Some(template) = settings
        .thanks
        .reply
        .clone()
        .filter(|_| settings.thanks.enabled)
    else {
        return Ok(0);
    };
    let mut queued = 0;
    for kept in ts.kept_promises_to_thank(since).await? {
        if !ts.mark_promise_thanked(kept.promise_id, now).await? {
            continue;
        }
        let Some(channel) = kept
            .channel
            .as_deref()
            .and_then(|c| c.parse::<Channel>().ok())
        else {
            continue;
        };
        let note = Note {
            debtor_id: kept.debtor_id,
            debt_id: kept.debt_id,
            channel,
            template: &template,
            idempotency_key: format!("thanks:{}", kept.promise_id),
            reason: format!("promise {} kept", kept.promise_id),
        };
        if queue_note(ts, note, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// A message of ours that answers nothing the debtor wrote (a thanks, a confirmation).
pub struct Note<'a> {
    pub debtor_id: recaudo_domain::DebtorId,
    pub debt_id: recaudo_domain::DebtId,
    /// The channel the debtor used (a call is answered by SMS).
    pub channel: Channel,
    pub template: &'a str,
    /// The same note queued twice is one contact.
    pub idempotency_key: String,
    pub reason: String,
}

/// Queues `note` to the debtor's reachable point on its channel, as an answer (no cap counts
/// it; the dispatcher re-checks the contact hours and opt-outs). `false` when the template has
/// no text for that channel, no point is reachable there, or it was queued before.
pub async fn queue_note(
    ts: &TenantStore,
    note: Note<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let channel = answer_channel(note.channel);
    if builtin_text(note.template, channel, Language::Es).is_none() {
        return Ok(false);
    }
    let points = ts.list_contact_points(note.debtor_id).await?;
    let Some(point) = points
        .iter()
        .find(|p| p.channel == channel && p.is_reachable())
    else {
        return Ok(false);
    };
    let debtor = ts.get_debtor(note.debtor_id).await?;
    let today = debtor
        .timezone
        .parse::<chrono_tz::Tz>()
        .map(|tz| now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|_| now.date_naive());
    let reply = NewReply {
        debtor_id: note.debtor_id,
        debt_id: note.debt_id,
        covers: vec![],
        contact_point_id: point.id,
        channel,
        template: Some(note.template.to_string()),
        body: None,
        reply_to: None,
        idempotency_key: note.idempotency_key,
        local_date: today,
        reason: note.reason,
    };
    Ok(ts.enqueue_reply(reply, now).await?.is_some())
}
