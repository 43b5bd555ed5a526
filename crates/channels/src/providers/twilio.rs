//! What Twilio's SMS and voice providers share: the REST client (basic auth, form bodies, the
//! error JSON `{"code": 21211, "message": …, "status": 400}`), the request signature
//! `X-Twilio-Signature`, form webhooks and TwiML text.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use recaudo_domain::clock::{Clock, SystemClock};
use recaudo_domain::{Currency, Money, Secret};

use super::http::{clip, retry_after, transport_error, validate_http_url};
use crate::signature::{constant_time_eq, hmac_sha1};
use crate::{ConfigError, SendError, WebhookError, WebhookRequest};

/// Twilio's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// The header Twilio signs its webhooks with.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

pub(crate) fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// Whether `text` is `prefix` followed by 32 hex digits, as Twilio's SIDs are (`AC…`, `MG…`).
pub(crate) fn is_sid(text: &str, prefix: &str) -> bool {
    text.len() == 34
        && text.starts_with(prefix)
        && text[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `text` is an E.164 number: `+`, then 7 to 15 digits, the first not 0.
pub(crate) fn is_e164(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Checks what every Twilio account configuration has.
pub(crate) fn validate_account(
    account_sid: &str,
    auth_token: &Secret<String>,
    base_url: &str,
) -> Result<(), ConfigError> {
    if account_sid.is_empty() {
        return Err(ConfigError::missing("account_sid"));
    }
    if !is_sid(account_sid, "AC") {
        return Err(ConfigError::new(
            "account_sid",
            "must be AC followed by 32 hex digits",
        ));
    }
    if auth_token.expose_secret().trim().is_empty() {
        return Err(ConfigError::missing("auth_token"));
    }
    validate_http_url("base_url", base_url)
}

/// Twilio's REST API for one account.
#[derive(Clone)]
pub(crate) struct Client {
    pub http: reqwest::Client,
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: Secret<String>,
}

/// What Twilio answers when it creates a message or a call (the fields we read).
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    pub sid: String,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub price_unit: Option<String>,
}

impl Created {
    /// The price Twilio reports, when it reports one already (usually only later). Twilio writes
    /// charges as negative amounts (`"-0.0075"`); the cost is their absolute value.
    pub fn cost(&self) -> Option<Money> {
        let price = self.price.as_deref()?.trim();
        let amount = Decimal::from_str_exact(price).ok()?;
        let currency = self.price_unit.as_deref()?.parse::<Currency>().ok()?;
        Some(Money::new(amount.abs(), currency))
    }
}

/// Twilio's error answer.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<u64>,
    message: Option<String>,
}

impl Client {
    /// POSTs `form` to `/2010-04-01/Accounts/{sid}/{resource}.json` and reads the created
    /// resource. `bad_address_codes` are the Twilio error codes that blame the recipient.
    pub async fn create(
        &self,
        resource: &str,
        form: &[(&str, &str)],
        idempotency_key: &str,
        bad_address_codes: &[u64],
    ) -> Result<Created, SendError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{resource}.json",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        );
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| SendError::permanent("encoding", e.to_string()))?;
        let response = self
            .http
            .post(&url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .header("Idempotency-Key", idempotency_key)
            .body(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| SendError::retryable(format!("reading Twilio's answer: {e}")))?;
        if status.is_success() {
            return serde_json::from_str::<Created>(&text).map_err(|_| {
                SendError::retryable(format!(
                    "Twilio answered {status} with a body that does not parse: {}",
                    clip(&text)
                ))
            });
        }
        Err(error_for(
            status.as_u16(),
            retry_after,
            &text,
            bad_address_codes,
        ))
    }
}

/// Maps a Twilio error answer: 429 and 5xx are worth another try (after `Retry-After`), other
/// 4xx are permanent with Twilio's code, those in `bad_address_codes` blaming the address.
pub(crate) fn error_for(
    status: u16,
    retry_after: Option<Duration>,
    text: &str,
    bad_address_codes: &[u64],
) -> SendError {
    let parsed = serde_json::from_str::<TwilioError>(text).ok();
    let message = parsed
        .as_ref()
        .and_then(|e| e.message.clone())
        .unwrap_or_else(|| clip(text));
    if status == 429 || status >= 500 {
        return SendError::Retryable {
            message: format!("Twilio answered {status}: {message}"),
            retry_after,
        };
    }
    match parsed.and_then(|e| e.code) {
        Some(code) if bad_address_codes.contains(&code) => {
            SendError::bad_address(code.to_string(), message)
        }
        Some(code) => SendError::permanent(code.to_string(), message),
        // A 4xx without Twilio's error JSON comes from something in between (a proxy, a
        // gateway timeout): not Twilio's judgement on the message, so worth another try.
        None => SendError::Retryable {
            message: format!("Twilio answered {status} with a body that does not parse: {message}"),
            retry_after,
        },
    }
}

/// `X-Twilio-Signature` of a request to `url` with POST `params`: base64 of HMAC-SHA1 under the
/// auth token of the URL followed by each parameter's name and value, sorted by name.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = String::with_capacity(url.len() + 64 * sorted.len());
    data.push_str(url);
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    STANDARD.encode(hmac_sha1(auth_token.as_bytes(), data.as_bytes()))
}

/// A form webhook's parameters in the order sent.
#[derive(Debug, Clone)]
pub(crate) struct Form {
    fields: Vec<(String, String)>,
    /// When the request reached us (Twilio's forms carry no time of their own).
    at: DateTime<Utc>,
}

impl Form {
    /// Reads a request's POST parameters (none for a GET).
    pub fn of(request: &WebhookRequest) -> Result<Form, WebhookError> {
        let at = received_at(request);
        if request.method.eq_ignore_ascii_case("GET") || request.body.is_empty() {
            return Ok(Form { fields: vec![], at });
        }
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body)
            .map(|fields| Form { fields, at })
            .map_err(|e| WebhookError::Malformed(format!("the form body does not parse: {e}")))
    }

    /// When its events happened: when it reached us.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// A parameter the webhook cannot be read without.
    pub fn require(&self, name: &str) -> Result<&str, WebhookError> {
        self.get(name)
            .ok_or_else(|| WebhookError::Malformed(format!("{name} is missing")))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// Checks `X-Twilio-Signature` over the URL Twilio called and the POST parameters. Twilio signs
/// the URL as configured; behind a proxy the port may appear or vanish, so the URL without an
/// explicit default port is accepted too.
pub(crate) fn verify(
    auth_token: &Secret<String>,
    request: &WebhookRequest,
) -> Result<(), WebhookError> {
    let given = request
        .header(SIGNATURE_HEADER)
        .map(str::trim)
        .filter(|given| !given.is_empty())
        .ok_or_else(|| WebhookError::Unsigned(SIGNATURE_HEADER.into()))?;
    let given = STANDARD
        .decode(given)
        .map_err(|_| WebhookError::Forged(format!("{SIGNATURE_HEADER} is not base64")))?;
    let form = Form::of(request)?;
    let token = auth_token.expose_secret();
    let mut urls = vec![request.url.clone()];
    if let Some(without_port) = without_default_port(&request.url) {
        urls.push(without_port);
    }
    let matches = urls.iter().any(|url| {
        let expected = STANDARD
            .decode(signature(token, url, form.pairs()))
            .unwrap_or_default();
        constant_time_eq(&expected, &given)
    });
    if matches {
        Ok(())
    } else {
        Err(WebhookError::Forged(SIGNATURE_HEADER.into()))
    }
}

/// `https://host:443/path` → `https://host/path` (and `:80` for http), or `None`.
fn without_default_port(url: &str) -> Option<String> {
    let (scheme, port) = if url.starts_with("https://") {
        ("https://", ":443")
    } else if url.starts_with("http://") {
        ("http://", ":80")
    } else {
        return None;
    };
    let rest = &url[scheme.len()..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest[..authority_end].strip_suffix(port)?;
    Some(format!("{scheme}{authority}{}", &rest[authority_end..]))
}

/// When a callback that carries no time of its own happened: when it reached us.
pub(crate) fn received_at(request: &WebhookRequest) -> DateTime<Utc> {
    request.received_at.unwrap_or_else(|| SystemClock.now())
}

/// Escapes text for an XML element or attribute.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A TwiML document with nothing to do: what a status callback or an inbound SMS that needs no
/// answer gets.
pub(crate) fn empty_twiml() -> crate::WebhookReply {
    twiml_reply("<Response></Response>".into())
}

pub(crate) fn twiml_reply(response: String) -> crate::WebhookReply {
    crate::WebhookReply {
        content_type: Some("text/xml".into()),
        body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{response}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_twilios_documented_example() {
        // From Twilio's "Webhooks security" page: auth token 12345, this URL and these params.
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        let mut reversed = params.to_vec();
        reversed.reverse();
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &reversed
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
            "the order sent does not matter"
        );
    }

    #[test]
    fn a_default_port_can_be_left_out() {
        assert_eq!(
            without_default_port("https://a.example:443/t/x?y=1").as_deref(),
            Some("https://a.example/t/x?y=1")
        );
        assert_eq!(
            without_default_port("http://a.example:80").as_deref(),
            Some("http://a.example")
        );
        assert_eq!(without_default_port("https://a.example:8443/t"), None);
        assert_eq!(without_default_port("https://a.example/t"), None);
    }

    #[test]
    fn prices_are_recorded_as_positive_costs() {
        let created = Created {
            sid: "SM1".into(),
            price: Some("-0.0075".into()),
            price_unit: Some("USD".into()),
        };
        assert_eq!(
            created.cost(),
            Some(Money::new(Decimal::new(75, 4), Currency::Usd))
        );
        let unknown = Created {
            sid: "SM1".into(),
            price: Some("-0.0075".into()),
            price_unit: Some("GBP".into()),
        };
        assert_eq!(unknown.cost(), None);
        let none = Created {
            sid: "SM1".into(),
            price: None,
            price_unit: Some("USD".into()),
        };
        assert_eq!(none.cost(), None);
    }

    #[test]
    fn errors_map_by_status_and_code() {
        let bad = error_for(
            400,
            None,
            r#"{"code":21211,"message":"The 'To' number is not valid.","status":400}"#,
            &[21211],
        );
        assert_eq!(
            bad,
            SendError::bad_address("21211", "The 'To' number is not valid.")
        );
        assert_eq!(
            error_for(
                401,
                None,
                r#"{"code":20003,"message":"Authenticate","status":401}"#,
                &[21211]
            ),
            SendError::permanent("20003", "Authenticate")
        );
        assert_eq!(
            error_for(
                429,
                Some(Duration::from_secs(7)),
                r#"{"code":20429,"message":"Too Many Requests","status":429}"#,
                &[]
            ),
            SendError::Retryable {
                message: "Twilio answered 429: Too Many Requests".into(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(error_for(503, None, "<html>down</html>", &[]).is_retryable());
        assert!(error_for(400, None, "<html>bad gateway thing</html>", &[]).is_retryable());
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(
            xml_escape("R$ 10 <a & b> \"c\" 'd'\u{1}"),
            "R$ 10 &lt;a &amp; b&gt; &quot;c&quot; &apos;d&apos;"
        );
    }

    #[test]
    fn sids_and_numbers_are_checked() {
        assert!(is_sid("AC0123456789abcdef0123456789abcdef", "AC"));
        assert!(!is_sid("AC0123456789abcdef0123456789abcdeg", "AC"));
        assert!(!is_sid("MG0123456789abcdef0123456789abcdef", "AC"));
        assert!(!is_sid("AC", "AC"));
        assert!(is_e164("+573001234567"));
        assert!(!is_e164("573001234567"));
        assert!(!is_e164("+0573001234"));
        assert!(!is_e164("+57 300"));
    }
}
