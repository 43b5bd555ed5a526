//! Message templates: the default text of every (template, channel) pair of the domain's
//! catalogue in es, pt and en, tenant overrides, and rendering to our [`Content`].
//!
//! # What callers use
//!
//! - [`TemplateContext`]: the facts one message may show (tenant, debtor, the debts it covers,
//!   the total, the signed pay link, the unsubscribe link, a promise, today). The renderer
//!   turns it into what a template sees: formatted strings in the debtor's locale plus a few raw
//!   values; [`KNOWN_VARIABLES`] lists every name a template may use.
//! - [`TemplateSet`]: the built-in texts ([`TemplateSet::builtin`]) plus a tenant's overrides
//!   ([`TemplateSet::with_overrides`]). [`TemplateSet::render`] picks the text in the debtor's
//!   language (else the tenant's), renders it with strict undefined behaviour and returns a
//!   [`Content`] ready for a provider, or a [`TemplateError`] (never a panic).
//! - [`validate_override`]: what the API and CLI call when a tenant saves an override. It refuses
//!   an unknown template name, a channel the catalogue does not list for it, a text that does not
//!   parse or uses an unknown variable (with line and column), an email without subject and an
//!   SMS or WhatsApp text without the opt-out keyword, so nothing fails at send time.
//! - [`locale`]: money and date formatting; [`sms`]: GSM-7/UCS-2 and segment counting.
//! - [`REPLIES_WITHOUT_DEBT`]: the answers to a debtor's message that are about no debt (an
//!   opt-out confirmation, a thanks for the last payment…). They render for a message that
//!   covers no debt, may not use the debt's names ([`DEBT_VARIABLES`]), get neither the debts nor
//!   the pay link from the email layout and have no WhatsApp URL button.
//!   [`REPLIES_TO_A_STRANGER`] (`reply_wrong_person`) does not name the debtor either.
//!
//! # How each channel's text is written
//!
//! - **email**: `subject` and `body`, the message's own paragraphs. A shared layout adds the
//!   greeting, the debts (a list in the text part, a table in the HTML part), the pay link (a
//!   button in HTML), the sign-off and the footer with the unsubscribe link. An override may
//!   give an `html` fragment to use instead of the paragraphs in the HTML part.
//! - **letter**: `subject` and `body` (paragraphs), framed by the letter layout the same way.
//! - **sms**, **voice**: the whole text. The voice menu (1: the pay link by SMS, 2: an advisor,
//!   3: a promise to pay on a date) is the same for every script of a language.
//! - **whatsapp**: the whole text, with each value Meta fills in marked by the `param` filter
//!   (`{{ total | param }}`): the marked values become the template's parameters, in order, and
//!   the text with them filled in is the preview. The pay link goes in the template's URL
//!   button, whose suffix is the portal token.
//!
//! Default texts live in `data/templates/{es,pt,en}.yaml`; a test holds them to the domain's
//! catalogue (`recaudo_domain::strategy::TemplateCatalogue`), pair for pair.

pub mod locale;
pub mod sms;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use minijinja::{AutoEscape, Environment, Error as MjError, ErrorKind, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::strategy::TemplateCatalogue;
use recaudo_domain::{Country, Currency, Money};

use crate::message::{
    Content, EmailContent, LetterContent, SmsContent, VoiceContent, WhatsappContent,
};

pub use locale::{format_date, format_date_long, format_money, locale_tag, whatsapp_language_code};
pub use sms::{is_gsm7, sms_encoding};

/// The facts one message may show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateContext {
    /// The collecting company, as the debtor knows it.
    pub tenant_name: String,
    pub debtor_name: String,
    /// The debtor's language (the tenant's when the debtor has none).
    pub language: Language,
    /// The debtor's country: it decides number and date formats.
    pub country: Country,
    /// The debts the message is about: at least one, except for [`REPLIES_WITHOUT_DEBT`].
    pub debts: Vec<DebtLine>,
    /// What the debtor owes on them in all.
    pub total: Money,
    /// The signed portal link, `https://…/p/{token}`.
    pub pay_url: String,
    /// The signed one-click unsubscribe link, when the channel has one (email).
    pub unsubscribe_url: Option<String>,
    /// The promise a `promise_reminder` recalls.
    pub promise: Option<PromiseLine>,
    /// The instalment of a plan a `plan_confirmed` (the first) or an `instalment_reminder`
    /// (the one due soon) is about.
    #[serde(default)]
    pub instalment: Option<InstalmentLine>,
    /// Today, in the debtor's time zone.
    pub today: NaiveDate,
}

/// One debt of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DebtLine {
    /// The debt's external id (the invoice or contract number the debtor knows).
    pub reference: String,
    pub description: Option<String>,
    pub amount_due: Money,
    pub due_date: NaiveDate,
    /// Days past the due date (negative before it).
    pub days_overdue: i64,
}

/// A promise to pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromiseLine {
    pub amount: Money,
    pub date: NaiveDate,
}

/// One instalment of an accepted plan: its number (1 is the first after the down payment) of
/// how many, its amount and its date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalmentLine {
    pub number: u32,
    pub of: u32,
    pub amount: Money,
    pub date: NaiveDate,
}

/// A tenant's own text for one (template, channel, language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateOverride {
    pub name: String,
    pub channel: Channel,
    pub language: Language,
    /// Email (required) and letter (optional: the default's otherwise).
    #[serde(default)]
    pub subject: Option<String>,
    pub body: String,
    /// Email only: an HTML fragment for the HTML part instead of the body's paragraphs.
    #[serde(default)]
    pub html: Option<String>,
}

/// The names a template may use: the top-level keys of what [`TemplateContext`] becomes.
///
/// - `tenant_name`, `debtor_name`, `language` (`es`), `country` (`CO`), `locale` (`es-CO`)
/// - `debts`: a list; each has `reference`, `description` (may be none), `amount` (formatted),
///   `amount_value` (`1234.50`), `due_date`, `due_date_long`, `days_overdue`, `overdue`
/// - `debt_count`, `total` (formatted), `total_value`, `currency` (`COP`)
/// - `due_date`, `due_date_long`: the earliest due date; `days_overdue`: the largest
/// - `pay_url`, `unsubscribe_url` (may be none)
/// - `promise` (may be none): `amount`, `amount_value`, `date`, `date_long`
/// - `instalment` (may be none): `number`, `of`, `amount`, `amount_value`, `date`, `date_long`
/// - `today`, `today_long`
pub const KNOWN_VARIABLES: &[&str] = &[
    "tenant_name",
    "debtor_name",
    "language",
    "country",
    "locale",
    "debts",
    "debt_count",
    "total",
    "total_value",
    "currency",
    "due_date",
    "due_date_long",
    "days_overdue",
    "pay_url",
    "unsubscribe_url",
    "promise",
    "instalment",
    "today",
    "today_long",
];

/// Functions minijinja provides that a template may call.
const ALLOWED_GLOBALS: &[&str] = &["range", "dict", "namespace"];

/// Answers to a debtor's message that are about no debt: they may go out when no debt is open
/// any more (a thanks for the last payment, an opt-out confirmation), so they render without
/// debts, use none of [`DEBT_VARIABLES`], get neither the debts nor the pay link from the email
/// layout, and their WhatsApp template has no URL button.
pub const REPLIES_WITHOUT_DEBT: &[&str] = &[
    "reply_opt_out",
    "reply_promise_ask_date",
    "reply_already_paid",
    "reply_dispute_received",
    "reply_hardship",
    "reply_thanks",
    "reply_wrong_person",
];

/// Answers read by someone who said they are not the debtor: besides being about no debt, they
/// do not name the debtor (the email layout greets without a name).
pub const REPLIES_TO_A_STRANGER: &[&str] = &["reply_wrong_person"];

/// The names that show a debt: what [`REPLIES_WITHOUT_DEBT`] may not use.
pub const DEBT_VARIABLES: &[&str] = &[
    "debts",
    "debt_count",
    "total",
    "total_value",
    "due_date",
    "due_date_long",
    "days_overdue",
    "pay_url",
    "promise",
    "instalment",
];

/// Whether template `name` may render for a message that covers no debt.
pub fn is_without_debt(name: &str) -> bool {
    REPLIES_WITHOUT_DEBT.contains(&name)
}

/// Why template `name` may not use the variable `variable`, when it may not.
fn why_not(name: &str, variable: &str) -> Option<&'static str> {
    let shows_a_debt = DEBT_VARIABLES.contains(&variable);
    if REPLIES_TO_A_STRANGER.contains(&name) && (shows_a_debt || variable == "debtor_name") {
        Some("it answers someone who is not the debtor, so it names no one and shows no debt")
    } else if is_without_debt(name) && shows_a_debt {
        Some("it may go out when no debt is open")
    } else {
        None
    }
}

/// A template refused when saved, or a message that could not be rendered. `field` is the
/// override's field at fault (`subject`, `body`, `html`, or `layout` for the shared frame).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{field}, line {line}, column {column}: {message}")]
    Syntax {
        field: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{field}, line {line}, column {column}: unknown variable `{name}`")]
    UnknownVariable {
        field: &'static str,
        line: usize,
        column: usize,
        name: String,
    },
    /// The text parses but fails on a message (an undefined attribute, a bad filter call).
    #[error("{field}, line {line}, column {column}: {message}")]
    Render {
        field: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("name: unknown template `{0}`")]
    UnknownTemplate(String),
    #[error("channel: template `{name}` is not sent on {channel}")]
    ChannelNotListed { name: String, channel: Channel },
    #[error("subject: an email needs a subject")]
    MissingSubject,
    #[error("{field}: a {channel} template has no {field}")]
    UnusedField {
        field: &'static str,
        channel: Channel,
    },
    #[error("body: the text is empty")]
    EmptyBody,
    #[error("body: a {channel} message must say how to opt out (with `{keyword}`)")]
    MissingOptOut {
        channel: Channel,
        keyword: &'static str,
    },
    /// A name a template may not use, e.g. the total in an answer that may go out when no debt
    /// is open.
    #[error("{field}, line {line}, column {column}: `{template}` cannot use `{name}`: {reason}")]
    NotForThisTemplate {
        field: &'static str,
        line: usize,
        column: usize,
        name: String,
        template: String,
        reason: &'static str,
    },
    #[error("the message covers no debt")]
    NoDebts,
    #[error("a negative amount ({0}) is not a debt")]
    NegativeAmount(String),
    #[error("no {channel} text for template `{name}` in {language}")]
    Missing {
        name: String,
        channel: Channel,
        language: Language,
    },
}

impl TemplateError {
    /// The field at fault, for an API problem's `field`.
    pub fn field(&self) -> &'static str {
        match self {
            TemplateError::Syntax { field, .. }
            | TemplateError::UnknownVariable { field, .. }
            | TemplateError::Render { field, .. }
            | TemplateError::NotForThisTemplate { field, .. }
            | TemplateError::UnusedField { field, .. } => field,
            TemplateError::UnknownTemplate(_) | TemplateError::Missing { .. } => "name",
            TemplateError::ChannelNotListed { .. } => "channel",
            TemplateError::MissingSubject => "subject",
            TemplateError::EmptyBody | TemplateError::MissingOptOut { .. } => "body",
            TemplateError::NoDebts | TemplateError::NegativeAmount(_) => "context",
        }
    }

    /// Line and column (1-based) of the error in its field, when it has a place.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            TemplateError::Syntax { line, column, .. }
            | TemplateError::UnknownVariable { line, column, .. }
            | TemplateError::Render { line, column, .. }
            | TemplateError::NotForThisTemplate { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The shipped texts.

/// One language's file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguagePack {
    /// The words of the shared email and letter layouts.
    layout: LayoutStrings,
    /// Read after every voice script.
    voice_menu: String,
    /// The word a debtor answers to stop SMS and WhatsApp messages.
    opt_out_keyword: String,
    templates: BTreeMap<String, BTreeMap<Channel, Variant>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutStrings {
    greeting: String,
    letter_greeting: String,
    debts_heading: String,
    reference: String,
    description: String,
    due: String,
    due_on: String,
    amount: String,
    total: String,
    pay_text: String,
    pay_button: String,
    closing: String,
    footer: String,
    unsubscribe: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Variant {
    #[serde(default)]
    subject: Option<String>,
    body: String,
    #[serde(default)]
    html: Option<String>,
}

static PACKS: LazyLock<[(Language, LanguagePack); 3]> = LazyLock::new(|| {
    let read = |language: Language, source: &str| -> (Language, LanguagePack) {
        match yaml_serde::from_str(source) {
            Ok(pack) => (language, pack),
            Err(e) => panic!("the shipped templates of {language} read (a test checks it): {e}"),
        }
    };
    [
        read(Language::Es, include_str!("../../data/templates/es.yaml")),
        read(Language::Pt, include_str!("../../data/templates/pt.yaml")),
        read(Language::En, include_str!("../../data/templates/en.yaml")),
    ]
});

fn pack(language: Language) -> &'static LanguagePack {
    let packs = &*PACKS;
    match language {
        Language::Es => &packs[0].1,
        Language::Pt => &packs[1].1,
        Language::En => &packs[2].1,
    }
}

/// The built-in text of a (template, channel, language), in the shape of an override (what
/// the API shows as the default and the CLI starts an override from).
pub fn builtin_text(name: &str, channel: Channel, language: Language) -> Option<TemplateOverride> {
    let variant = pack(language).templates.get(name)?.get(&channel)?;
    Some(TemplateOverride {
        name: name.to_string(),
        channel,
        language,
        subject: variant.subject.clone(),
        body: variant.body.clone(),
        html: variant.html.clone(),
    })
}

/// Every built-in (template, channel) pair of a language.
pub fn builtin_pairs(language: Language) -> impl Iterator<Item = (&'static str, Channel)> {
    pack(language)
        .templates
        .iter()
        .flat_map(|(name, variants)| variants.keys().map(move |c| (name.as_str(), *c)))
}

/// The keyword of a language's opt-out line (`BAJA`, `SAIR`, `STOP`).
pub fn opt_out_keyword(language: Language) -> &'static str {
    &pack(language).opt_out_keyword
}

// ---------------------------------------------------------------------------------------------
// The environment.

const LAYOUT_EMAIL_TEXT: &str = include_str!("../../data/templates/layout_email.txt");
const LAYOUT_EMAIL_HTML: &str = include_str!("../../data/templates/layout_email.html");
const LAYOUT_LETTER: &str = include_str!("../../data/templates/layout_letter.txt");

/// Opens and closes a WhatsApp parameter in rendered text (Unicode private-use characters, which
/// are removed from the values themselves).
const PARAM_OPEN: char = '\u{E000}';
const PARAM_CLOSE: char = '\u{E001}';

/// Where a template came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Builtin,
    Override,
}

fn template_name(
    source: Source,
    language: Language,
    name: &str,
    channel: Channel,
    part: Part,
) -> String {
    let prefix = match source {
        Source::Builtin => "builtin",
        Source::Override => "override",
    };
    format!("{prefix}/{language}/{name}/{channel}/{}", part.file())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Subject,
    Body,
    Html,
}

impl Part {
    fn field(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Body => "body",
            Part::Html => "html",
        }
    }

    /// The file name: `.html` turns on HTML escaping.
    fn file(self) -> &'static str {
        match self {
            Part::Subject => "subject.txt",
            Part::Body => "body.txt",
            Part::Html => "fragment.html",
        }
    }
}

/// A fresh environment with our settings: strict undefined values, spans for errors, block
/// tags that leave no blank lines, HTML escaping for `.html` templates, and the `param` filter.
fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_filter("param", param_filter);
    env
}

/// Marks a WhatsApp parameter. Meta refuses parameters with line breaks, tabs or runs of more
/// than four spaces, so those become single spaces.
fn param_filter(value: Value) -> Result<String, MjError> {
    if value.is_undefined() {
        return Err(MjError::new(
            ErrorKind::UndefinedError,
            "param of an undefined value",
        ));
    }
    let text = value.to_string();
    let clean: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == PARAM_OPEN || c == PARAM_CLOSE)
        .filter(|w| !w.is_empty())
        .collect();
    Ok(format!("{PARAM_OPEN}{}{PARAM_CLOSE}", clean.join(" ")))
}

/// Splits rendered WhatsApp text into the preview and its parameters, in order.
fn extract_params(rendered: &str) -> (String, Vec<String>) {
    let mut preview = String::with_capacity(rendered.len());
    let mut params = Vec::new();
    let mut current: Option<String> = None;
    for c in rendered.chars() {
        match c {
            PARAM_OPEN => current = Some(String::new()),
            PARAM_CLOSE => {
                if let Some(param) = current.take() {
                    params.push(param);
                }
            }
            _ => {
                if let Some(param) = current.as_mut() {
                    param.push(c);
                }
                preview.push(c);
            }
        }
    }
    (preview, params)
}

fn strip_params(rendered: &str) -> String {
    rendered
        .chars()
        .filter(|c| *c != PARAM_OPEN && *c != PARAM_CLOSE)
        .collect()
}

/// The built-in templates and a tenant's overrides, compiled.
#[derive(Clone)]
pub struct TemplateSet {
    env: Environment<'static>,
    /// Which (name, channel, language) have an override, and with which parts.
    overrides: BTreeMap<(String, Channel, Language), (bool, bool)>,
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateSet")
            .field("overrides", &self.overrides.keys().collect::<Vec<_>>())
            .finish()
    }
}

static BUILTIN: LazyLock<TemplateSet> = LazyLock::new(|| {
    let mut env = base_environment();
    let layouts = [
        ("layout/email.txt", LAYOUT_EMAIL_TEXT),
        ("layout/email.html", LAYOUT_EMAIL_HTML),
        ("layout/letter.txt", LAYOUT_LETTER),
    ];
    for (name, source) in layouts {
        if let Err(e) = env.add_template(name, source) {
            panic!("the shipped layout {name} parses (a test checks it): {e}");
        }
    }
    for &(language, ref pack) in PACKS.iter() {
        for (name, variants) in &pack.templates {
            for (channel, variant) in variants {
                let parts = [
                    (Part::Subject, variant.subject.as_deref()),
                    (Part::Body, Some(variant.body.as_str())),
                    (Part::Html, variant.html.as_deref()),
                ];
                for (part, source) in parts {
                    let Some(source) = source else { continue };
                    let key = template_name(Source::Builtin, language, name, *channel, part);
                    if let Err(e) = env.add_template_owned(key.clone(), source.to_string()) {
                        panic!("the shipped template {key} parses (a test checks it): {e}");
                    }
                }
            }
        }
    }
    TemplateSet {
        env,
        overrides: BTreeMap::new(),
    }
});

impl TemplateSet {
    /// The shipped texts alone.
    pub fn builtin() -> &'static TemplateSet {
        &BUILTIN
    }

    /// The shipped texts plus a tenant's overrides, each checked by [`validate_override`]. A
    /// later override of the same (name, channel, language) replaces an earlier one.
    pub fn with_overrides(
        overrides: impl IntoIterator<Item = TemplateOverride>,
    ) -> Result<TemplateSet, TemplateError> {
        let mut set = TemplateSet::builtin().clone();
        for o in overrides {
            validate_override(&o)?;
            let parts = [
                (Part::Subject, o.subject.as_deref()),
                (Part::Body, Some(o.body.as_str())),
                (Part::Html, o.html.as_deref()),
            ];
            for (part, source) in parts {
                let key = template_name(Source::Override, o.language, &o.name, o.channel, part);
                match source {
                    Some(source) => set
                        .env
                        .add_template_owned(key, source.to_string())
                        .map_err(|e| syntax_error(part.field(), source, &e))?,
                    None => set.env.remove_template(&key),
                }
            }
            set.overrides.insert(
                (o.name, o.channel, o.language),
                (o.subject.is_some(), o.html.is_some()),
            );
        }
        Ok(set)
    }

    /// Whether the tenant overrides this (name, channel, language).
    pub fn is_overridden(&self, name: &str, channel: Channel, language: Language) -> bool {
        self.overrides
            .contains_key(&(name.to_string(), channel, language))
    }

    /// Renders template `name` for `channel`: in the debtor's language, else the tenant's.
    pub fn render(
        &self,
        name: &str,
        channel: Channel,
        context: &TemplateContext,
        tenant_language: Language,
    ) -> Result<Content, TemplateError> {
        let channels = TemplateCatalogue::builtin()
            .channels(name)
            .ok_or_else(|| TemplateError::UnknownTemplate(name.to_string()))?;
        if !channels.contains(channel) {
            return Err(TemplateError::ChannelNotListed {
                name: name.to_string(),
                channel,
            });
        }
        check_context(name, context)?;
        let (language, source) = self.pick(name, channel, context.language, tenant_language)?;
        let view = View::new(context, language);
        self.render_view(name, channel, language, source, &view)
    }

    /// The language and source of the text to use.
    fn pick(
        &self,
        name: &str,
        channel: Channel,
        debtor_language: Language,
        tenant_language: Language,
    ) -> Result<(Language, Source), TemplateError> {
        for language in [debtor_language, tenant_language] {
            if self.is_overridden(name, channel, language) {
                return Ok((language, Source::Override));
            }
            if builtin_text(name, channel, language).is_some() {
                return Ok((language, Source::Builtin));
            }
        }
        Err(TemplateError::Missing {
            name: name.to_string(),
            channel,
            language: debtor_language,
        })
    }

    fn render_part(
        &self,
        source: Source,
        language: Language,
        name: &str,
        channel: Channel,
        part: Part,
        view: &View,
    ) -> Result<String, TemplateError> {
        let key = template_name(source, language, name, channel, part);
        let template = self
            .env
            .get_template(&key)
            .map_err(|e| TemplateError::Missing {
                name: format!("{name} ({}: {e})", part.field()),
                channel,
                language,
            })?;
        template
            .render(Value::from(minijinja::value::Serde(view)))
            .map_err(|e| render_error(part.field(), template.source(), &e))
    }

    /// The part from the override when it has one, else the built-in's.
    fn render_part_or_builtin(
        &self,
        source: Source,
        language: Language,
        name: &str,
        channel: Channel,
        part: Part,
        view: &View,
    ) -> Result<Option<String>, TemplateError> {
        let has = |s: Source| {
            self.env
                .get_template(&template_name(s, language, name, channel, part))
                .is_ok()
        };
        let source = if has(source) {
            source
        } else if has(Source::Builtin) {
            Source::Builtin
        } else {
            return Ok(None);
        };
        self.render_part(source, language, name, channel, part, view)
            .map(Some)
    }

    fn render_layout(&self, layout: &str, frame: &Frame) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(layout)
            .map_err(|e| render_error("layout", "", &e))?;
        template
            .render(Value::from(minijinja::value::Serde(frame)))
            .map_err(|e| render_error("layout", template.source(), &e))
    }

    fn render_view(
        &self,
        name: &str,
        channel: Channel,
        language: Language,
        source: Source,
        view: &View,
    ) -> Result<Content, TemplateError> {
        let body =
            strip_body(&self.render_part(source, language, name, channel, Part::Body, view)?);
        Ok(match channel {
            Channel::Email => {
                let subject = self
                    .render_part_or_builtin(source, language, name, channel, Part::Subject, view)?
                    .map(|s| one_line(&strip_params(&s)))
                    .unwrap_or_default();
                let message = strip_params(&body);
                let message_html = match source {
                    Source::Override
                        if self
                            .overrides
                            .get(&(name.to_string(), channel, language))
                            .is_some_and(|(_, html)| *html) =>
                    {
                        Some(self.render_part(source, language, name, channel, Part::Html, view)?)
                    }
                    _ => None,
                };
                let framed = layout_view(name, view);
                let frame = Frame::new(&framed, language, &message, message_html);
                EmailContent {
                    subject,
                    text: tidy(&self.render_layout("layout/email.txt", &frame)?),
                    html: self.render_layout("layout/email.html", &frame)?,
                    unsubscribe_url: view.unsubscribe_url.clone(),
                }
                .into()
            }
            Channel::Letter => {
                let subject = self
                    .render_part_or_builtin(source, language, name, channel, Part::Subject, view)?
                    .map(|s| one_line(&strip_params(&s)))
                    .unwrap_or_default();
                let message = strip_params(&body);
                let frame = Frame::new(view, language, &message, None);
                LetterContent {
                    subject,
                    body: tidy(&self.render_layout("layout/letter.txt", &frame)?),
                    sender: vec![view.tenant_name.clone()],
                    date_line: view.today_long.clone(),
                }
                .into()
            }
            Channel::Sms => {
                let body = strip_params(&body);
                let (encoding, segments) = sms_encoding(&body);
                SmsContent {
                    body,
                    encoding,
                    segments,
                }
                .into()
            }
            Channel::Whatsapp => {
                let (preview, parameters) = extract_params(&body);
                WhatsappContent {
                    template: format!("recaudo_{name}"),
                    language_code: whatsapp_language_code(language).to_string(),
                    parameters,
                    button_url_suffix: if is_without_debt(name) {
                        None
                    } else {
                        portal_token(&view.pay_url)
                    },
                    preview,
                    free_text: None,
                }
                .into()
            }
            Channel::Voice => VoiceContent {
                script: one_paragraph(&strip_params(&body)),
                say_language: view.locale.to_string(),
                menu: pack(language).voice_menu.trim().to_string(),
            }
            .into(),
        })
    }
}

impl From<EmailContent> for Content {
    fn from(c: EmailContent) -> Content {
        Content::Email(c)
    }
}
impl From<LetterContent> for Content {
    fn from(c: LetterContent) -> Content {
        Content::Letter(c)
    }
}
impl From<SmsContent> for Content {
    fn from(c: SmsContent) -> Content {
        Content::Sms(c)
    }
}
impl From<WhatsappContent> for Content {
    fn from(c: WhatsappContent) -> Content {
        Content::Whatsapp(c)
    }
}
impl From<VoiceContent> for Content {
    fn from(c: VoiceContent) -> Content {
        Content::Voice(c)
    }
}

/// What the email layout sees of a message: an answer about no debt shows no debts (so the
/// layout leaves out the debts and the pay link), and one to a stranger no name either.
fn layout_view<'a>(name: &str, view: &'a View) -> std::borrow::Cow<'a, View> {
    if !is_without_debt(name) {
        return std::borrow::Cow::Borrowed(view);
    }
    let mut framed = view.clone();
    framed.debts.clear();
    framed.debt_count = 0;
    if REPLIES_TO_A_STRANGER.contains(&name) {
        framed.debtor_name.clear();
    }
    std::borrow::Cow::Owned(framed)
}

/// The token at the end of a portal link (`…/p/{token}`): a WhatsApp URL button's suffix.
fn portal_token(pay_url: &str) -> Option<String> {
    let (_, token) = pay_url.rsplit_once("/p/")?;
    let token = token.split(['?', '#']).next().unwrap_or_default();
    (!token.is_empty() && !token.contains('/')).then(|| token.to_string())
}

/// Trims a rendered text and drops trailing spaces of its lines.
fn strip_body(text: &str) -> String {
    text.trim()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Collapses runs of more than one blank line (left by optional layout parts).
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in strip_body(text).lines() {
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A spoken script: one paragraph, nothing for the voice to read as a line break.
fn one_paragraph(text: &str) -> String {
    one_line(text)
}

fn check_context(name: &str, context: &TemplateContext) -> Result<(), TemplateError> {
    if context.debts.is_empty() && !is_without_debt(name) {
        return Err(TemplateError::NoDebts);
    }
    let amounts = context
        .debts
        .iter()
        .map(|d| &d.amount_due)
        .chain(std::iter::once(&context.total))
        .chain(context.promise.iter().map(|p| &p.amount))
        .chain(context.instalment.iter().map(|i| &i.amount));
    for money in amounts {
        if money.amount.is_sign_negative() && !money.amount.is_zero() {
            return Err(TemplateError::NegativeAmount(money.to_string()));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What templates see.

#[derive(Debug, Clone, Serialize)]
struct View {
    tenant_name: String,
    debtor_name: String,
    language: Language,
    country: Country,
    locale: &'static str,
    debts: Vec<DebtView>,
    debt_count: usize,
    total: String,
    total_value: String,
    currency: Currency,
    due_date: String,
    due_date_long: String,
    days_overdue: i64,
    pay_url: String,
    unsubscribe_url: Option<String>,
    promise: Option<PromiseView>,
    instalment: Option<InstalmentView>,
    today: String,
    today_long: String,
}

#[derive(Debug, Clone, Serialize)]
struct DebtView {
    reference: String,
    description: Option<String>,
    amount: String,
    amount_value: String,
    due_date: String,
    due_date_long: String,
    days_overdue: i64,
    overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
struct InstalmentView {
    number: u32,
    of: u32,
    amount: String,
    amount_value: String,
    date: String,
    date_long: String,
}

#[derive(Debug, Clone, Serialize)]
struct PromiseView {
    amount: String,
    amount_value: String,
    date: String,
    date_long: String,
}

impl View {
    /// The context formatted in `language` (the debtor's, or the tenant's when the text is
    /// only in that one) and the debtor's country.
    fn new(ctx: &TemplateContext, language: Language) -> View {
        let country = ctx.country;
        let money = |m: &Money| format_money(m, language, country);
        let short = |d: NaiveDate| format_date(d, language, country);
        let long = |d: NaiveDate| format_date_long(d, language, country);
        let earliest = ctx
            .debts
            .iter()
            .map(|d| d.due_date)
            .min()
            .unwrap_or(ctx.today);
        View {
            tenant_name: ctx.tenant_name.clone(),
            debtor_name: ctx.debtor_name.clone(),
            language,
            country,
            locale: locale_tag(language, country),
            debts: ctx
                .debts
                .iter()
                .map(|d| DebtView {
                    reference: d.reference.clone(),
                    description: d.description.clone().filter(|s| !s.trim().is_empty()),
                    amount: money(&d.amount_due),
                    amount_value: d.amount_due.amount_text(),
                    due_date: short(d.due_date),
                    due_date_long: long(d.due_date),
                    days_overdue: d.days_overdue,
                    overdue: d.days_overdue > 0,
                })
                .collect(),
            debt_count: ctx.debts.len(),
            total: money(&ctx.total),
            total_value: ctx.total.amount_text(),
            currency: ctx.total.currency,
            due_date: short(earliest),
            due_date_long: long(earliest),
            days_overdue: ctx.debts.iter().map(|d| d.days_overdue).max().unwrap_or(0),
            pay_url: ctx.pay_url.clone(),
            unsubscribe_url: ctx.unsubscribe_url.clone(),
            promise: ctx.promise.as_ref().map(|p| PromiseView {
                amount: money(&p.amount),
                amount_value: p.amount.amount_text(),
                date: short(p.date),
                date_long: long(p.date),
            }),
            instalment: ctx.instalment.as_ref().map(|i| InstalmentView {
                number: i.number,
                of: i.of,
                amount: money(&i.amount),
                amount_value: i.amount.amount_text(),
                date: short(i.date),
                date_long: long(i.date),
            }),
            today: short(ctx.today),
            today_long: long(ctx.today),
        }
    }
}

/// What the shared email and letter layouts see: the view, the layout's words (`t`) and the
/// rendered message.
#[derive(Serialize)]
struct Frame<'a> {
    #[serde(flatten)]
    view: &'a View,
    t: &'static LayoutStrings,
    message: &'a str,
    /// The message's paragraphs, each a list of lines (the HTML part escapes them).
    paragraphs: Vec<Vec<&'a str>>,
    /// An override's HTML fragment, already rendered with escaping.
    message_html: Option<String>,
}

impl<'a> Frame<'a> {
    fn new(
        view: &'a View,
        language: Language,
        message: &'a str,
        message_html: Option<String>,
    ) -> Frame<'a> {
        let paragraphs = message
            .split("\n\n")
            .map(|p| {
                p.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|p| !p.is_empty())
            .collect();
        Frame {
            view,
            t: &pack(language).layout,
            message,
            paragraphs,
            message_html,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors with their place.

/// Line and column (1-based, in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    let before = &source[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn error_place(source: &str, error: &MjError) -> (usize, usize) {
    match error.range() {
        Some(range) if !source.is_empty() => line_column(source, range.start),
        _ => (error.line().unwrap_or(1), 1),
    }
}

fn error_message(error: &MjError) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

fn syntax_error(field: &'static str, source: &str, error: &MjError) -> TemplateError {
    let (line, column) = error_place(source, error);
    TemplateError::Syntax {
        field,
        line,
        column,
        message: error_message(error),
    }
}

fn render_error(field: &'static str, source: &str, error: &MjError) -> TemplateError {
    let (line, column) = error_place(source, error);
    TemplateError::Render {
        field,
        line,
        column,
        message: error_message(error),
    }
}

/// Where `ident` first appears as a name inside a `{{ … }}` or `{% … %}` tag (not as an
/// attribute after a dot, not inside a string literal).
fn locate_identifier(source: &str, ident: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i + 1 < bytes.len() {
        let open = &bytes[i..i + 2];
        if open != b"{{" && open != b"{%" {
            i += 1;
            continue;
        }
        let close: &[u8] = if open == b"{{" { b"}}" } else { b"%}" };
        let start = i + 2;
        let end = source[start..]
            .find(std::str::from_utf8(close).unwrap_or("}}"))
            .map_or(source.len(), |e| start + e);
        let mut j = start;
        let mut quote: Option<u8> = None;
        while j < end {
            let b = bytes[j];
            if let Some(q) = quote {
                if b == q {
                    quote = None;
                }
                j += 1;
                continue;
            }
            if b == b'"' || b == b'\'' {
                quote = Some(b);
                j += 1;
                continue;
            }
            if source[j..end].starts_with(ident)
                && (j == 0 || (!is_name(bytes[j - 1]) && bytes[j - 1] != b'.'))
                && bytes.get(j + ident.len()).is_none_or(|b| !is_name(*b))
            {
                return Some(j);
            }
            j += 1;
        }
        i = end + 2;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Checking an override when it is saved.

/// Checks a tenant's override against the shipped catalogue: see the module's documentation.
pub fn validate_override(o: &TemplateOverride) -> Result<(), TemplateError> {
    validate_override_in(o, TemplateCatalogue::builtin())
}

/// [`validate_override`] against a given catalogue.
pub fn validate_override_in(
    o: &TemplateOverride,
    catalogue: &TemplateCatalogue,
) -> Result<(), TemplateError> {
    let channels = catalogue
        .channels(&o.name)
        .ok_or_else(|| TemplateError::UnknownTemplate(o.name.clone()))?;
    if !channels.contains(o.channel) {
        return Err(TemplateError::ChannelNotListed {
            name: o.name.clone(),
            channel: o.channel,
        });
    }
    let subject = o.subject.as_deref().filter(|s| !s.trim().is_empty());
    match o.channel {
        Channel::Email => {
            if subject.is_none() {
                return Err(TemplateError::MissingSubject);
            }
        }
        Channel::Letter => {}
        Channel::Sms | Channel::Whatsapp | Channel::Voice => {
            if o.subject.is_some() {
                return Err(TemplateError::UnusedField {
                    field: "subject",
                    channel: o.channel,
                });
            }
        }
    }
    if o.html.is_some() && o.channel != Channel::Email {
        return Err(TemplateError::UnusedField {
            field: "html",
            channel: o.channel,
        });
    }
    if o.body.trim().is_empty() {
        return Err(TemplateError::EmptyBody);
    }

    let mut env = base_environment();
    let parts = [
        (Part::Subject, subject),
        (Part::Body, Some(o.body.as_str())),
        (Part::Html, o.html.as_deref()),
    ];
    let samples = sample_views(o.language);
    for (part, source) in parts {
        let Some(source) = source else { continue };
        let key = template_name(Source::Override, o.language, &o.name, o.channel, part);
        env.add_template_owned(key.clone(), source.to_string())
            .map_err(|e| syntax_error(part.field(), source, &e))?;
        let template = env
            .get_template(&key)
            .map_err(|e| syntax_error(part.field(), source, &e))?;
        let mut unknown: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !KNOWN_VARIABLES.contains(&v.as_str()))
            .filter(|v| !ALLOWED_GLOBALS.contains(&v.as_str()))
            .collect();
        unknown.sort_by_key(|v| locate_identifier(source, v).unwrap_or(usize::MAX));
        if let Some(name) = unknown.into_iter().next() {
            let (line, column) = locate_identifier(source, &name)
                .map_or((1, 1), |offset| line_column(source, offset));
            return Err(TemplateError::UnknownVariable {
                field: part.field(),
                line,
                column,
                name,
            });
        }
        let mut refused: Vec<(String, &'static str)> = template
            .undeclared_variables(false)
            .into_iter()
            .filter_map(|v| why_not(&o.name, &v).map(|reason| (v, reason)))
            .collect();
        refused.sort_by_key(|(v, _)| locate_identifier(source, v).unwrap_or(usize::MAX));
        if let Some((name, reason)) = refused.into_iter().next() {
            let (line, column) = locate_identifier(source, &name)
                .map_or((1, 1), |offset| line_column(source, offset));
            return Err(TemplateError::NotForThisTemplate {
                field: part.field(),
                line,
                column,
                name,
                template: o.name.clone(),
                reason,
            });
        }
        // Runs it on messages of every shape (one debt and several, with and without a
        // promise or an unsubscribe link), so what fails on a real message fails here.
        for view in &samples {
            template
                .render(Value::from(minijinja::value::Serde(view)))
                .map_err(|e| render_error(part.field(), source, &e))?;
        }
    }
    if matches!(o.channel, Channel::Sms | Channel::Whatsapp) {
        let keyword = opt_out_keyword(o.language);
        if !o.body.contains(keyword) {
            return Err(TemplateError::MissingOptOut {
                channel: o.channel,
                keyword,
            });
        }
    }
    Ok(())
}

/// Sample messages an override must render: one debt with a promise and an unsubscribe link,
/// and three debts with neither.
fn sample_views(language: Language) -> Vec<View> {
    let country = match language {
        Language::Es => Country::Co,
        Language::Pt => Country::Br,
        Language::En => Country::Us,
    };
    let currency = country.currency();
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    let money = |minor: i64| Money::from_minor(minor, currency);
    let debt = |reference: &str, description: Option<&str>, minor: i64, due: NaiveDate| DebtLine {
        reference: reference.to_string(),
        description: description.map(str::to_string),
        amount_due: money(minor),
        due_date: due,
        days_overdue: (day(6, 15) - due).num_days(),
    };
    let one = TemplateContext {
        tenant_name: "Acme".into(),
        debtor_name: "Ana".into(),
        language,
        country,
        debts: vec![debt("F-1", Some("Plan"), 123_456, day(6, 1))],
        total: money(123_456),
        pay_url: "https://example.com/p/tok".into(),
        unsubscribe_url: Some("https://example.com/u/tok".into()),
        promise: Some(PromiseLine {
            amount: money(50_000),
            date: day(6, 20),
        }),
        instalment: Some(InstalmentLine {
            number: 2,
            of: 6,
            amount: money(20_576),
            date: day(6, 20),
        }),
        today: day(6, 15),
    };
    let three = TemplateContext {
        debts: vec![
            debt("F-1", None, 10_000, day(5, 1)),
            debt("F-2", Some("Plan"), 20_000, day(6, 1)),
            debt("F-3", None, 30_000, day(7, 1)),
        ],
        total: money(60_000),
        unsubscribe_url: None,
        promise: None,
        instalment: None,
        ..one.clone()
    };
    vec![View::new(&one, language), View::new(&three, language)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_name_in_tags_only() {
        let src = "debtor x {{ a.debtor }}\n{% if debtor %}{{ 'debtor' }}{% endif %}";
        let offset = locate_identifier(src, "debtor");
        assert_eq!(offset.map(|o| line_column(src, o)), Some((2, 7)));
        assert_eq!(locate_identifier("{{ debtors }}", "debtor"), None);
    }

    #[test]
    fn splits_whatsapp_parameters() {
        let text = format!("Hi {PARAM_OPEN}Ana{PARAM_CLOSE}, {PARAM_OPEN}$5{PARAM_CLOSE}.");
        assert_eq!(
            extract_params(&text),
            (
                "Hi Ana, $5.".to_string(),
                vec!["Ana".to_string(), "$5".to_string()]
            )
        );
    }

    #[test]
    fn reads_the_portal_token() {
        assert_eq!(
            portal_token("https://x.example/p/abc.def?x=1"),
            Some("abc.def".into())
        );
        assert_eq!(portal_token("https://x.example/pay"), None);
    }
}
