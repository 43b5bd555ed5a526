//! The debtor's portal, `GET /p/{token}`: for now a placeholder that shows what the message was
//! about (the debts it covers, their amounts and due dates, the total) in the debtor's language,
//! and says online payment is coming and how to reach the tenant. Also the plain HTML pages and
//! the signed-link lookup the tracking links share.
//!
//! The pages are self-contained (no external assets, no scripts), carry no more personal data
//! than the debtor's first name, and are never cached or indexed: the token in the URL is the
//! only key to them.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use recaudo_channels::links::LinkPurpose;
use recaudo_channels::templates::{format_date, format_money, locale_tag};
use recaudo_domain::outbox::Contact;
use recaudo_domain::portfolio::{Debt, Debtor, DebtorKind, Language, Tenant};
use recaudo_domain::{ContactId, Money};
use recaudo_store::{StoreError, TenantStore};

use crate::AppState;

/// What a genuine link leads to: the contact, its tenant and its debtor.
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
    /// No link key, a forged or mistyped token, or a contact that no longer exists.
    NotFound,
    Store(StoreError),
}

/// The contact a link's token names, with its tenant and debtor. A forged token is logged.
pub(crate) async fn linked(
    state: &AppState,
    purpose: LinkPurpose,
    token: &str,
) -> Result<Linked, LinkError> {
    let contact = verified(state, purpose, token).ok_or(LinkError::NotFound)?;
    let ts = match state.store.tenant_of_contact(contact).await {
        Ok(Some(ts)) => ts,
        Ok(None) => return Err(LinkError::NotFound),
        Err(error) => return Err(LinkError::Store(error)),
    };
    let contact = ts.get_contact(contact).await.map_err(not_found_or_store)?;
    let debtor = ts
        .get_debtor(contact.debtor_id)
        .await
        .map_err(not_found_or_store)?;
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

fn not_found_or_store(error: StoreError) -> LinkError {
    match error {
        // A debtor erased since the message went out.
        StoreError::NotFound { .. } => LinkError::NotFound,
        error => LinkError::Store(error),
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

/// `GET /p/{token}`.
pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let linked = match linked(&state, LinkPurpose::Portal, &token).await {
        Ok(linked) => linked,
        Err(error) => return error.into_page(),
    };
    let mut debts = Vec::new();
    for id in std::iter::once(linked.contact.debt_id).chain(linked.contact.covers.iter().copied()) {
        match linked.ts.get_debt(id).await {
            Ok(debt) => debts.push(debt),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return LinkError::Store(error).into_page(),
        }
    }
    portal_page(linked.tenant(), &linked.debtor, &debts)
}

/// The portal's text in one language.
struct PortalText {
    title: &'static str,
    hello: &'static str,
    intro: &'static str,
    reference: &'static str,
    amount: &'static str,
    due: &'static str,
    total: &'static str,
    nothing_due: &'static str,
    coming: &'static str,
}

fn portal_text(language: Language) -> PortalText {
    match language {
        Language::Es => PortalText {
            title: "Sus pagos pendientes con {tenant}",
            hello: "Hola, {name}:",
            intro: "Estas son las cuentas a las que se refiere nuestro mensaje:",
            reference: "Referencia",
            amount: "Importe",
            due: "Vencimiento",
            total: "Total",
            nothing_due: "No hay pagos pendientes de las cuentas de este mensaje. ¡Gracias!",
            coming: "Muy pronto podrá pagar en línea desde esta página. Mientras tanto, para pagar \
                     o acordar otra forma de pago, responda al mensaje que recibió o comuníquese \
                     con {tenant} por sus canales de atención habituales. Gracias por su atención.",
        },
        Language::Pt => PortalText {
            title: "Seus pagamentos pendentes com {tenant}",
            hello: "Olá, {name}!",
            intro: "Estas são as contas a que nossa mensagem se refere:",
            reference: "Referência",
            amount: "Valor",
            due: "Vencimento",
            total: "Total",
            nothing_due: "Não há pagamentos pendentes das contas desta mensagem. Obrigado!",
            coming: "Em breve você poderá pagar on-line por esta página. Enquanto isso, para \
                     pagar ou combinar outra forma de pagamento, responda à mensagem que recebeu \
                     ou fale com {tenant} pelos canais de atendimento de costume. Obrigado pela \
                     atenção.",
        },
        Language::En => PortalText {
            title: "Your pending payments with {tenant}",
            hello: "Hello {name},",
            intro: "These are the accounts our message refers to:",
            reference: "Reference",
            amount: "Amount",
            due: "Due date",
            total: "Total",
            nothing_due: "Nothing is pending on the accounts of this message. Thank you!",
            coming: "Online payment on this page is coming soon. Meanwhile, to pay or to agree \
                     on another way to pay, please reply to the message you received or contact \
                     {tenant} through its usual customer channels. Thank you.",
        },
    }
}

/// How the debtor is greeted: a person by first name, a business by its name.
fn greeting_name(debtor: &Debtor) -> &str {
    match debtor.kind {
        DebtorKind::Person => debtor.name.split_whitespace().next().unwrap_or(""),
        DebtorKind::Business => debtor.name.trim(),
    }
}

fn portal_page(tenant: &Tenant, debtor: &Debtor, debts: &[Debt]) -> Response {
    let (language, country) = (debtor.language, debtor.country);
    let text = portal_text(language);
    let tenant_name = escape(&tenant.name);
    let title = text.title.replace("{tenant}", &tenant_name);
    let mut body = format!("<h1>{title}</h1>\n");
    let name = greeting_name(debtor);
    if !name.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>\n",
            text.hello.replace("{name}", &escape(name))
        ));
    }
    let open: Vec<&Debt> = debts
        .iter()
        .filter(|d| d.balance.amount > rust_decimal::Decimal::ZERO)
        .collect();
    if open.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", text.nothing_due));
    } else {
        body.push_str(&format!("<p>{}</p>\n<table>\n", text.intro));
        body.push_str(&format!(
            "<thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
             <th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            text.reference, text.amount, text.due
        ));
        // One total per currency: amounts in different currencies are never added.
        let mut totals: Vec<Money> = Vec::new();
        for debt in &open {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                escape(&debt.external_id),
                escape(&format_money(&debt.balance, language, country)),
                format_date(debt.due_on, language, country),
            ));
            match totals
                .iter_mut()
                .find(|t| t.currency == debt.balance.currency)
            {
                Some(total) => total.amount += debt.balance.amount,
                None => totals.push(debt.balance),
            }
        }
        let total = totals
            .iter()
            .map(|t| escape(&format_money(t, language, country)))
            .collect::<Vec<_>>()
            .join(" + ");
        body.push_str(&format!(
            "</tbody>\n<tfoot><tr><th scope=\"row\">{}</th><td class=\"num total\">{total}</td>\
             <td></td></tr></tfoot>\n</table>\n",
            text.total
        ));
    }
    body.push_str(&format!(
        "<p>{}</p>\n",
        text.coming.replace("{tenant}", &tenant_name)
    ));
    html_page(StatusCode::OK, locale_tag(language, country), &title, &body)
}

/// Text made safe for HTML (element content and quoted attributes).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain page: readable on a phone, no external assets, never cached, indexed or referred.
/// `title` and `body` are HTML already escaped.
pub(crate) fn html_page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{title}</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; \
         padding: 0 1rem; line-height: 1.5; color: #1d232a; }}\n\
         table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}\n\
         th, td {{ text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid #d0d5da; }}\n\
         .num {{ text-align: right; white-space: nowrap; }}\n\
         tfoot th, tfoot td {{ font-weight: bold; border-bottom: none; }}\n\
         button {{ font: inherit; padding: 0.6rem 1rem; border: 1px solid #1d232a; \
         border-radius: 4px; background: #1d232a; color: #fff; cursor: pointer; }}\n\
         button:focus {{ outline: 3px solid #7aa7ff; outline-offset: 2px; }}\n\
         </style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The token in the URL must not travel to another site.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    response
}

/// A link that leads nowhere: said in the three languages, since whose link it was is unknown.
pub(crate) fn not_found_page() -> Response {
    html_page(
        StatusCode::NOT_FOUND,
        "es",
        "Enlace no válido · Link inválido · Invalid link",
        "<h1>Enlace no válido · Link inválido · Invalid link</h1>\n\
         <p lang=\"es\">Este enlace no es válido o ya no está disponible.</p>\n\
         <p lang=\"pt\">Este link não é válido ou não está mais disponível.</p>\n\
         <p lang=\"en\">This link is not valid or is no longer available.</p>\n",
    )
}

/// Something failed on our side: try again later, in the three languages.
pub(crate) fn unavailable_page() -> Response {
    html_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "es",
        "Inténtelo más tarde · Tente mais tarde · Please try later",
        "<h1>Inténtelo más tarde · Tente mais tarde · Please try later</h1>\n\
         <p lang=\"es\">No pudimos atender su solicitud. Por favor, inténtelo de nuevo en unos minutos.</p>\n\
         <p lang=\"pt\">Não foi possível atender sua solicitação. Por favor, tente novamente em alguns minutos.</p>\n\
         <p lang=\"en\">We could not handle your request. Please try again in a few minutes.</p>\n",
    )
}
