//! Text out of PDF files, page by page, with pdf-extract (on lopdf).
//!
//! A page that pdf-extract cannot read (it fails, or panics on an odd font) is skipped and counted; a file
//! where no page yields text is refused. What the file may unpack to is bounded ([`limits`]). Runs on a
//! blocking thread; reports `(page, pages)` as it goes and stops when cancelled, also inside a page.

pub mod limits;

use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{
    ColorSpace, Document, LoadOptions, MediaBox, OutputDev, OutputError, Path, PlainTextOutput,
    Transform,
};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// What came out of a PDF.
#[derive(Debug)]
pub struct PdfText {
    /// The text, pages separated by blank lines.
    pub text: String,
    /// The document's own title (its metadata), if it has one.
    pub title: Option<String>,
    pub pages: u32,
    /// Pages that could not be read.
    pub skipped: u32,
}

/// Whether the bytes look like a PDF (the header may follow a little junk, as readers allow).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes.windows(5).take(1024).any(|w| w == b"%PDF-")
}

fn title_of(doc: &Document) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok()?;
    let info = doc.dereference(info).ok()?.1.as_dict().ok()?;
    let raw = info.get(b"Title").ok()?.as_str().ok()?;
    // UTF-16BE with a byte-order mark, or PDFDocEncoding (close enough to Latin-1 for titles).
    let title = if raw.starts_with(&[0xfe, 0xff]) {
        let units: Vec<u16> = raw[2..]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        raw.iter().map(|&b| b as char).collect()
    };
    let title = title.trim().to_owned();
    (!title.is_empty()).then_some(title)
}

/// Tidies one page: trailing spaces off, no more than one blank line in a row.
fn tidy(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut blank = 0;
    for line in page.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            if blank == 1 && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}

/// Extracts the text of every page.
pub fn extract(
    bytes: &[u8],
    cancel: &CancellationToken,
    progress: &dyn Fn(u32, u32),
) -> Result<PdfText> {
    if !looks_like_pdf(bytes) {
        return Err(Error::DocumentUndecodable(
            "it is not a PDF file (it has no PDF header)".into(),
        ));
    }
    limits::prescan(bytes).map_err(|r| Error::DocumentExpandsTooFar(r.reason()))?;
    let options = LoadOptions {
        filter: Some(limits::guard),
        ..LoadOptions::default()
    };
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        Document::load_mem_with_options(bytes, options)
    }))
    .map_err(|_| Error::DocumentUndecodable("the PDF is damaged".into()))?;
    let mut doc = loaded.map_err(|e| {
        tracing::info!(error = %e, "PDF not readable");
        if matches!(e, pdf_extract::Error::Decryption(_)) {
            Error::DocumentUndecodable(
                "the PDF is password-protected; save an unprotected copy and import that".into(),
            )
        } else {
            Error::DocumentUndecodable(
                "the PDF is damaged or uses a structure Compilar cannot read".into(),
            )
        }
    })?;
    if doc.is_encrypted() {
        if doc.decrypt("").is_err() {
            return Err(Error::DocumentUndecodable(
                "the PDF is password-protected; save an unprotected copy and import that".into(),
            ));
        }
        // The guard saw the encrypted bytes; measure what they decrypted to.
        for (id, object) in doc.objects.iter_mut() {
            limits::guard(*id, object);
        }
    }
    let title = title_of(&doc);
    let page_map = doc.get_pages();
    let ids: Vec<_> = page_map.values().copied().collect();
    let heavy = limits::check(&doc, &ids).map_err(|r| Error::DocumentExpandsTooFar(r.reason()))?;
    if !ids.is_empty() && heavy.len() == ids.len() {
        return Err(Error::DocumentExpandsTooFar(limits::Refusal::Page.reason()));
    }
    let pages: Vec<(u32, bool)> = page_map
        .iter()
        .map(|(n, id)| (*n, heavy.contains(id)))
        .collect();
    let total = pages.len() as u32;
    let mut text = String::new();
    let mut skipped = 0;
    for (i, (page, too_heavy)) in pages.into_iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        progress(i as u32, total);
        if too_heavy {
            tracing::info!(page, "PDF page skipped (too heavy to read)");
            skipped += 1;
            continue;
        }
        let mut s = String::new();
        let mut stop = None;
        let ok = catch_unwind(AssertUnwindSafe(|| {
            let mut out = Watched {
                inner: PlainTextOutput::new(&mut s),
                cancel,
                room: limits::MAX_TEXT_BYTES.saturating_sub(text.len()),
                stop: &mut stop,
            };
            pdf_extract::output_doc_page(&doc, &mut out, page)
        }));
        match stop {
            Some(Stop::Cancelled) => return Err(Error::Cancelled),
            Some(Stop::TooMuchText) => {
                return Err(Error::DocumentExpandsTooFar(format!(
                    "holds more than {} MB of text; split it into smaller files",
                    limits::MAX_TEXT_BYTES / (1024 * 1024)
                )))
            }
            None => {}
        }
        match ok {
            Ok(Ok(())) => {
                let t = tidy(&s);
                if !t.is_empty() {
                    if !text.is_empty() {
                        text.push_str("\n\n");
                    }
                    text.push_str(&t);
                }
            }
            Ok(Err(e)) => {
                tracing::info!(page, error = %e, "PDF page skipped");
                skipped += 1;
            }
            Err(_) => {
                tracing::info!(page, "PDF page skipped (the reader failed on it)");
                skipped += 1;
            }
        }
    }
    progress(total, total);
    if text.trim().is_empty() {
        if total > 0 && skipped == total {
            return Err(Error::DocumentUndecodable(
                "none of its pages could be read".into(),
            ));
        }
        return Err(Error::DocumentEmpty {
            hint: " Its pages hold no text layer (a scanned PDF is pictures of pages; Compilar does not read images).",
        });
    }
    Ok(PdfText {
        text,
        title,
        pages: total,
        skipped,
    })
}

/// Why reading a page was stopped from inside.
enum Stop {
    Cancelled,
    TooMuchText,
}

/// Plain-text output that stops the page when the import is cancelled or the text outgrows its room.
struct Watched<'a, W: OutputDev> {
    inner: W,
    cancel: &'a CancellationToken,
    /// Bytes of text this page may still add.
    room: usize,
    stop: &'a mut Option<Stop>,
}

impl<W: OutputDev> Watched<'_, W> {
    fn check(&mut self) -> std::result::Result<(), OutputError> {
        if self.cancel.is_cancelled() {
            *self.stop = Some(Stop::Cancelled);
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        Ok(())
    }
}

impl<W: OutputDev> OutputDev for Watched<'_, W> {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        art_box: Option<(f64, f64, f64, f64)>,
    ) -> std::result::Result<(), OutputError> {
        self.check()?;
        self.inner.begin_page(page_num, media_box, art_box)
    }
    fn end_page(&mut self) -> std::result::Result<(), OutputError> {
        self.inner.end_page()
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        spacing: f64,
        font_size: f64,
        char: &str,
    ) -> std::result::Result<(), OutputError> {
        self.check()?;
        // The output adds a space or a line break now and then: one byte of slack per character.
        let cost = char.len() + 1;
        if cost > self.room {
            *self.stop = Some(Stop::TooMuchText);
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        self.room -= cost;
        self.inner
            .output_character(trm, width, spacing, font_size, char)
    }
    fn begin_word(&mut self) -> std::result::Result<(), OutputError> {
        self.inner.begin_word()
    }
    fn end_word(&mut self) -> std::result::Result<(), OutputError> {
        self.inner.end_word()
    }
    fn end_line(&mut self) -> std::result::Result<(), OutputError> {
        self.inner.end_line()
    }
    fn stroke(
        &mut self,
        ctm: &Transform,
        colorspace: &ColorSpace,
        color: &[f64],
        path: &Path,
    ) -> std::result::Result<(), OutputError> {
        self.check()?;
        self.inner.stroke(ctm, colorspace, color, path)
    }
    fn fill(
        &mut self,
        ctm: &Transform,
        colorspace: &ColorSpace,
        color: &[f64],
        path: &Path,
    ) -> std::result::Result<(), OutputError> {
        self.check()?;
        self.inner.fill(ctm, colorspace, color, path)
    }
}
