//! A claimed contact as the message the debtor gets: the template in the debtor's language with
//! the debts it covers, the signed links, and where the provider reports back.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use recaudo_channels::links::{LinkPurpose, LinkSigner};
use recaudo_channels::templates::{
    DebtLine, InstalmentLine, PromiseLine, TemplateContext, TemplateOverride, TemplateSet,
    locale_tag,
};
use recaudo_channels::{Content, OutboundMessage};
use recaudo_domain::Money;
use recaudo_domain::outbox::Contact;
use recaudo_domain::planner::{DebtFile, DebtorFile};
use recaudo_domain::portfolio::{Channel, ContactPoint, Debtor, Language, Tenant};
use recaudo_store::TenantStore;

/// The links a message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLinks {
    /// Where the debtor pays (the portal, or the click counter that leads to it).
    pub pay_url: String,
    /// The one-click unsubscribe link, on channels that have one (email).
    pub unsubscribe_url: Option<String>,
}

/// The template context of a message to `debtor` about `debts` at `now`, in the debtor's time
/// zone and language: what the dispatcher renders, and what a template preview renders (one
/// place, so a preview shows what would go out). Debts in another currency than the first are
/// listed, not summed (a message is in one currency). Without debts (an answer after the last
/// was paid) the total is zero in the tenant's currency.
pub fn template_context(
    tenant: &Tenant,
    debtor: &Debtor,
    debts: &[&DebtFile],
    links: MessageLinks,
    now: DateTime<Utc>,
) -> Result<TemplateContext, String> {
    let tz: Tz = debtor
        .timezone
        .parse()
        .map_err(|_| format!("bad time zone {:?}", debtor.timezone))?;
    let today = now.with_timezone(&tz).date_naive();
    let mut lines = Vec::new();
    let mut promise = None;
    let mut total: Option<Money> = None;
    for entry in debts {
        let debt = &entry.debt;
        if let Some(date) = entry.promise_due {
            promise.get_or_insert(PromiseLine {
                amount: debt.balance,
                date,
            });
        }
        total = Some(match total {
            None => debt.balance,
            Some(sum) if sum.currency == debt.balance.currency => {
                Money::new(sum.amount + debt.balance.amount, sum.currency)
            }
            Some(sum) => sum,
        });
        lines.push(DebtLine {
            reference: debt.external_id.clone(),
            description: debt.product.clone(),
            amount_due: debt.balance,
            due_date: debt.due_on,
            days_overdue: (today - debt.due_on).num_days(),
        });
    }
    // An answer may go once nothing is open any more (thanks for the payment): no total.
    let total = total.unwrap_or_else(|| Money::zero(tenant.currency));
    Ok(TemplateContext {
        tenant_name: tenant.name.clone(),
        debtor_name: debtor.name.clone(),
        language: debtor.language,
        country: debtor.country,
        debts: lines,
        total,
        pay_url: links.pay_url,
        unsubscribe_url: links.unsubscribe_url,
        promise,
        instalment: None,
        today,
    })
}

/// Renders a tenant's messages: the built-in templates with its overrides.
pub struct Renderer {
    templates: TemplateSet,
    links: LinkSigner,
}

impl Renderer {
    /// The tenant's templates (an override that no longer validates is skipped, logged).
    pub async fn load(ts: &TenantStore, links: LinkSigner) -> recaudo_store::Result<Renderer> {
        let mut overrides = Vec::new();
        for stored in ts.list_message_templates().await? {
            match serde_json::from_value::<TemplateOverride>(stored.body.clone()) {
                Ok(o) => overrides.push(o),
                Err(error) => tracing::error!(
                    tenant = %ts.tenant().id, template = %stored.name, %error,
                    "a stored template override does not read"
                ),
            }
        }
        let templates = match TemplateSet::with_overrides(overrides) {
            Ok(set) => set,
            Err(error) => {
                tracing::error!(tenant = %ts.tenant().id, %error, "template overrides left out");
                TemplateSet::builtin().clone()
            }
        };
        Ok(Renderer { templates, links })
    }

    pub fn templates(&self) -> &TemplateSet {
        &self.templates
    }

    /// What the template context of `contact` is at `now`: its debt and the debts it covers
    /// that are still in the debtor's file, with the contact's signed links.
    pub fn context(
        &self,
        tenant: &Tenant,
        contact: &Contact,
        file: &DebtorFile,
        instalment: Option<&InstalmentLine>,
        now: DateTime<Utc>,
    ) -> Result<TemplateContext, String> {
        let debts: Vec<&DebtFile> = std::iter::once(&contact.debt_id)
            .chain(&contact.covers)
            .filter_map(|id| file.debts.iter().find(|d| d.debt.id == *id))
            .collect();
        let links = MessageLinks {
            pay_url: match contact.channel {
                // Email links go through the click counter, which leads to the portal.
                Channel::Email => self.links.url(LinkPurpose::Click, contact.id),
                _ => self.links.url(LinkPurpose::Portal, contact.id),
            },
            unsubscribe_url: (contact.channel == Channel::Email)
                .then(|| self.links.url(LinkPurpose::Unsubscribe, contact.id)),
        };
        let mut context = template_context(tenant, &file.debtor, &debts, links, now)?;
        context.instalment = instalment.cloned();
        Ok(context)
    }

    /// The message for `contact` to `point`, sent through account `account` at `now`, with the
    /// plan instalment it is about, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &self,
        tenant: &Tenant,
        contact: &Contact,
        file: &DebtorFile,
        point: &ContactPoint,
        account: &str,
        instalment: Option<&InstalmentLine>,
        now: DateTime<Utc>,
    ) -> Result<OutboundMessage, String> {
        let mut content = match (&contact.body, contact.template.as_deref()) {
            // An agent's own words.
            (Some(body), _) => free_text(contact.channel, body, &tenant.name, file, now)?,
            (None, Some(template)) => {
                let context = self.context(tenant, contact, file, instalment, now)?;
                self.templates
                    .render(template, contact.channel, &context, tenant.language)
                    .map_err(|e| e.to_string())?
            }
            (None, None) => return Err("the contact names no template".into()),
        };
        if let Content::Whatsapp(wa) = &mut content
            && in_whatsapp_window(file, now)
        {
            // Inside the 24 hours after the debtor last wrote on WhatsApp, Meta takes free
            // text (no template fee); outside, only the approved template.
            wa.free_text = Some(wa.preview.clone());
        }
        if let Content::Email(email) = &mut content {
            let pixel = format!(
                "<img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">",
                self.links.url(LinkPurpose::Open, contact.id)
            );
            match email.html.rfind("</body>") {
                Some(at) => email.html.insert_str(at, &pixel),
                None => email.html.push_str(&pixel),
            }
        }
        let base = self.links.base_url();
        let hooks = format!("{base}/hooks/{}/{account}", tenant.id);
        let language = file.debtor.language;
        Ok(OutboundMessage {
            contact_id: contact.id,
            idempotency_key: contact.idempotency_key.clone(),
            channel: contact.channel,
            to: point.address.clone(),
            postal: point.postal.as_deref().cloned(),
            recipient_name: file.debtor.name.clone(),
            language,
            locale: locale_tag(language, file.debtor.country).to_string(),
            sender_name: tenant.name.clone(),
            content,
            status_callback: Some(hooks.clone()),
            gather_callback: Some(format!("{hooks}/gather?lang={language}")),
            // An email's replies come back to an address that names this contact.
            reply_token: (contact.channel == Channel::Email)
                .then(|| self.links.reply_token(contact.id)),
            segment: file.debtor.effective_segment().map(str::to_string),
            now,
        })
    }
}

/// An agent's own words as the channel carries them. WhatsApp takes free text only inside the
/// 24 hours after the debtor last wrote there.
fn free_text(
    channel: Channel,
    body: &str,
    tenant_name: &str,
    file: &DebtorFile,
    now: DateTime<Utc>,
) -> Result<Content, String> {
    use recaudo_channels::templates::sms_encoding;
    use recaudo_channels::{EmailContent, SmsContent, WhatsappContent};
    Ok(match channel {
        Channel::Sms => {
            let (encoding, segments) = sms_encoding(body);
            Content::Sms(SmsContent {
                body: body.to_string(),
                encoding,
                segments,
            })
        }
        Channel::Whatsapp => {
            if !in_whatsapp_window(file, now) {
                return Err(
                    "outside the 24 hours after the debtor's last WhatsApp message, only approved templates go".into(),
                );
            }
            Content::Whatsapp(WhatsappContent {
                template: String::new(),
                language_code: String::new(),
                parameters: vec![],
                button_url_suffix: None,
                preview: body.to_string(),
                free_text: Some(body.to_string()),
            })
        }
        Channel::Email => {
            let escaped = body
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\n', "<br>\n");
            Content::Email(EmailContent {
                subject: match file.debtor.language {
                    Language::Es => format!("Respuesta de {tenant_name}"),
                    Language::Pt => format!("Resposta de {tenant_name}"),
                    Language::En => format!("Reply from {tenant_name}"),
                },
                text: body.to_string(),
                html: format!("<!DOCTYPE html><html><body><p>{escaped}</p></body></html>"),
                unsubscribe_url: None,
            })
        }
        other => return Err(format!("an agent's text cannot go by {other}")),
    })
}

/// Whether the debtor wrote on WhatsApp in the 24 hours before `now` (Meta's customer service
/// window).
pub fn in_whatsapp_window(file: &DebtorFile, now: DateTime<Utc>) -> bool {
    file.events.iter().any(|event| {
        event.kind == recaudo_domain::event::EventKind::Replied
            && event.data.get("channel").and_then(|c| c.as_str()) == Some("whatsapp")
            && event.at <= now
            && now - event.at < chrono::Duration::hours(24)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use recaudo_domain::event::{Event, EventKind};
    use recaudo_domain::portfolio::Debtor;
    use recaudo_domain::{DebtorId, EventId};

    fn file_with_reply(channel: &str, at: DateTime<Utc>) -> DebtorFile {
        let debtor: Debtor = serde_json::from_value(serde_json::json!({
            "id": DebtorId::generate(), "external_id": "D1", "kind": "person", "name": "Ana",
            "document_type": null, "document_number": null, "birth_date": null,
            "language": "es", "timezone": "America/Bogota", "country": "CO", "segment": null,
            "tags": [], "attributes": {}, "preferences": {},
            "created_at": at, "updated_at": at,
        }))
        .expect("a debtor");
        DebtorFile {
            events: vec![Event {
                id: EventId::generate(),
                debtor_id: debtor.id,
                debt_id: None,
                kind: EventKind::Replied,
                at,
                recorded_at: at,
                data: serde_json::json!({ "channel": channel, "text": "Pago el viernes" }),
            }],
            debtor,
            contact_points: vec![],
            debts: vec![],
            contacts: vec![],
            score: Default::default(),
        }
    }

    #[test]
    fn free_text_goes_only_inside_the_24_hours_after_a_whatsapp_reply() {
        let replied: DateTime<Utc> = "2026-12-02T15:00:00Z".parse().expect("time");
        let wa = file_with_reply("whatsapp", replied);
        let hours = chrono::Duration::hours;
        assert!(in_whatsapp_window(&wa, replied + hours(1)));
        assert!(in_whatsapp_window(&wa, replied + hours(23)));
        assert!(!in_whatsapp_window(&wa, replied + hours(24)));
        assert!(
            !in_whatsapp_window(&wa, replied - hours(1)),
            "not before the reply"
        );
        let sms = file_with_reply("sms", replied);
        assert!(
            !in_whatsapp_window(&sms, replied + hours(1)),
            "an SMS opens no window"
        );
    }
}
