//! Builds small real PDF files for the import tests (lopdf, Helvetica, one text object per page).

use lopdf::content::{Content, Operation};
use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

/// A PDF whose pages hold the given paragraphs (each paragraph one line; a blank line's gap between them).
/// `title` goes into the document's metadata.
pub fn pdf(pages: &[&[&str]], title: Option<&str>) -> Vec<u8> {
    save(document(pages, title))
}

/// The same, protected by a user password (RC4 128-bit, as many office tools still write).
pub fn encrypted_pdf(pages: &[&[&str]], user_password: &str) -> Vec<u8> {
    let mut doc = document(pages, None);
    doc.trailer.set(
        "ID",
        vec![
            Object::String(b"0123456789abcdef".to_vec(), StringFormat::Literal),
            Object::String(b"0123456789abcdef".to_vec(), StringFormat::Literal),
        ],
    );
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: Permissions::default(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    save(doc)
}

fn save(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn document(pages: &[&[&str]], title: Option<&str>) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for paragraphs in pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("Td", vec![40.into(), 800.into()]),
        ];
        for p in *paragraphs {
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(p.as_bytes().to_vec(), StringFormat::Literal)],
            ));
            // Down two lines: a paragraph break.
            ops.push(Operation::new("Td", vec![0.into(), (-30).into()]));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    if let Some(t) = title {
        let info_id = doc.add_object(dictionary! {
            "Title" => Object::String(t.as_bytes().to_vec(), StringFormat::Literal),
        });
        doc.trailer.set("Info", info_id);
    }
    doc
}
