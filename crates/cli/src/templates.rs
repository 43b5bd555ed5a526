//! `recaudo template list|set|reset|preview`: a tenant's message templates, through the same
//! functions as `/api/v1/templates` (checked on save with line and column, previews rendered as
//! the dispatcher renders).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use recaudo_channels::Content;
use recaudo_channels::templates::validate_override;
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::{Clock, SystemClock};
use recaudo_web::api::templates::{
    PreviewRequest, Refusal, TemplateText, in_catalogue, list_views, preview, save,
};

use crate::config::Config;
use crate::strategy::tenant_store;

#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// List every template per channel and language as JSON lines, saying which the tenant
    /// overrides.
    List {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Save the tenant's text of a template for one channel and language, checked first: a
    /// refusal names FILE:LINE:COLUMN.
    Set {
        /// The template (`due_today`, …; `recaudo template list` shows them).
        name: String,
        #[arg(long)]
        channel: Channel,
        #[arg(long = "lang", value_name = "LANG")]
        language: Language,
        /// The text (minijinja): the whole message for SMS, WhatsApp and voice, the paragraphs
        /// of an e-mail or a letter.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The subject (e-mail: required; letter: optional).
        #[arg(long)]
        subject: Option<String>,
        /// E-mail only: an HTML fragment for the HTML part instead of the text's paragraphs.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Remove the tenant's text of a template for one channel and language: the default
    /// applies again.
    Reset {
        name: String,
        #[arg(long)]
        channel: Channel,
        #[arg(long = "lang", value_name = "LANG")]
        language: Language,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Print what would go out: the tenant's text for a sample debtor, or for one of its debts
    /// with --debt (for SMS the encoding and segment count; for e-mail the subject and text
    /// part).
    Preview {
        name: String,
        #[arg(long)]
        channel: Channel,
        #[arg(long = "lang", value_name = "LANG")]
        language: Language,
        /// The external id of one of the tenant's debts.
        #[arg(long, value_name = "EXTERNAL_ID")]
        debt: Option<String>,
        /// Render this text (a draft) instead of the saved one; checked as on save.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The draft's subject.
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
    },
}

fn read(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// A refusal as `FILE:LINE:COLUMN: message` (the place in the part at fault: the file for the
/// body and the HTML, `--subject` for the subject).
fn refusal(refusal: &Refusal, body: Option<&Path>, html: Option<&Path>) -> anyhow::Error {
    let problem = refusal.problem();
    let detail = problem.detail.as_deref().unwrap_or(&problem.title);
    let place = match problem.field.as_deref() {
        Some("body") => body.map(|p| p.display().to_string()),
        Some("html") => html.map(|p| p.display().to_string()),
        Some("subject") => Some("--subject".to_string()),
        _ => None,
    };
    match (place, refusal.position()) {
        (Some(place), Some((line, column))) => {
            // The detail repeats the place (`body, line 2, column 7: …`): keep its message.
            let message = detail.split_once(": ").map_or(detail, |(_, m)| m);
            anyhow::anyhow!("{place}:{line}:{column}: {message}")
        }
        (Some(place), None) => anyhow::anyhow!("{place}: {detail}"),
        (None, _) => anyhow::anyhow!("{detail}"),
    }
}

fn problem(p: recaudo_web::Problem) -> anyhow::Error {
    anyhow::anyhow!("{}", p.detail.unwrap_or(p.title))
}

pub async fn run(command: TemplateCommand, config: &Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match command {
        TemplateCommand::List { tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            for view in list_views(&ts).await.map_err(problem)? {
                println!(
                    "{}",
                    serde_json::json!({
                        "name": view.name,
                        "channel": view.channel,
                        "language": view.language,
                        "overridden": view.overridden,
                        "version": view.version,
                    })
                );
            }
            Ok(())
        }
        TemplateCommand::Set {
            name,
            channel,
            language,
            file,
            subject,
            html,
            tenant,
        } => {
            in_catalogue(&name, channel.as_str(), language.as_str()).map_err(problem)?;
            let text = TemplateText {
                subject,
                body: read(&file)?,
                html: html.as_deref().map(read).transpose()?,
            };
            let o = text.into_override(&name, channel, language);
            // Checked before the database is opened: a refusal needs none.
            validate_override(&o).map_err(|e| {
                refusal(
                    &recaudo_web::api::templates::refused(&e),
                    Some(&file),
                    html.as_deref(),
                )
            })?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let view = save(&ts, o, now)
                .await
                .map_err(|r| refusal(&r, Some(&file), html.as_deref()))?;
            println!("{}", serde_json::to_string(&view)?);
            Ok(())
        }
        TemplateCommand::Reset {
            name,
            channel,
            language,
            tenant,
        } => {
            in_catalogue(&name, channel.as_str(), language.as_str()).map_err(problem)?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let removed = ts
                .delete_message_template(&name, channel.as_str(), language.as_str())
                .await?;
            println!(
                "{}",
                serde_json::json!({"name": name, "channel": channel, "language": language, "reset": removed})
            );
            if !removed {
                eprintln!("the tenant had no text of its own: the default already applied");
            }
            Ok(())
        }
        TemplateCommand::Preview {
            name,
            channel,
            language,
            debt,
            file,
            subject,
            tenant,
        } => {
            in_catalogue(&name, channel.as_str(), language.as_str()).map_err(problem)?;
            let draft = match &file {
                Some(file) => Some(TemplateText {
                    subject,
                    body: read(file)?,
                    html: None,
                }),
                None if subject.is_some() => anyhow::bail!("--subject goes with --file"),
                None => None,
            };
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let base = config
                .dispatch
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.server.addr));
            let shown = preview(
                &ts,
                PreviewRequest {
                    name: &name,
                    channel,
                    language,
                    draft,
                    debt: debt.as_deref(),
                    base_url: &base,
                    now,
                },
            )
            .await
            .map_err(|r| refusal(&r, file.as_deref(), None))?;
            print!("{}", describe(&shown.content));
            Ok(())
        }
    }
}

/// What would go out, for a reader.
pub fn describe(content: &Content) -> String {
    match content {
        Content::Email(email) => {
            format!("Subject: {}\n\n{}\n", email.subject, email.text.trim_end())
        }
        Content::Sms(sms) => {
            let encoding = match sms.encoding {
                recaudo_channels::SmsEncoding::Gsm7 => "GSM-7",
                recaudo_channels::SmsEncoding::Ucs2 => "UCS-2",
            };
            let segments = if sms.segments == 1 {
                "1 segment".to_string()
            } else {
                format!("{} segments", sms.segments)
            };
            format!(
                "SMS, {encoding}, {segments} ({} characters)\n\n{}\n",
                sms.body.chars().count(),
                sms.body
            )
        }
        Content::Whatsapp(wa) => {
            let mut out = format!("WhatsApp template {} ({})\n", wa.template, wa.language_code);
            for (i, p) in wa.parameters.iter().enumerate() {
                out.push_str(&format!("  {{{{{}}}}} = {p}\n", i + 1));
            }
            if let Some(suffix) = &wa.button_url_suffix {
                out.push_str(&format!("  button URL suffix = {suffix}\n"));
            }
            out.push_str(&format!("\n{}\n", wa.preview.trim_end()));
            out
        }
        Content::Voice(voice) => format!(
            "Call, spoken in {}\n\n{}\n\n{}\n",
            voice.say_language,
            voice.script.trim_end(),
            voice.menu.trim_end()
        ),
        Content::Letter(letter) => format!(
            "{}\n\n{}\n\n{}\n\n{}\n",
            letter.sender.join("\n"),
            letter.date_line,
            letter.subject,
            letter.body.trim_end()
        ),
    }
}
