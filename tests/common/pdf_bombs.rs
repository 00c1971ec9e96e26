//! Bombs for the PDF limits: files of well under a megabyte that unpack to hundreds (only for
//! `tests/pdf_limits.rs`).

use std::io::Write;

use lopdf::{dictionary, Document, Object, Stream};

/// `prefix`, then `len` bytes of spaces, deflated (at best compression: about 1:1000).
pub fn deflated_spaces(prefix: &[u8], len: usize) -> Vec<u8> {
    deflated_fill(prefix, b" ", len)
}

/// `prefix`, then `fill` repeated to `len` bytes, deflated.
pub fn deflated_fill(prefix: &[u8], fill: &[u8], len: usize) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(prefix).unwrap();
    let block: Vec<u8> = fill
        .iter()
        .copied()
        .cycle()
        .take((1 << 20) / fill.len() * fill.len())
        .collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        enc.write_all(&block[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

fn flate(content: Vec<u8>) -> Stream {
    let mut s = Stream::new(dictionary! { "Filter" => "FlateDecode" }, content);
    s.allows_compression = false;
    s
}

/// A one-page document whose page draws `contents` (references to streams added by `build`).
fn one_page(build: impl FnOnce(&mut Document) -> Object) -> Vec<u8> {
    one_page_with(|doc| (build(doc), None))
}

/// The same, with XObjects in the page's resources.
fn one_page_with(
    build: impl FnOnce(&mut Document) -> (Object, Option<lopdf::Dictionary>),
) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let (contents, xobjects) = build(&mut doc);
    let mut resources = dictionary! { "Font" => dictionary! { "F1" => font_id } };
    if let Some(x) = xobjects {
        resources.set("XObject", x);
    }
    let resources_id = doc.add_object(resources);
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

const TEXT: &[u8] = b"BT /F1 11 Tf 40 800 Td (A page about the rota.) Tj ET\n";

/// One content stream that unpacks to `len` bytes (text, then spaces).
pub fn content(len: usize) -> Vec<u8> {
    one_page(|doc| doc.add_object(flate(deflated_spaces(TEXT, len))).into())
}

/// One content stream of `len` bytes of the drawing operator `op` repeated (the densest content a
/// reader must parse: every few bytes an operation).
pub fn dense_content(op: &[u8], len: usize) -> Vec<u8> {
    one_page(|doc| doc.add_object(flate(deflated_fill(TEXT, op, len))).into())
}

/// One small content stream (`len` bytes unpacked) drawn `times` times by the page.
pub fn repeated_content(len: usize, times: usize) -> Vec<u8> {
    one_page(|doc| {
        let id = doc.add_object(flate(deflated_spaces(TEXT, len)));
        Object::Array(vec![id.into(); times])
    })
}

/// A file of the given objects (numbered from 1, the first the catalog) with a classic index.
fn raw(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

const PAGE_OBJECTS: [&[u8]; 3] = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
];

/// An object stream (unpacked by the reader while it loads the file) of `len` bytes.
pub fn object_stream(len: usize) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = PAGE_OBJECTS.iter().map(|o| o.to_vec()).collect();
    objects.push(stream_object("", TEXT));
    objects.push(stream_object(
        "/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode",
        &deflated_spaces(b"99 0 null", len),
    ));
    raw(&objects)
}

/// A form that draws itself (through its own resources), drawn by the page.
pub fn self_drawing_form() -> Vec<u8> {
    one_page_with(|doc| {
        let form_id = doc.new_object_id();
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "X" => form_id } },
            },
            b"/X Do".to_vec(),
        );
        doc.objects.insert(form_id, Object::Stream(form));
        let mut page = TEXT.to_vec();
        page.extend_from_slice(b"/X Do\n");
        let id = doc.add_object(Stream::new(dictionary! {}, page));
        (id.into(), Some(dictionary! { "X" => form_id }))
    })
}

/// A file whose cross-reference stream (read before any object) unpacks to `len` bytes.
pub fn xref_stream(len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"%PDF-1.5\n");
    let mut offsets = Vec::new();
    let objects: [&[u8]; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        b"<< /Length 52 >>\nstream\nBT /F1 11 Tf 40 800 Td (A page about the rota.) Tj ET\nendstream",
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    let mut rows = vec![0u8, 0, 0, 0, 0, 0xff];
    for o in &offsets {
        rows.push(1);
        rows.extend_from_slice(&(*o as u32).to_be_bytes());
        rows.push(0);
    }
    rows.push(1);
    rows.extend_from_slice(&(xref_at as u32).to_be_bytes());
    rows.push(0);
    let data = deflated_fill(&rows, &[0], len);
    out.extend_from_slice(
        format!(
            "6 0 obj\n<< /Type /XRef /Size 6 /W [1 4 1] /Root 1 0 R /Filter /FlateDecode /Length {} >>\nstream\n",
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&data);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}
