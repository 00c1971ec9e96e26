//! The report as a PDF (A4), set in the PDF's built-in Helvetica: nothing to embed, readable and searchable
//! everywhere. Those fonts cover plain Latin text, so typographic punctuation is replaced by its plain form
//! and any other character by "?". Text is wrapped by Helvetica's character widths; pages are added as needed.

use printpdf::{
    BuiltinFont, Color, IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference,
    Rect, Rgb,
};

use super::Doc;
use crate::domain::Band;
use crate::error::{Error, Result};

const W: f32 = 210.0;
const H: f32 = 297.0;
const LEFT: f32 = 18.0;
const RIGHT: f32 = 192.0;
const TOP: f32 = 279.0;
const BOTTOM: f32 = 20.0;
const PT_TO_MM: f32 = 0.3528;

/// Helvetica's advance widths (per 1,000 em) for printable ASCII, from the standard AFM metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Plain text the built-in fonts can show.
pub(crate) fn plain(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' '..='~' => o.push(c),
            '\u{2018}' | '\u{2019}' | '\u{2032}' => o.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{2033}' => o.push('"'),
            '\u{2013}' | '\u{2014}' | '\u{2212}' => o.push('-'),
            '\u{b7}' | '\u{2022}' => o.push('-'),
            '\u{2026}' => o.push_str("..."),
            '\u{2192}' => o.push_str("->"),
            '\u{2265}' => o.push_str(">="),
            '\u{2264}' => o.push_str("<="),
            '\u{a0}' | '\t' | '\n' => o.push(' '),
            'é' | 'è' | 'ê' => o.push('e'),
            'á' | 'à' | 'â' | 'ä' => o.push('a'),
            'ó' | 'ö' | 'ô' => o.push('o'),
            'ü' | 'ú' => o.push('u'),
            'í' | 'ï' => o.push('i'),
            _ => o.push('?'),
        }
    }
    o
}

fn width_mm(s: &str, size: f32, bold: bool) -> f32 {
    let em: u32 = s
        .bytes()
        .map(|b| {
            u32::from(
                HELVETICA
                    .get((b as usize).wrapping_sub(32))
                    .copied()
                    .unwrap_or(556),
            )
        })
        .sum();
    // Bold runs about 5 % wider.
    em as f32 / 1000.0 * size * PT_TO_MM * if bold { 1.05 } else { 1.0 }
}

/// Lines of at most `width` mm.
fn wrap(s: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width_mm(&candidate, size, bold) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn rgb(b: Option<Band>) -> Color {
    let (r, g, bl) = match b {
        Some(Band::Strong) => (0.12, 0.54, 0.36),
        Some(Band::Mixed) => (0.72, 0.47, 0.12),
        Some(Band::Strained) => (0.77, 0.19, 0.19),
        None => (0.61, 0.64, 0.69),
    };
    Color::Rgb(Rgb::new(r, g, bl, None))
}

fn grey(v: f32) -> Color {
    Color::Rgb(Rgb::new(v, v, v, None))
}

struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    y: f32,
}

fn pdf_err(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("the PDF could not be written: {e}"))
}

impl Writer {
    fn room(&mut self, mm: f32) {
        if self.y - mm < BOTTOM {
            let (page, layer) = self.doc.add_page(Mm(W), Mm(H), "Report");
            self.layer = self.doc.get_page(page).get_layer(layer);
            self.y = TOP;
        }
    }

    fn text(&mut self, s: &str, size: f32, bold: bool, indent: f32) {
        let line_h = size * PT_TO_MM * 1.35;
        for line in wrap(&plain(s), size, bold, RIGHT - LEFT - indent) {
            self.room(line_h);
            self.y -= line_h;
            let font = if bold { &self.bold } else { &self.regular };
            self.layer.set_fill_color(grey(0.12));
            self.layer
                .use_text(line, size, Mm(LEFT + indent), Mm(self.y), font);
        }
    }

    fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }

    fn heading(&mut self, s: &str) {
        self.room(14.0);
        self.gap(4.0);
        self.text(s, 13.0, true, 0.0);
        self.gap(1.5);
    }

    fn bars(&mut self, forces: &[(String, Option<f64>, Option<Band>)]) {
        let (label_w, bar_x, bar_w, row) = (58.0, LEFT + 60.0, 96.0, 8.0);
        for (name, score, band) in forces {
            self.room(row);
            self.y -= row;
            self.layer.set_fill_color(grey(0.12));
            let name = wrap(&plain(name), 10.0, false, label_w)
                .into_iter()
                .next()
                .unwrap_or_default();
            self.layer
                .use_text(name, 10.0, Mm(LEFT), Mm(self.y + 1.2), &self.regular);
            self.layer.set_fill_color(grey(0.92));
            self.layer.add_rect(Rect::new(
                Mm(bar_x),
                Mm(self.y),
                Mm(bar_x + bar_w),
                Mm(self.y + 5.0),
            ));
            match score {
                Some(v) => {
                    let v = v.clamp(0.0, 100.0) as f32;
                    self.layer.set_fill_color(rgb(*band));
                    self.layer.add_rect(Rect::new(
                        Mm(bar_x),
                        Mm(self.y),
                        Mm(bar_x + bar_w * v / 100.0),
                        Mm(self.y + 5.0),
                    ));
                    self.layer.set_fill_color(grey(0.12));
                    self.layer.use_text(
                        crate::domain::Pts(f64::from(v)).to_string(),
                        10.0,
                        Mm(bar_x + bar_w + 3.0),
                        Mm(self.y + 1.2),
                        &self.bold,
                    );
                }
                None => {
                    self.layer.set_fill_color(grey(0.42));
                    self.layer.use_text(
                        "not answered",
                        9.0,
                        Mm(bar_x + 2.0),
                        Mm(self.y + 1.3),
                        &self.regular,
                    );
                }
            }
        }
    }
}

/// Markdown as paragraphs of plain text: headings bold, list items indented, emphasis marks dropped; links as
/// their text and address, images as their description ([`crate::util::inert_markdown`]).
fn markdown_lines(md: &str) -> Vec<(String, bool, f32)> {
    let mut out = Vec::new();
    let inert = crate::util::inert_markdown(md);
    // (Its escapes are for Markdown; the page shows plain text.)
    let mut md = String::with_capacity(inert.len());
    let mut chars = inert.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        md.push(c);
    }
    for raw in md.lines() {
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        let (text, bold, indent) = if let Some(h) = l.strip_prefix('#') {
            (h.trim_start_matches('#').trim().to_owned(), true, 0.0)
        } else if let Some(item) = l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")) {
            (format!("- {item}"), false, 4.0)
        } else {
            (l.to_owned(), false, 0.0)
        };
        out.push((text.replace("**", "").replace('`', ""), bold, indent));
    }
    out
}

pub(crate) fn render(d: &Doc) -> Result<Vec<u8>> {
    let (doc, page, layer) = PdfDocument::new(plain(&d.title), Mm(W), Mm(H), "Report");
    let regular = doc
        .add_builtin_font(BuiltinFont::Helvetica)
        .map_err(pdf_err)?;
    let bold = doc
        .add_builtin_font(BuiltinFont::HelveticaBold)
        .map_err(pdf_err)?;
    let layer = doc.get_page(page).get_layer(layer);
    let mut w = Writer {
        doc,
        layer,
        regular,
        bold,
        y: TOP,
    };
    w.text(&d.title, 22.0, true, 0.0);
    w.text(&d.subtitle, 10.0, false, 0.0);
    if let Some(a) = &d.about {
        w.text(a, 10.0, false, 0.0);
    }
    w.gap(3.0);
    if let Some(c) = &d.caution {
        w.text(c, 10.0, true, 0.0);
        w.gap(2.0);
    }
    w.room(16.0);
    w.y -= 12.0;
    w.layer.set_fill_color(rgb(Some(d.band)));
    w.layer.use_text(
        crate::domain::Pts(d.score).to_string(),
        30.0,
        Mm(LEFT),
        Mm(w.y),
        &w.bold,
    );
    w.layer.set_fill_color(grey(0.12));
    w.layer.use_text(
        plain(&format!("out of 100 - {}", d.band_label)),
        11.0,
        Mm(LEFT + 22.0),
        Mm(w.y + 1.0),
        &w.regular,
    );
    w.gap(2.0);
    w.text(&d.confidence, 10.0, false, 0.0);
    w.heading("Forces");
    w.bars(&d.forces);
    if !d.highlights.is_empty() {
        w.gap(2.0);
    }
    for h in &d.highlights {
        w.text(h, 10.0, false, 0.0);
    }
    w.heading("What this means");
    for i in &d.insights {
        w.text(&format!("- {i}"), 10.0, false, 2.0);
        w.gap(1.0);
    }
    w.heading("What to try next");
    for (n, (t, x)) in d.recommendations.iter().enumerate() {
        w.text(&format!("{}. {t}", n + 1), 10.0, true, 0.0);
        w.text(x, 10.0, false, 4.0);
        w.gap(1.5);
    }
    if let Some((by, md, sources)) = &d.coach {
        w.heading("Coaching report");
        w.text(by, 9.0, false, 0.0);
        w.gap(1.5);
        for (text, bold, indent) in markdown_lines(md) {
            w.text(&text, if bold { 11.0 } else { 10.0 }, bold, indent);
            w.gap(1.2);
        }
        if !sources.is_empty() {
            w.gap(1.5);
            w.text("Sources", 9.0, true, 0.0);
            for (n, t) in sources {
                w.text(&format!("[{n}] {t}"), 9.0, false, 2.0);
            }
        }
    }
    if !d.goals.is_empty() {
        w.heading("Goals set from this result");
        for g in &d.goals {
            w.text(&format!("- {g}"), 10.0, false, 2.0);
            w.gap(1.0);
        }
    }
    w.gap(6.0);
    w.text(&d.footer, 8.0, false, 0.0);
    w.doc.save_to_bytes().map_err(pdf_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_made_plain_and_wrapped_within_the_page() {
        assert_eq!(
            plain("“Yes” — it’s… A · B → é"),
            "\"Yes\" - it's... A - B -> e"
        );
        let long = "word ".repeat(200);
        for l in wrap(&long, 10.0, false, RIGHT - LEFT) {
            assert!(width_mm(&l, 10.0, false) <= RIGHT - LEFT, "{l}");
        }
        assert_eq!(wrap("one", 10.0, false, 1.0), vec!["one".to_string()]);
    }
}
