//! Scans made in the test: text rendered to a page image with the DejaVu
//! Sans font in tests/data/fonts (its licence beside it), then tilted,
//! speckled, and written as PNG, JPEG, G4 TIFF or an image-only PDF.
//! Included by the tests that need it (each uses only some of it).

#![allow(dead_code)]

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{DynamicImage, GrayImage, ImageFormat, Luma};

const FONT: &[u8] = include_bytes!("../data/fonts/DejaVuSans.ttf");

/// A white page `w` x `h` with each `(x, y, text)` drawn at `size` pixels
/// (y is the top of the line).
pub fn page(w: u32, h: u32, size: f32, lines: &[(u32, u32, &str)]) -> GrayImage {
    let font = FontRef::try_from_slice(FONT).expect("font");
    let scaled = font.as_scaled(PxScale::from(size));
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    for &(x, y, text) in lines {
        let mut caret = x as f32;
        let base = y as f32 + scaled.ascent();
        let mut prev = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, base));
            caret += scaled.h_advance(id);
            prev = Some(id);
            if let Some(outlined) = font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, cov| {
                    let (px, py) = (b.min.x as i64 + i64::from(gx), b.min.y as i64 + i64::from(gy));
                    if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                        let p = img.get_pixel_mut(px as u32, py as u32);
                        let ink = (cov.clamp(0.0, 1.0) * 255.0) as u8;
                        p.0[0] = p.0[0].min(255 - ink);
                    }
                });
            }
        }
    }
    img
}

/// The page turned by `degrees` (small angles: a page fed in crooked or a
/// phone held askew), white where nothing was.
pub fn tilt(img: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (sx, sy) = (c * dx + s * dy + cx, -s * dx + c * dy + cy);
        if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
            *img.get_pixel(sx as u32, sy as u32)
        } else {
            Luma([255])
        }
    })
}

/// Grey speckle noise and a slightly grey paper (`seed` fixes the pattern).
pub fn noise(img: &GrayImage, seed: u64, amount: u8) -> GrayImage {
    let mut state = seed | 1;
    let mut out = img.clone();
    for p in out.pixels_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % (2 * u64::from(amount) + 1)) as i32 - i32::from(amount);
        p.0[0] = (i32::from(p.0[0]) - 12 + n).clamp(0, 255) as u8;
    }
    out
}

pub fn encode(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(img.clone()).write_to(&mut out, format).expect("encode");
    out.into_inner()
}

pub fn png(img: &GrayImage) -> Vec<u8> {
    encode(img, ImageFormat::Png)
}

pub fn jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(img.clone())
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality))
        .expect("jpeg");
    out.into_inner()
}

/// A multi-page bilevel CCITT G4 TIFF, as a fax or a document scanner writes.
pub fn g4_tiff(pages: &[GrayImage]) -> Vec<u8> {
    piisweep::formats::image::anonymise::g4_tiff(pages).expect("g4 tiff")
}

/// How a page's picture is stored in an image-only PDF.
pub enum PdfImage {
    /// DCTDecode: the JPEG as it is.
    Jpeg,
    /// FlateDecode: 8-bit grey pixels, deflated.
    Flate,
    /// CCITTFaxDecode, K -1: G4, one bit a pixel.
    G4,
    /// CCITTFaxDecode, K 4, EndOfLine: G3 rows after end-of-line codes,
    /// every fourth one-dimensional, the others two-dimensional.
    G3TwoD,
    /// CCITTFaxDecode, K 0, EncodedByteAlign: G3 one-dimensional rows, each
    /// starting on a byte, no end-of-line codes.
    G3Aligned,
}

/// An image-only PDF (a scan): each page one picture filling an A4 page.
pub fn image_pdf(pages: &[GrayImage], how: PdfImage) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    use std::io::Write;
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for img in pages {
        let (w, h) = img.dimensions();
        let (filter, data, bits, parms) = match how {
            PdfImage::Jpeg => ("DCTDecode", jpeg(img, 85), 8, None),
            PdfImage::Flate => {
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(img.as_raw()).unwrap();
                ("FlateDecode", z.finish().unwrap(), 8, None)
            }
            PdfImage::G4 => {
                // The strip of a one-page G4 TIFF is the G4 data itself.
                let tiff = g4_tiff(std::slice::from_ref(img));
                let strip = g4_strip(&tiff);
                let parms = dictionary! { "K" => -1, "Columns" => w as i64, "Rows" => h as i64, "BlackIs1" => true };
                ("CCITTFaxDecode", strip, 1, Some(parms))
            }
            PdfImage::G3TwoD => {
                let parms = dictionary! { "K" => 4, "Columns" => w as i64, "Rows" => h as i64, "EndOfLine" => true };
                ("CCITTFaxDecode", g3_strip(img, G3Coding::TwoD), 1, Some(parms))
            }
            PdfImage::G3Aligned => {
                let parms =
                    dictionary! { "K" => 0, "Columns" => w as i64, "Rows" => h as i64, "EncodedByteAlign" => true };
                ("CCITTFaxDecode", g3_strip(img, G3Coding::ModifiedHuffman), 1, Some(parms))
            }
        };
        let mut dict = dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => bits, "Filter" => filter,
        };
        if let Some(p) = parms {
            dict.set("DecodeParms", p);
        }
        let image_id = doc.add_object(Stream::new(dict, data));
        let content = doc.add_object(Stream::new(dictionary! {}, b"q 595 0 0 842 0 0 cm /Im1 Do Q".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content, "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => image_id } },
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save pdf");
    out
}

/// The one strip of a one-page TIFF written by [`g4_tiff`].
fn g4_strip(tiff: &[u8]) -> Vec<u8> {
    let u32_at = |i: usize| u32::from_le_bytes(tiff[i..i + 4].try_into().unwrap()) as usize;
    let ifd = u32_at(4);
    let n = u16::from_le_bytes([tiff[ifd], tiff[ifd + 1]]) as usize;
    let (mut offset, mut len) = (0, 0);
    for e in 0..n {
        let at = ifd + 2 + 12 * e;
        match u16::from_le_bytes([tiff[at], tiff[at + 1]]) {
            273 => offset = u32_at(at + 8),
            279 => len = u32_at(at + 8),
            _ => {}
        }
    }
    tiff[offset..offset + len].to_vec()
}

/// A letter with the kinds of personal data charities' letters hold.
pub fn letter() -> GrayImage {
    page(
        1400,
        700,
        34.0,
        &[
            (80, 60, "Referral for support"),
            (80, 140, "Email: jane.roberts@example.org"),
            (80, 200, "Phone: 07700 900123"),
            (80, 260, "Postcode: SW1A 1AA"),
            (80, 340, "We met on Tuesday and agreed a plan."),
        ],
    )
}

/// How a G3 fax page is coded (TIFF Compression 2, or 3 with T4Options).
#[derive(Clone, Copy, PartialEq)]
pub enum G3Coding {
    /// Compression 2: one-dimensional rows, each starting on a byte.
    ModifiedHuffman,
    /// Compression 3, one-dimensional, end-of-line codes padded to end on a byte.
    OneD,
    /// Compression 3, T4Options bit 0: every fourth row one-dimensional,
    /// the others coded against the row above.
    TwoD,
}

/// Bits written first bit first.
#[derive(Default)]
struct BitOut {
    bytes: Vec<u8>,
    len: usize,
}

impl BitOut {
    fn push(&mut self, b: fax::Bits) {
        for i in (0..b.len).rev() {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if b.data >> i & 1 == 1 {
                *self.bytes.last_mut().unwrap() |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }
    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.push(fax::Bits { data: 0, len: 1 });
        }
    }
}

const EOL: fax::Bits = fax::Bits { data: 1, len: 12 };

/// A row's runs (white first), coded one-dimensionally with the fax crate's tables.
fn code_1d(out: &mut BitOut, row: &[bool]) {
    let mut runs = Vec::new();
    let (mut colour, mut n) = (false, 0u16);
    for &black in row {
        if black != colour {
            runs.push(n);
            colour = black;
            n = 0;
        }
        n += 1;
    }
    runs.push(n);
    for (i, &run) in runs.iter().enumerate() {
        let code = |n| if i % 2 == 0 { fax::maps::white::encode(n) } else { fax::maps::black::encode(n) }.unwrap();
        let mut n = run;
        if n >= 64 {
            out.push(code(n & !63));
            n &= 63;
        }
        out.push(code(n));
    }
}

/// The fax crate's two-dimensional codes for `row` against `above`.
fn code_2d(above: &[bool], row: &[bool]) -> Vec<fax::Bits> {
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Log(Rc<RefCell<Vec<fax::Bits>>>);
    impl fax::BitWriter for Log {
        type Error = std::convert::Infallible;
        fn write(&mut self, bits: fax::Bits) -> Result<(), Self::Error> {
            self.0.borrow_mut().push(bits);
            Ok(())
        }
    }
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut enc = fax::encoder::Encoder::new(Log(log.clone()));
    let colour = |b: &bool| if *b { fax::Color::Black } else { fax::Color::White };
    let width = row.len() as u16;
    enc.encode_line(above.iter().map(colour), width).unwrap();
    let from = log.borrow().len();
    enc.encode_line(row.iter().map(colour), width).unwrap();
    log.borrow()[from..].to_vec()
}

fn g3_strip(page: &GrayImage, coding: G3Coding) -> Vec<u8> {
    let (w, h) = page.dimensions();
    let rows: Vec<Vec<bool>> = (0..h).map(|y| (0..w).map(|x| page.get_pixel(x, y).0[0] < 128).collect()).collect();
    let mut out = BitOut::default();
    for (y, row) in rows.iter().enumerate() {
        match coding {
            G3Coding::ModifiedHuffman => {
                code_1d(&mut out, row);
                out.zeros((8 - out.len % 8) % 8);
            }
            G3Coding::OneD => {
                out.zeros((8 - (out.len + 12) % 8) % 8);
                out.push(EOL);
                code_1d(&mut out, row);
            }
            G3Coding::TwoD => {
                out.push(EOL);
                let one_d = y % 4 == 0;
                out.push(fax::Bits { data: u16::from(one_d), len: 1 });
                if one_d {
                    code_1d(&mut out, row);
                } else {
                    code_2d(&rows[y - 1], row).into_iter().for_each(|b| out.push(b));
                }
            }
        }
    }
    if coding != G3Coding::ModifiedHuffman {
        // Return to control: six end-of-line codes.
        for _ in 0..6 {
            out.push(EOL);
            if coding == G3Coding::TwoD {
                out.push(fax::Bits { data: 1, len: 1 });
            }
        }
    }
    out.bytes
}

/// A multi-page bilevel TIFF of CCITT Group 3 pages, each coded its own way.
pub fn g3_tiff(pages: &[(GrayImage, G3Coding)]) -> Vec<u8> {
    let mut out: Vec<u8> = b"II*\0\0\0\0\0".to_vec();
    let mut next_pointer = 4usize;
    for (page, coding) in pages {
        let (w, h) = page.dimensions();
        let strip = g3_strip(page, *coding);
        let strip_at = out.len() as u32;
        out.extend_from_slice(&strip);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd_at = out.len() as u32;
        out[next_pointer..next_pointer + 4].copy_from_slice(&ifd_at.to_le_bytes());
        let (compression, options) = match coding {
            G3Coding::ModifiedHuffman => (2, None),
            G3Coding::OneD => (3, Some(4)),
            G3Coding::TwoD => (3, Some(1)),
        };
        // (tag, type 3 SHORT or 4 LONG, value), in tag order.
        let mut entries: Vec<(u16, u16, u32)> = vec![
            (256, 4, w),
            (257, 4, h),
            (258, 3, 1),
            (259, 3, compression),
            (262, 3, 0),
            (273, 4, strip_at),
            (277, 3, 1),
            (278, 4, h),
            (279, 4, strip.len() as u32),
        ];
        if let Some(o) = options {
            entries.push((292, 4, o));
        }
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        next_pointer = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}
