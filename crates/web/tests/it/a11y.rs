//! Accessibility checks run inside a page ([`crate::cdp::Page`]): labels and names, focus order
//! by real Tab presses, text contrast (WCAG 2.x) and tap target size. Each returns findings; a
//! test asserts there are none (`assert!(f.is_empty(), "{}", report(&f))`).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::cdp::{CdpError, DESCRIBE_JS, FocusedElement, Page, Result};

/// The smallest tap target, in CSS px each way (WCAG 2.5.5, Apple's and Android's guides).
pub const TAP_TARGET: f64 = 44.0;

/// One problem a check found.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Finding {
    /// `label`, `name`, `alt`, `lang`, `focus`, `contrast` or `tap-target`.
    pub check: String,
    /// A CSS path to the element (`html` for the page).
    pub selector: String,
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.check, self.selector, self.detail)
    }
}

/// The findings one per line, for an assertion's message.
pub fn report(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {f}\n"))
        .collect::<String>()
}

async fn findings(page: &Page, script: &str) -> Result<Vec<Finding>> {
    let js = format!("(() => {{ {DESCRIBE_JS}\n{VISIBLE_JS}\n{script} }})()");
    let value = page.eval(&js).await?;
    serde_json::from_value(value.clone()).map_err(|_| CdpError::Answer {
        method: "an accessibility check".into(),
        answer: value.to_string(),
    })
}

/// `visible(el)`: rendered and not hidden (what a sighted user or a screen reader meets).
const VISIBLE_JS: &str = r##"
function visible(el) {
  if (!el.getClientRects().length) return false;
  const cs = getComputedStyle(el);
  return cs.visibility !== "hidden" && cs.display !== "none";
}
function textOf(ids) {
  return (ids || "").split(/\s+/).filter(Boolean)
    .map(id => { const n = document.getElementById(id); return n ? n.textContent : ""; })
    .join(" ").trim();
}
"##;

/// Every visible field (not hidden or a button) has a label (`<label for>`, a wrapping label,
/// `aria-label` or `aria-labelledby` with text); every button and link has an accessible name;
/// every image has `alt` (empty for decoration); `<html lang>` is set.
pub async fn labels(page: &Page) -> Result<Vec<Finding>> {
    findings(
        page,
        r##"
  const out = [];
  const lang = (document.documentElement.getAttribute("lang") || "").trim();
  if (!lang) out.push({ check: "lang", selector: "html", detail: "<html> has no lang" });
  const buttonTypes = ["hidden", "submit", "button", "reset", "image"];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (el.tagName === "INPUT" && buttonTypes.includes(type)) continue;
    if (!visible(el)) continue;
    const byLabel = el.labels && Array.from(el.labels).some(l => l.textContent.trim() !== "");
    const byAria = (el.getAttribute("aria-label") || "").trim() !== ""
      || textOf(el.getAttribute("aria-labelledby")) !== "";
    if (!byLabel && !byAria)
      out.push({ check: "label", selector: cssPath(el), detail: "the " + el.tagName.toLowerCase()
        + (type ? " (" + type + ")" : "") + " has no label" });
  }
  const named = 'button, a[href], [role="button"], [role="link"], input[type="submit"], input[type="button"], input[type="reset"], input[type="image"]';
  for (const el of document.querySelectorAll(named)) {
    if (!visible(el)) continue;
    const type = (el.getAttribute("type") || "").toLowerCase();
    const images = Array.from(el.querySelectorAll("img[alt]")).map(i => i.alt).join(" ");
    const name = [
      el.getAttribute("aria-label") || "",
      textOf(el.getAttribute("aria-labelledby")),
      el.tagName === "INPUT" ? (type === "image" ? el.getAttribute("alt") || "" : el.value || (type === "submit" || type === "reset" ? type : "")) : "",
      el.tagName === "INPUT" ? "" : el.innerText || "",
      images,
      el.getAttribute("title") || "",
    ].join(" ").trim();
    if (!name)
      out.push({ check: "name", selector: cssPath(el), detail: "the " + el.tagName.toLowerCase() + " has no accessible name" });
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt"))
      out.push({ check: "alt", selector: cssPath(el), detail: "the image has no alt (alt=\"\" for decoration)" });
  }
  return out;
"##,
    )
    .await
}

/// The WCAG 2.x contrast of every visible element with text of its own, against the first
/// opaque background up the tree (semi-transparent ones composited over it; white below all):
/// at least 4.5:1, or 3:1 for large text (≥ 24 px, or ≥ 18.66 px bold). Disabled controls are
/// exempt, as WCAG has it; text over a background image is not judged.
pub async fn contrast(page: &Page) -> Result<Vec<Finding>> {
    findings(
        page,
        r##"
  function parse(c) {
    let m = /^rgba?\(([^)]*)\)$/.exec(c);
    if (m) {
      const p = m[1].split(/[\s,\/]+/).filter(Boolean);
      const alpha = p.length > 3 ? (p[3].endsWith("%") ? parseFloat(p[3]) / 100 : parseFloat(p[3])) : 1;
      return { r: parseFloat(p[0]), g: parseFloat(p[1]), b: parseFloat(p[2]), a: alpha };
    }
    m = /^color\(srgb ([^)]*)\)$/.exec(c);
    if (m) {
      const p = m[1].split(/[\s\/]+/).filter(Boolean).map(parseFloat);
      return { r: p[0] * 255, g: p[1] * 255, b: p[2] * 255, a: p.length > 3 ? p[3] : 1 };
    }
    return null;
  }
  function over(top, bottom) {
    const a = top.a;
    return { r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a), b: top.b * a + bottom.b * (1 - a), a: 1 };
  }
  function luminance(c) {
    const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function hex(c) {
    return "#" + [c.r, c.g, c.b].map(v => Math.round(v).toString(16).padStart(2, "0")).join("");
  }
  const out = [];
  const skip = ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION", "TITLE", "HEAD"];
  for (const el of document.querySelectorAll("body, body *")) {
    if (skip.includes(el.tagName) || !visible(el) || el.disabled) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own) continue;
    const cs = getComputedStyle(el);
    const color = parse(cs.color);
    if (!color) { out.push({ check: "contrast", selector: cssPath(el), detail: "unreadable colour " + cs.color }); continue; }
    const layers = [];
    let image = false;
    for (let n = el; n; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage && s.backgroundImage !== "none") { image = true; break; }
      const bg = parse(s.backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    if (image) continue;
    let background = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) background = over(layers[i], background);
    const fg = color.a < 1 ? over(color, background) : color;
    const [l1, l2] = [luminance(fg), luminance(background)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(cs.fontSize);
    const bold = parseInt(cs.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    if (ratio < need)
      out.push({ check: "contrast", selector: cssPath(el), detail: hex(fg) + " on " + hex(background)
        + " is " + ratio.toFixed(2) + ":1, needs " + need + ":1 (" + size + "px" + (bold ? " bold" : "") + ")" });
  }
  return out;
"##,
    )
    .await
}

/// Buttons and links in forms are at least [`TAP_TARGET`] CSS px wide and high.
pub async fn tap_targets(page: &Page) -> Result<Vec<Finding>> {
    findings(
        page,
        &format!(
            r##"
  const out = [];
  const min = {TAP_TARGET};
  const targets = 'form button, form a[href], form input[type="submit"], form input[type="button"], form input[type="reset"], form input[type="image"]';
  for (const el of document.querySelectorAll(targets)) {{
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < min || r.height < min)
      out.push({{ check: "tap-target", selector: cssPath(el), detail: Math.round(r.width) + "×" + Math.round(r.height)
        + " px, needs " + min + "×" + min }});
  }}
  return out;
"##
        ),
    )
    .await
}

/// The focus order as Tab presses found it.
#[derive(Debug, Clone)]
pub struct FocusOrder {
    /// The elements in the order Tab reached them (the page's end excluded).
    pub reached: Vec<FocusedElement>,
    /// Positive `tabindex`, a focusable element never reached or reached twice, an element
    /// reached out of document order.
    pub findings: Vec<Finding>,
}

impl FocusOrder {
    /// Where in the order the first element `is` accepts was reached.
    pub fn position(&self, is: impl Fn(&FocusedElement) -> bool) -> Option<usize> {
        self.reached.iter().position(is)
    }
}

/// Tabs through the page from its top and compares what got the focus with the visible,
/// enabled, focusable elements in document order. Tabbing starts from a point at the top of
/// the body (as after a click there), whatever had the focus before; from there Chromium skips
/// elements with a positive `tabindex`, which are reported both as such and as never reached.
pub async fn focus_order(page: &Page) -> Result<FocusOrder> {
    let expected = page
        .eval(&format!(
            r##"(() => {{ {DESCRIBE_JS}
{VISIBLE_JS}
  const focusable = 'a[href], area[href], button, input:not([type="hidden"]), select, textarea, iframe, summary, [tabindex], [contenteditable=""], [contenteditable="true"]';
  const all = Array.from(document.querySelectorAll(focusable))
    .filter(el => !el.disabled && el.tabIndex >= 0 && visible(el) && !el.closest("[inert]"));
  const positive = Array.from(document.querySelectorAll("[tabindex]"))
    .filter(el => el.tabIndex > 0).map(cssPath);
  // Tab starts from a focus point at the top of the body that Tab itself never visits.
  const start = document.createElement("span");
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
  start.remove();
  return {{ expected: all.map(cssPath), positive }};
}})()"##
        ))
        .await?;
    let list = |field: &str| -> Vec<String> {
        expected[field]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (wanted, positive) = (list("expected"), list("positive"));
    let mut findings: Vec<Finding> = positive
        .iter()
        .map(|selector| Finding {
            check: "focus".into(),
            selector: selector.clone(),
            detail: "a positive tabindex reorders the focus".into(),
        })
        .collect();
    let mut reached: Vec<FocusedElement> = Vec::new();
    // A date input takes one Tab per part (day, month, year): a few presses per element.
    for _ in 0..wanted.len() * 4 + 4 {
        let focused = page.press_tab().await?;
        if focused.tag == "body" || focused.tag == "html" {
            break;
        }
        if reached
            .last()
            .is_some_and(|r| r.selector == focused.selector)
        {
            continue;
        }
        if reached.iter().any(|r| r.selector == focused.selector) {
            // Back to the start: the page's end was passed without leaving it.
            break;
        }
        reached.push(focused);
    }
    let mut last: Option<(usize, &str)> = None;
    for element in &reached {
        match wanted.iter().position(|w| *w == element.selector) {
            None => findings.push(Finding {
                check: "focus".into(),
                selector: element.selector.clone(),
                detail: "takes the focus but is not a visible focusable element".into(),
            }),
            Some(at) => {
                if let Some((before, previous)) = last
                    && at < before
                {
                    findings.push(Finding {
                        check: "focus".into(),
                        selector: element.selector.clone(),
                        detail: format!(
                            "is reached after {previous} but comes before it in the page"
                        ),
                    });
                }
                last = Some((at, element.selector.as_str()));
            }
        }
    }
    for selector in &wanted {
        if !reached.iter().any(|r| r.selector == *selector) {
            findings.push(Finding {
                check: "focus".into(),
                selector: selector.clone(),
                detail: "is never reached with Tab".into(),
            });
        }
    }
    Ok(FocusOrder { reached, findings })
}

/// All four checks: labels, focus order, contrast and tap targets.
pub async fn audit(page: &Page) -> Result<Vec<Finding>> {
    let mut all = labels(page).await?;
    all.extend(focus_order(page).await?.findings);
    all.extend(contrast(page).await?);
    all.extend(tap_targets(page).await?);
    Ok(all)
}
