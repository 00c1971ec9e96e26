//! The report as one self-contained HTML file: styles and the chart (inline SVG) inside it, nothing loaded
//! from anywhere. The coaching report's Markdown is rendered with raw HTML escaped, never passed through.

use super::Doc;
use crate::domain::Band;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn colour(b: Option<Band>) -> &'static str {
    match b {
        Some(Band::Strong) => "#1f8a5b",
        Some(Band::Mixed) => "#b7791f",
        Some(Band::Strained) => "#c53030",
        None => "#9ca3af",
    }
}

/// Markdown to inert HTML: links as their text and address ([`crate::util::inert_markdown`]), images as their
/// description, raw HTML shown as text; no link or image element is ever written.
fn markdown(md: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let md = crate::util::inert_markdown(md);
    let events = Parser::new(&md).filter_map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
        Event::Start(Tag::Link { .. } | Tag::Image { .. })
        | Event::End(TagEnd::Link | TagEnd::Image) => None,
        e => Some(e),
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// The page's policy: nothing is loaded or run, whatever is in it (styles and the chart are inline).
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// Horizontal bars, one per force, 0–100.
fn chart(forces: &[(String, Option<f64>, Option<Band>)]) -> String {
    let row = 34;
    let h = forces.len() * row + 24;
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"Force scores\" viewBox=\"0 0 640 {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for x in [0, 25, 50, 75, 100] {
        let px = 200 + x * 4;
        s.push_str(&format!(
            "<line x1=\"{px}\" y1=\"0\" x2=\"{px}\" y2=\"{}\" stroke=\"#e5e7eb\"/><text x=\"{px}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#6b7280\">{x}</text>",
            h - 18,
            h - 4
        ));
    }
    for (i, (name, score, band)) in forces.iter().enumerate() {
        let y = i * row + 6;
        s.push_str(&format!(
            "<text x=\"192\" y=\"{}\" font-size=\"13\" text-anchor=\"end\" fill=\"#1f2937\">{}</text>",
            y + 15,
            esc(name)
        ));
        match score {
            Some(v) => s.push_str(&format!(
                "<rect x=\"200\" y=\"{y}\" width=\"{:.1}\" height=\"20\" rx=\"4\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#1f2937\">{}</text>",
                v * 4.0,
                colour(*band),
                206.0 + v * 4.0,
                y + 15,
                crate::domain::Pts(*v)
            )),
            None => s.push_str(&format!(
                "<text x=\"206\" y=\"{}\" font-size=\"12\" fill=\"#6b7280\">not answered</text>",
                y + 15
            )),
        }
    }
    s.push_str("</svg>");
    s
}

pub(crate) fn render(d: &Doc) -> String {
    let mut b = String::new();
    b.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    b.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\"><meta name=\"referrer\" content=\"no-referrer\">"
    ));
    b.push_str(&format!(
        "<title>{} \u{2014} Compilar report</title>",
        esc(&d.title)
    ));
    b.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>\
         body{font-family:system-ui,-apple-system,'Segoe UI',Ubuntu,Arial,sans-serif;color:#1f2937;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
         h1{margin:0}h2{margin-top:2rem;border-bottom:1px solid #e5e7eb;padding-bottom:.25rem}\
         .sub{color:#6b7280;margin:.2rem 0}.score{font-size:3rem;font-weight:800;margin:.5rem 0 0}\
         .band{font-weight:700}.caution{background:#fff8e6;border:1px solid #f3dca0;border-radius:8px;padding:.5rem .8rem}\
         .coach{background:#f8f9fe;border-radius:8px;padding:.2rem 1rem}footer{color:#6b7280;font-size:.8rem;margin-top:3rem}\
         @media print{body{margin:0}h2{break-after:avoid}}</style></head><body>",
    );
    b.push_str(&format!("<h1>{}</h1>", esc(&d.title)));
    b.push_str(&format!("<p class=\"sub\">{}</p>", esc(&d.subtitle)));
    if let Some(a) = &d.about {
        b.push_str(&format!("<p class=\"sub\">{}</p>", esc(a)));
    }
    if let Some(c) = &d.caution {
        b.push_str(&format!("<p class=\"caution\">{}</p>", esc(c)));
    }
    b.push_str(&format!(
        "<p class=\"score\" style=\"color:{}\">{} <span style=\"font-size:1rem\">out of 100</span></p><p><span class=\"band\">{}</span> \u{b7} {}</p>",
        colour(Some(d.band)),
        crate::domain::Pts(d.score),
        esc(&d.band_label),
        esc(&d.confidence)
    ));
    b.push_str("<h2>Forces</h2>");
    b.push_str(&chart(&d.forces));
    for h in &d.highlights {
        b.push_str(&format!("<p>{}</p>", esc(h)));
    }
    b.push_str("<h2>What this means</h2><ul>");
    for i in &d.insights {
        b.push_str(&format!("<li>{}</li>", esc(i)));
    }
    b.push_str("</ul><h2>What to try next</h2><ol>");
    for (t, x) in &d.recommendations {
        b.push_str(&format!(
            "<li><strong>{}</strong><br>{}</li>",
            esc(t),
            esc(x)
        ));
    }
    b.push_str("</ol>");
    if let Some((by, md, sources)) = &d.coach {
        b.push_str(&format!(
            "<h2>Coaching report</h2><p class=\"sub\">{}</p><div class=\"coach\">{}</div>",
            esc(by),
            markdown(md)
        ));
        if !sources.is_empty() {
            b.push_str("<p class=\"sub\">Sources:</p><ul class=\"sub\">");
            for (n, t) in sources {
                b.push_str(&format!("<li>[{n}] {}</li>", esc(t)));
            }
            b.push_str("</ul>");
        }
    }
    if !d.goals.is_empty() {
        b.push_str("<h2>Goals set from this result</h2><ul>");
        for g in &d.goals {
            b.push_str(&format!("<li>{}</li>", esc(g)));
        }
        b.push_str("</ul>");
    }
    b.push_str(&format!(
        "<footer>{}</footer></body></html>",
        esc(&d.footer)
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_report_loads_nothing_and_runs_nothing() {
        let h = markdown(
            "[click](javascript:alert(1)) [d](data:text/html,x) ![t](http://evil.example/p.png) \
             <img src=http://evil.example/q.png> [guide](https://example.org/g)",
        );
        assert!(!h.contains("<a"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(!h.contains("javascript:"), "{h}");
        assert!(!h.contains("data:text"), "{h}");
        assert!(h.contains("guide (https://example.org/g)"), "{h}");
        assert!(h.contains("(image: t)"), "{h}");
    }

    #[test]
    fn markup_in_words_and_markdown_is_shown_as_text() {
        assert_eq!(esc("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        let h = markdown("Hello <script>alert(1)</script> **there**");
        assert!(!h.contains("<script>"), "{h}");
        assert!(
            h.contains("&lt;script&gt;") && h.contains("<strong>there</strong>"),
            "{h}"
        );
    }
}
