//! Text out of PDF files, page by page, with pdf-extract (on lopdf).
//!
//! A page that pdf-extract cannot read (it fails, or panics on an odd font) is skipped and counted; a file
//! where no page yields text is refused. Runs on a blocking thread; reports `(page, pages)` as it goes and
//! stops between pages when cancelled.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{Document, PlainTextOutput};
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
    let loaded = catch_unwind(AssertUnwindSafe(|| Document::load_mem(bytes)))
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
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Error::DocumentUndecodable(
            "the PDF is password-protected; save an unprotected copy and import that".into(),
        ));
    }
    let title = title_of(&doc);
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let total = pages.len() as u32;
    let mut text = String::new();
    let mut skipped = 0;
    for (i, page) in pages.into_iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        progress(i as u32, total);
        let mut s = String::new();
        let ok = catch_unwind(AssertUnwindSafe(|| {
            let mut out = PlainTextOutput::new(&mut s);
            pdf_extract::output_doc_page(&doc, &mut out, page)
        }));
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
