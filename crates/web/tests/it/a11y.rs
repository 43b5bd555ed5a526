//! Accessibility checks run inside a page ([`crate::cdp::Page`]): labels and names, focus order
//! by real Tab presses, text contrast (WCAG 2.x), tap target size and reflow to the phone's
//! width. Each returns findings; a test asserts there are none
//! (`assert!(f.is_empty(), "{}", report(&f))`).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::cdp::{CdpError, DESCRIBE_JS, FocusedElement, Page, Result};

/// The smallest tap target, in CSS px each way (WCAG 2.5.5, Apple's and Android's guides).
pub const TAP_TARGET: f64 = 44.0;

/// One problem a check found.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Finding {
    /// `label`, `name`, `alt`, `lang`, `focus`, `contrast`, `tap-target` or `reflow`.
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

/// A colour as CSS computes it, 0–255 per channel, alpha 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    pub r: f64,
    pub g: f64,
    pub b: f64,
    pub a: f64,
}

impl Rgba {
    pub const WHITE: Rgba = Rgba {
        r: 255.0,
        g: 255.0,
        b: 255.0,
        a: 1.0,
    };

    /// Parses a computed colour: `rgb(r, g, b)`, `rgba(r, g, b, a)` (commas or spaces, `/`
    /// before alpha, alpha as a number or a percentage) or `color(srgb r g b [/ a])`.
    pub fn parse(css: &str) -> Option<Rgba> {
        let css = css.trim();
        let (body, scale) = if let Some(rest) = css
            .strip_prefix("rgba(")
            .or_else(|| css.strip_prefix("rgb("))
        {
            (rest.strip_suffix(')')?, 1.0)
        } else {
            (css.strip_prefix("color(srgb ")?.strip_suffix(')')?, 255.0)
        };
        let parts: Vec<&str> = body
            .split(|c: char| c == ',' || c == '/' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() != 3 && parts.len() != 4 {
            return None;
        }
        let number = |p: &str| p.parse::<f64>().ok().filter(|v| v.is_finite());
        let channel = |p: &str| number(p).map(|v| (v * scale).clamp(0.0, 255.0));
        let a = match parts.get(3) {
            None => 1.0,
            Some(p) => match p.strip_suffix('%') {
                Some(percent) => number(percent)? / 100.0,
                None => number(p)?,
            }
            .clamp(0.0, 1.0),
        };
        Some(Rgba {
            r: channel(parts[0])?,
            g: channel(parts[1])?,
            b: channel(parts[2])?,
            a,
        })
    }

    /// This colour painted over `below` (which is opaque).
    pub fn over(self, below: Rgba) -> Rgba {
        let mix = |top: f64, bottom: f64| top * self.a + bottom * (1.0 - self.a);
        Rgba {
            r: mix(self.r, below.r),
            g: mix(self.g, below.g),
            b: mix(self.b, below.b),
            a: 1.0,
        }
    }

    /// WCAG 2.x relative luminance.
    pub fn luminance(self) -> f64 {
        let linear = |v: f64| {
            let v = v / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    pub fn hex(self) -> String {
        let byte = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            byte(self.r),
            byte(self.g),
            byte(self.b)
        )
    }
}

/// The WCAG 2.x contrast ratio of two opaque colours, from 1 to 21.
pub fn contrast_ratio(one: Rgba, other: Rgba) -> f64 {
    let (a, b) = (one.luminance(), other.luminance());
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The least contrast text needs: 3:1 when large (≥ 24 px, or ≥ 18.66 px bold), else 4.5:1.
pub fn required_ratio(font_px: f64, weight: u32) -> f64 {
    if font_px >= 24.0 || (weight >= 700 && font_px >= 18.66) {
        3.0
    } else {
        4.5
    }
}

/// What the page says about one element with text of its own.
#[derive(Debug, Deserialize)]
struct TextStyle {
    selector: String,
    color: String,
    /// Background colours from the element up to the first opaque one.
    backgrounds: Vec<String>,
    size: f64,
    weight: u32,
}

/// The WCAG 2.x contrast of every visible element with text of its own, against the first
/// opaque background up the tree (semi-transparent ones composited over it; white below all):
/// at least 4.5:1, or 3:1 for large text (≥ 24 px, or ≥ 18.66 px bold). Disabled controls are
/// exempt, as WCAG has it; text over a background image is not judged.
pub async fn contrast(page: &Page) -> Result<Vec<Finding>> {
    let js = format!(
        r##"(() => {{ {DESCRIBE_JS}
{VISIBLE_JS}
  const out = [];
  const skip = ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION", "TITLE", "HEAD"];
  for (const el of document.querySelectorAll("body, body *")) {{
    if (skip.includes(el.tagName) || !visible(el) || el.disabled) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own) continue;
    const cs = getComputedStyle(el);
    const backgrounds = [];
    let image = false;
    for (let n = el; n; n = n.parentElement) {{
      const s = getComputedStyle(n);
      if (s.backgroundImage && s.backgroundImage !== "none") {{ image = true; break; }}
      backgrounds.push(s.backgroundColor);
      if (/^rgb\(/.test(s.backgroundColor)) break;
    }}
    if (image) continue;
    out.push({{ selector: cssPath(el), color: cs.color, backgrounds,
      size: parseFloat(cs.fontSize), weight: parseInt(cs.fontWeight, 10) || 400 }});
  }}
  return out;
}})()"##
    );
    let value = page.eval(&js).await?;
    let styles: Vec<TextStyle> =
        serde_json::from_value(value.clone()).map_err(|_| CdpError::Answer {
            method: "the contrast check".into(),
            answer: value.to_string(),
        })?;
    let mut findings = Vec::new();
    for style in styles {
        let unreadable = |css: &str| Finding {
            check: "contrast".into(),
            selector: style.selector.clone(),
            detail: format!("unreadable colour {css}"),
        };
        let Some(color) = Rgba::parse(&style.color) else {
            findings.push(unreadable(&style.color));
            continue;
        };
        let mut background = Rgba::WHITE;
        let mut layers = Vec::new();
        for css in &style.backgrounds {
            match Rgba::parse(css) {
                Some(layer) => layers.push(layer),
                None => findings.push(unreadable(css)),
            }
        }
        for layer in layers.iter().rev() {
            background = layer.over(background);
        }
        let text = color.over(background);
        let ratio = contrast_ratio(text, background);
        let need = required_ratio(style.size, style.weight);
        if ratio < need {
            findings.push(Finding {
                check: "contrast".into(),
                selector: style.selector,
                detail: format!(
                    "{} on {} is {ratio:.2}:1, needs {need}:1 ({} px, weight {})",
                    text.hex(),
                    background.hex(),
                    style.size,
                    style.weight
                ),
            });
        }
    }
    Ok(findings)
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

/// The page fits the phone's width (WCAG 1.4.10, reflow): laid out at the screen's width (a
/// page without `<meta name="viewport">` is laid out at 980 px and shrunk), and nothing makes
/// it scroll sideways (the widest offenders are named).
pub async fn reflow(page: &Page) -> Result<Vec<Finding>> {
    findings(
        page,
        r##"
  const out = [];
  // The layout viewport: a phone zooms out to show a too-wide page, so innerWidth grows with it.
  const width = document.documentElement.clientWidth;
  if (width > screen.width)
    out.push({ check: "reflow", selector: "html", detail: "laid out " + width + " px wide on a "
      + screen.width + " px screen (a viewport meta tag is missing?)" });
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) {
    const wide = Array.from(document.querySelectorAll("body *"))
      .filter(el => visible(el) && el.getBoundingClientRect().right > width + 0.5)
      .filter(el => !Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 0.5))
      .slice(0, 5);
    for (const el of wide)
      out.push({ check: "reflow", selector: cssPath(el), detail: "reaches " + Math.round(el.getBoundingClientRect().right)
        + " px: the page scrolls sideways (" + scroll + " px wide, the screen " + width + " px)" });
    if (!wide.length)
      out.push({ check: "reflow", selector: "html", detail: "the page scrolls sideways (" + scroll + " px wide, the screen " + width + " px)" });
  }
  return out;
"##,
    )
    .await
}

/// The focus order as Tab presses found it.
#[derive(Debug, Clone)]
pub struct FocusOrder {
    /// The elements in the order Tab reached them (the page's end excluded).
    pub reached: Vec<FocusedElement>,
    /// Positive `tabindex`, a focusable element never reached or reached twice, an element
    /// reached out of document order, an element that looks the same with the focus (WCAG
    /// 2.4.7).
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
  // A radio group is one Tab stop (its checked radio, or its first when none is): the
  // arrow keys move within it.
  const radioStop = el => {{
    if (el.type !== "radio" || !el.name) return true;
    const group = Array.from((el.form || document).querySelectorAll('input[type="radio"]'))
      .filter(r => r.name === el.name && r.form === el.form && !r.disabled && visible(r));
    const checked = group.find(r => r.checked);
    return el === (checked || group[0]);
  }};
  const focusable = 'a[href], area[href], button, input:not([type="hidden"]), select, textarea, iframe, summary, [tabindex], [contenteditable=""], [contenteditable="true"]';
  const all = Array.from(document.querySelectorAll(focusable))
    .filter(el => !el.disabled && el.tabIndex >= 0 && visible(el) && !el.closest("[inert]"))
    .filter(radioStop);
  const positive = Array.from(document.querySelectorAll("[tabindex]"))
    .filter(el => el.tabIndex > 0).map(cssPath);
  // Tab starts from a focus point at the top of the body that Tab itself never visits.
  const start = document.createElement("span");
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
  start.remove();
  // How each element looks without the focus, to tell whether the focus shows.
  const look = el => {{
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
      s.color, s.borderTopColor, s.borderBottomColor, s.borderBottomWidth, s.textDecorationLine].join("|");
  }};
  window.__a11yFocus = {{ all, look, before: all.map(look) }};
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
        let shows = page
            .eval(
                "(() => { const f = window.__a11yFocus, el = document.activeElement,                  i = f.all.indexOf(el); return i < 0 || f.look(el) !== f.before[i]; })()",
            )
            .await?;
        if shows == Value::Bool(false) {
            findings.push(Finding {
                check: "focus".into(),
                selector: focused.selector.clone(),
                detail: "shows no sign of having the focus (outline, shadow, colours)".into(),
            });
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

/// All the checks: labels, focus order, contrast, tap targets and reflow.
pub async fn audit(page: &Page) -> Result<Vec<Finding>> {
    let mut all = labels(page).await?;
    all.extend(focus_order(page).await?.findings);
    all.extend(contrast(page).await?);
    all.extend(tap_targets(page).await?);
    all.extend(reflow(page).await?);
    Ok(all)
}

/// The colour arithmetic, without a browser.
mod arithmetic {
    use super::{Rgba, contrast_ratio, required_ratio};
    use proptest::prelude::*;

    fn rgb(r: f64, g: f64, b: f64) -> Rgba {
        Rgba { r, g, b, a: 1.0 }
    }

    #[test]
    fn computed_colours_parse() {
        assert_eq!(Rgba::parse("rgb(29, 35, 42)"), Some(rgb(29.0, 35.0, 42.0)));
        assert_eq!(
            Rgba::parse("rgba(0, 0, 0, 0)"),
            Some(Rgba {
                a: 0.0,
                ..rgb(0.0, 0.0, 0.0)
            })
        );
        assert_eq!(
            Rgba::parse("rgb(255 128 0 / 50%)"),
            Some(Rgba {
                a: 0.5,
                ..rgb(255.0, 128.0, 0.0)
            })
        );
        assert_eq!(
            Rgba::parse("color(srgb 1 0.5 0 / 0.25)"),
            Some(Rgba {
                a: 0.25,
                ..rgb(255.0, 127.5, 0.0)
            })
        );
        for bad in [
            "",
            "red",
            "rgb(1, 2)",
            "rgb(1, 2, 3, 4, 5)",
            "rgb(a, b, c)",
            "oklch(0.5 0.1 30)",
            "rgb(1, 2, 3",
        ] {
            assert_eq!(Rgba::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn wcag_reference_ratios() {
        let white = Rgba::WHITE;
        let black = rgb(0.0, 0.0, 0.0);
        assert!((contrast_ratio(black, white) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(white, white) - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey that passes 4.5:1 on white; #777777 fails.
        assert!(contrast_ratio(rgb(118.0, 118.0, 118.0), white) >= 4.5);
        assert!(contrast_ratio(rgb(119.0, 119.0, 119.0), white) < 4.5);
        // Half-transparent black on white is #808080.
        let half = Rgba { a: 0.5, ..black }.over(white);
        assert_eq!(half.hex(), "#808080");
        assert_eq!(required_ratio(16.0, 400), 4.5);
        assert_eq!(required_ratio(18.66, 700), 3.0);
        assert_eq!(required_ratio(18.66, 400), 4.5);
        assert_eq!(required_ratio(24.0, 400), 3.0);
    }

    proptest! {
        #[test]
        fn printed_colours_parse_back(r in 0u8.., g in 0u8.., b in 0u8.., alpha in 0u8..=100) {
            let a = f64::from(alpha) / 100.0;
            let want = Rgba { r: f64::from(r), g: f64::from(g), b: f64::from(b), a };
            prop_assert_eq!(Rgba::parse(&format!("rgba({r}, {g}, {b}, {a})")), Some(want));
            prop_assert_eq!(Rgba::parse(&format!("rgb({r} {g} {b} / {alpha}%)")), Some(want));
            prop_assert_eq!(Rgba::parse(&format!("rgb({r}, {g}, {b})")), Some(Rgba { a: 1.0, ..want }));
        }

        #[test]
        fn ratios_are_symmetric_and_bounded(a in any::<[u8; 3]>(), b in any::<[u8; 3]>()) {
            let one = rgb(a[0].into(), a[1].into(), a[2].into());
            let other = rgb(b[0].into(), b[1].into(), b[2].into());
            let ratio = contrast_ratio(one, other);
            prop_assert!((1.0..=21.0 + 1e-9).contains(&ratio));
            prop_assert!((ratio - contrast_ratio(other, one)).abs() < 1e-12);
        }

        #[test]
        fn compositing_stays_between_the_colours(top in any::<[u8; 3]>(), below in any::<[u8; 3]>(), alpha in 0.0f64..=1.0) {
            let layer = Rgba { r: top[0].into(), g: top[1].into(), b: top[2].into(), a: alpha };
            let base = rgb(below[0].into(), below[1].into(), below[2].into());
            let mixed = layer.over(base);
            for (m, t, b) in [(mixed.r, layer.r, base.r), (mixed.g, layer.g, base.g), (mixed.b, layer.b, base.b)] {
                prop_assert!(m >= t.min(b) - 1e-9 && m <= t.max(b) + 1e-9);
            }
            prop_assert_eq!(mixed.a, 1.0);
        }
    }
}
