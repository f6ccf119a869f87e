//! PDFs built in memory with lopdf, read back through [`extract`].

use lopdf::{Dictionary, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream, dictionary};

use super::*;
use crate::formats::Collect;

/// A document under construction: a page tree, shared resources, pages.
struct Builder {
    doc: Document,
    pages_id: ObjectId,
    kids: Vec<Object>,
}

impl Builder {
    fn new() -> Self {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        Builder { doc, pages_id, kids: Vec::new() }
    }

    /// Adds a page drawing `content` with `resources`.
    fn page(&mut self, resources: Dictionary, content: &[u8]) -> ObjectId {
        let content_id = self.doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
        self.page_with_contents(resources, content_id.into())
    }

    fn page_with_contents(&mut self, resources: Dictionary, contents: Object) -> ObjectId {
        let page_id = self.doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => self.pages_id,
            "Contents" => contents,
            "Resources" => resources,
        });
        self.kids.push(page_id.into());
        page_id
    }

    /// Finishes the page tree and catalog; returns the catalog's id.
    fn finish(&mut self) -> ObjectId {
        let pages = dictionary! {
            "Type" => "Pages",
            "Kids" => self.kids.clone(),
            "Count" => self.kids.len() as i64,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        };
        self.doc.objects.insert(self.pages_id, Object::Dictionary(pages));
        let catalog_id = self.doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => self.pages_id });
        self.doc.trailer.set("Root", catalog_id);
        catalog_id
    }

    fn bytes(mut self) -> Vec<u8> {
        if self.doc.trailer.get(b"Root").is_err() {
            self.finish();
        }
        save(&mut self.doc)
    }
}

fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save test PDF");
    out
}

/// Resources with one font named F1.
fn font_resources(font: Object) -> Dictionary {
    dictionary! { "Font" => dictionary! { "F1" => font } }
}

fn helvetica() -> Object {
    Object::Dictionary(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    })
}

fn run(bytes: &[u8]) -> (Result<()>, Collect) {
    let mut collect = Collect::default();
    let result = extract(&Input::Bytes(bytes), &mut collect, &Limits::default());
    (result, collect)
}

/// The text of the segment at `location`.
fn text_at<'c>(collect: &'c Collect, location: &str) -> Option<&'c str> {
    collect.segments.iter().find(|s| s.0 == location).map(|s| s.1.as_str())
}

const PAGE_ONE: &[u8] = b"BT /F1 12 Tf 72 720 Td (Client record) Tj
0 -16 Td [(Name: Jane R) 30 (oberts)] TJ
0 -16 Td (Date of birth:) Tj 100 0 Td (12/03/1985) Tj
-100 -16 Td [(Postcode) -250 (SW1A 1AA)] TJ
0 -16 Td [(W) 80 (orker: Zo\\353 ) -40 (Smith)] TJ ET";

const PAGE_TWO: &[u8] = b"BT /F1 11 Tf 14 TL 72 720 Td (Phone 01632 960123) Tj T*
(Email jane@example.org) Tj (second line) ' ET
BT /F1 11 Tf 1 0 0 1 300 692 Tm (right column) Tj ET";

fn two_page_helvetica() -> Vec<u8> {
    let mut b = Builder::new();
    let font = b.doc.add_object(helvetica());
    b.page(font_resources(font.into()), PAGE_ONE);
    b.page(font_resources(font.into()), PAGE_TWO);
    b.bytes()
}

#[test]
fn helvetica_pages_with_kerning_and_positioning() {
    let (result, c) = run(&two_page_helvetica());
    result.unwrap();
    assert_eq!(
        text_at(&c, "page 1"),
        Some("Client record\nName: Jane Roberts\nDate of birth: 12/03/1985\nPostcode SW1A 1AA\nWorker: Zoë Smith")
    );
    assert_eq!(text_at(&c, "page 2"), Some("Phone 01632 960123\nEmail jane@example.org\nsecond line right column"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn differences_override_the_base_encoding() {
    let mut b = Builder::new();
    let font = Object::Dictionary(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Times-Roman",
        "Encoding" => dictionary! {
            "Type" => "Encoding",
            "BaseEncoding" => "MacRomanEncoding",
            "Differences" => vec![65.into(), "Lslash".into(), "uni0107".into(), "g17".into(), 70.into(), "f_f".into()],
        },
    });
    // A = Łslash, B = ć, C = unknown glyph name (dropped), F = "ff" ligature; \216 is é in MacRoman.
    b.page(font_resources(font), b"BT /F1 10 Tf 50 500 Td (Aukasz Bi) Tj 0 -12 Td (CaF\\216) Tj ET");
    let (result, c) = run(&b.bytes());
    result.unwrap();
    assert_eq!(text_at(&c, "page 1"), Some("Łukasz ći\naffé"));
}

/// A ToUnicode CMap with bfchar, bfrange and the array form of bfrange.
const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
3 beginbfchar
<0003> <0020>
<0010> <004A>
<0011> <00E9>
endbfchar
2 beginbfrange
<0020> <0039> <0061>
<0040> <0042> [<0052> <006F> <FB01>]
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end";

/// A hex string operand of two-byte codes.
fn hex(codes: &[u16]) -> String {
    let digits: String = codes.iter().map(|c| format!("{c:04X}")).collect();
    format!("<{digits}>")
}

#[test]
fn type0_font_with_to_unicode_and_two_byte_codes() {
    let mut b = Builder::new();
    let cmap = b.doc.add_object(Stream::new(dictionary! {}, TO_UNICODE.to_vec()));
    let cid_font = dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "ABCDEF+Calibri",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "DW" => 500,
        "W" => vec![16.into(), vec![600.into(), 480.into()].into(), 32.into(), 57.into(), 450.into()],
    };
    let font = b.doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "ABCDEF+Calibri",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_font.into()],
        "ToUnicode" => cmap,
    });
    // "Jane Roberts", then "Renée" and "fiona" (with the fi ligature glyph) split by a kerning gap,
    // then "Rob" + "erts" rejoined across a small kern.
    let content = format!(
        "BT /F1 10 Tf 72 700 Td {} Tj\n0 -14 Td [{} -300 {}] TJ\n0 -14 Td [{} 20 {}] TJ ET",
        hex(&[0x10, 0x20, 0x2D, 0x24, 0x03, 0x40, 0x41, 0x21, 0x24, 0x31, 0x33, 0x32]),
        hex(&[0x40, 0x24, 0x2D, 0x11, 0x24]),
        hex(&[0x42, 0x41, 0x2D, 0x20]),
        hex(&[0x40, 0x41, 0x21]),
        hex(&[0x24, 0x31, 0x33, 0x32]),
    );
    let content = content.as_bytes();
    b.page(font_resources(font.into()), content);
    let (result, c) = run(&b.bytes());
    result.unwrap();
    assert_eq!(text_at(&c, "page 1"), Some("Jane Roberts\nRenée fiona\nRoberts"));
}

#[test]
fn image_only_page_needs_ocr() {
    let mut b = Builder::new();
    let image = b.doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => 1,
            "Height" => 1,
            "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 8,
        },
        vec![0x80],
    ));
    let resources = dictionary! { "XObject" => dictionary! { "Im1" => image } };
    b.page(resources, b"q 500 0 0 700 40 60 cm /Im1 Do Q");
    // Without Tesseract: needs OCR.
    let no_ocr = Limits { tesseract: Some("/nonexistent/tesseract".into()), ..Limits::default() };
    let result = extract(&Input::Bytes(&b.bytes()), &mut Collect::default(), &no_ocr);
    assert!(matches!(result, Err(ExtractError::NoText)), "{result:?}");
}

fn encrypted(user_password: &str) -> Vec<u8> {
    let mut b = Builder::new();
    let font = b.doc.add_object(helvetica());
    b.page(font_resources(font.into()), b"BT /F1 12 Tf 72 720 Td (Jane Roberts) Tj ET");
    b.finish();
    let id = Object::string_literal(b"0123456789abcdef".to_vec());
    b.doc.trailer.set("ID", vec![id.clone(), id]);
    let version = EncryptionVersion::V2 {
        document: &b.doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version).expect("encryption state");
    b.doc.encrypt(&state).expect("encrypt");
    save(&mut b.doc)
}

#[test]
fn password_protected_pdf_is_encrypted() {
    let bytes = encrypted("user-secret");
    // The text must not be readable in the file itself.
    assert!(!bytes.windows(12).any(|w| w == b"Jane Roberts"));
    let (result, c) = run(&bytes);
    assert!(matches!(result, Err(ExtractError::Encrypted)), "{result:?}");
    assert!(c.segments.is_empty());
}

#[test]
fn encrypted_with_empty_user_password_is_read() {
    let (result, c) = run(&encrypted(""));
    result.unwrap();
    assert_eq!(text_at(&c, "page 1"), Some("Jane Roberts"));
}

#[test]
fn truncated_and_garbage_files_are_corrupt() {
    let bytes = two_page_helvetica();
    let (result, _) = run(&bytes[..bytes.len() / 2]);
    assert!(matches!(result, Err(ExtractError::Corrupt { .. })), "{result:?}");
    let (result, _) = run(b"%PDF-1.4\n\x00\x01garbage that is not a PDF at all");
    assert!(matches!(result, Err(ExtractError::Corrupt { .. })), "{result:?}");
    let (result, _) = run(b"");
    assert!(matches!(result, Err(ExtractError::Corrupt { .. })), "{result:?}");
}

#[test]
fn every_truncation_point_is_handled_without_panic() {
    let bytes = two_page_helvetica();
    let (_, full) = run(&bytes);
    for cut in (0..bytes.len()).step_by(37) {
        let (result, c) = run(&bytes[..cut]);
        // Either an error, or what could be recovered with a warning that the file is cut short.
        if result.is_ok() {
            assert!(c.warnings.iter().any(|w| w.contains("truncated")), "cut {cut}: {:?}", c.warnings);
            for (location, text, _) in &c.segments {
                let original = text_at(&full, location).unwrap_or_default();
                assert!(original.starts_with(text.as_str()), "cut {cut}: {text:?}");
            }
        }
    }
}

#[test]
fn info_metadata_is_emitted_with_context() {
    let mut b = Builder::new();
    let font = b.doc.add_object(helvetica());
    b.page(font_resources(font.into()), b"BT /F1 12 Tf 72 720 Td (Minutes) Tj ET");
    let info = b.doc.add_object(dictionary! {
        "Author" => Object::string_literal("Priya Patel"),
        "Title" => lopdf::text_string("Referral for Siân Jones"),
        "Creator" => Object::string_literal("Microsoft Word"),
    });
    b.doc.trailer.set("Info", info);
    let (result, c) = run(&b.bytes());
    result.unwrap();
    let author = c.segments.iter().find(|s| s.0 == "metadata Author").expect("author segment");
    assert_eq!(author.1, "Priya Patel");
    assert_eq!(author.2.as_deref(), Some("Author"));
    assert_eq!(text_at(&c, "metadata Title"), Some("Referral for Siân Jones"));
    assert!(!c.all_text().contains("Microsoft"));
}

#[test]
fn annotations_form_fields_and_embedded_files() {
    let mut b = Builder::new();
    let font = b.doc.add_object(helvetica());
    let page = b.page(font_resources(font.into()), b"BT /F1 12 Tf 72 720 Td (Form) Tj ET");
    let attachment = b.doc.add_object(Stream::new(dictionary! { "Type" => "EmbeddedFile" }, b"a,b\n1,2\n".to_vec()));
    let note = b.doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Text",
        "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()],
        "Contents" => Object::string_literal("Call Jane on 07700 900123"),
        "T" => Object::string_literal("Sam Carter"),
    });
    let name_field = b.doc.add_object(
        dictionary! { "T" => Object::string_literal("name"), "V" => Object::string_literal("Jane Roberts") },
    );
    let agree = b.doc.add_object(dictionary! { "T" => Object::string_literal("agree"), "V" => "Yes" });
    let client = b.doc.add_object(dictionary! {
        "T" => Object::string_literal("client"),
        "Kids" => vec![name_field.into(), agree.into()],
    });
    b.doc.get_dictionary_mut(page).unwrap().set("Annots", vec![note.into()]);
    let catalog = b.finish();
    let catalog = b.doc.get_dictionary_mut(catalog).unwrap();
    catalog.set("AcroForm", dictionary! { "Fields" => vec![client.into()] });
    catalog.set(
        "Names",
        dictionary! {
            "EmbeddedFiles" => dictionary! {
                "Names" => vec![
                    Object::string_literal("list.csv"),
                    dictionary! {
                        "Type" => "Filespec",
                        "F" => Object::string_literal("clients.csv"),
                        "EF" => dictionary! { "F" => attachment },
                    }.into(),
                ],
            },
        },
    );
    let (result, c) = run(&b.bytes());
    result.unwrap();
    let annots: Vec<_> = c.segments.iter().filter(|s| s.0 == "page 1 annotation").collect();
    assert_eq!(annots.len(), 2);
    assert_eq!(annots[0].1, "Call Jane on 07700 900123");
    assert_eq!((annots[1].1.as_str(), annots[1].2.as_deref()), ("Sam Carter", Some("Author")));
    let field = c.segments.iter().find(|s| s.0 == "form field client.name").expect("field");
    assert_eq!((field.1.as_str(), field.2.as_deref()), ("Jane Roberts", Some("client.name")));
    assert!(!c.segments.iter().any(|s| s.0.contains("agree")));
    assert_eq!(c.parts, vec![("clients.csv".to_string(), b"a,b\n1,2\n".to_vec())]);
}

#[test]
fn a_broken_page_warns_and_the_others_are_read() {
    let mut b = Builder::new();
    let font = b.doc.add_object(helvetica());
    // Page 1: one content stream missing, one with garbage in the middle.
    let damaged = b.doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 12 Tf 72 720 Td (Before) Tj } ET ))) >> BT /F1 12 Tf 72 700 Td (After) Tj ET".to_vec(),
    ));
    let contents = vec![Object::Reference((999, 0)), damaged.into()];
    b.page_with_contents(font_resources(font.into()), contents.into());
    b.page(font_resources(font.into()), b"BT /F1 12 Tf 72 720 Td (Page two text) Tj ET");
    let (result, c) = run(&b.bytes());
    result.unwrap();
    assert_eq!(text_at(&c, "page 1"), Some("Before\nAfter"));
    assert_eq!(text_at(&c, "page 2"), Some("Page two text"));
    let page_one: Vec<_> = c.warnings.iter().filter(|w| w.starts_with("page 1: ")).collect();
    assert_eq!(page_one.len(), 2, "{:?}", c.warnings);
    assert!(page_one[0].contains("999 0 R"), "{page_one:?}");
    assert!(page_one[1].contains("damaged content stream"), "{page_one:?}");
}

#[test]
fn form_xobjects_are_followed_and_self_reference_stops() {
    let mut b = Builder::new();
    let font = b.doc.add_object(helvetica());
    let form_id = b.doc.new_object_id();
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 500.into(), 500.into()],
            "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 0.into(), (-20).into()],
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => font },
                "XObject" => dictionary! { "Fm1" => form_id },
            },
        },
        b"BT /F1 10 Tf 72 700 Td (Stamp: NI AB123456C) Tj ET /Fm1 Do /Fm1 Do".to_vec(),
    );
    b.doc.objects.insert(form_id, Object::Stream(form));
    let resources =
        dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => dictionary! { "Fm1" => form_id } };
    b.page(resources, b"BT /F1 10 Tf 72 760 Td (Header) Tj ET q /Fm1 Do Q");
    let (result, c) = run(&b.bytes());
    result.unwrap();
    let text = text_at(&c, "page 1").expect("page text");
    assert!(text.starts_with("Header\nStamp: NI AB123456C\nStamp: NI AB123456C\n"), "{text}");
    assert!(c.warnings.iter().any(|w| w.contains("nested deeper")), "{:?}", c.warnings);
}
