//! Scans: the copy is the same image format (a multi-page TIFF stays
//! multi-page, a bilevel G4 TIFF stays bilevel G4) with a filled black box
//! burnt into the pixels over every word of each finding the policy
//! removes. Nothing of the original is kept under a box: the pixels are
//! overwritten, and the image is encoded anew (metadata such as EXIF and
//! text chunks is not copied). `anonymise` then reads the copy back with
//! OCR, like every copy, and reports anything still found there.
//!
//! A scan that cannot be read (no Tesseract, a corrupt or over-limit
//! image) is never copied.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Rgba};

use super::{Page, for_each_page, format_of, ocr};
use crate::formats::rewrite::Rewrite;
use crate::formats::zip::anonymise::{Member, embedded};
use crate::formats::{Loc, Segment};

/// Why a scan is not copied without OCR.
pub const NOT_COPIED: &str = "needs OCR: install tesseract-ocr (or give its path with --tesseract); \
     a scan that cannot be read is not copied, since personal data in it could not be removed";

/// Extra pixels around each word's box, so no edge of a letter is left.
const PAD: u32 = 3;

/// An image file's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let t = ocr::tesseract(&limits).ok_or_else(|| NOT_COPIED.to_string())?;
    let format = format_of(data).map_err(|e| e.to_string())?;
    let mut pages = Vec::new();
    for_each_page(data, &limits, &mut |n, page| {
        let words = ocr::read_page(&t, &page.image.to_luma8())?;
        pages.push(redact_page(work, n, page, &words));
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    encode(format, pages)
}

/// The page with a box over every word of each finding the policy removes.
pub fn redact_page(work: &mut dyn Rewrite, n: u32, mut page: Page, words: &ocr::PageWords) -> Page {
    for (left, top, right, bottom) in boxes(work, n, words) {
        let (w, h) = (page.image.width(), page.image.height());
        let (x0, y0) = (left.saturating_sub(PAD), top.saturating_sub(PAD));
        let (x1, y1) = ((right + PAD).min(w), (bottom + PAD).min(h));
        fill(&mut page.image, x0, y0, x1, y1);
    }
    page
}

/// The boxes (left, top, right, bottom) of the words of each finding the
/// policy removes from the page whose OCR words are `words`, on the page
/// as given (a page read turned upright has its boxes turned back).
pub fn boxes(work: &mut dyn Rewrite, n: u32, words: &ocr::PageWords) -> Vec<(u32, u32, u32, u32)> {
    let text = ocr::lay_out(&words.words);
    let seg = Segment { loc: Loc::Ocr { page: n, words: &text.placed }, text: &text.text, context: None };
    let mut out = Vec::new();
    for span in work.spans(&seg) {
        // What the policy makes of the value (counted for the summary): a
        // value it leaves as it is keeps its words; any other is boxed,
        // since a picture cannot take the replacement text.
        let value = &text.text[span.start..span.end];
        if work.replace(span.category, value) == value {
            continue;
        }
        for p in text.placed.iter().filter(|p| (p.start as usize) < span.end && (p.end as usize) > span.start) {
            out.push(words.page_box(p.word as usize));
        }
    }
    out
}

fn fill(page: &mut DynamicImage, x0: u32, y0: u32, x1: u32, y1: u32) {
    for y in y0..y1 {
        for x in x0..x1 {
            match &mut *page {
                DynamicImage::ImageLuma8(img) => img.put_pixel(x, y, image::Luma([0])),
                DynamicImage::ImageRgb8(img) => img.put_pixel(x, y, image::Rgb([0, 0, 0])),
                other => image::GenericImage::put_pixel(other, x, y, Rgba([0, 0, 0, 255])),
            }
        }
    }
}

/// The pages encoded in `format`.
pub fn encode(format: ImageFormat, pages: Vec<Page>) -> Result<Vec<u8>, String> {
    if format == ImageFormat::Tiff {
        return encode_tiff(pages);
    }
    let page = pages.into_iter().next().ok_or("no page to write")?;
    let image = match (format, page.image) {
        // JPEG holds no alpha, and 16-bit images are written as 8-bit.
        (ImageFormat::Jpeg, DynamicImage::ImageLuma8(i)) => DynamicImage::ImageLuma8(i),
        (ImageFormat::Jpeg, i) => DynamicImage::ImageRgb8(i.to_rgb8()),
        (_, i @ (DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_))) => i,
        (_, i) => DynamicImage::ImageRgba8(i.to_rgba8()),
    };
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => image
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90))
            .map_err(|e| format!("cannot write the copy: {e}"))?,
        _ => image.write_to(&mut out, format).or_else(|_| {
            out = Cursor::new(Vec::new());
            DynamicImage::ImageRgba8(image.to_rgba8())
                .write_to(&mut out, format)
                .map_err(|e| format!("cannot write the copy: {e}"))
        })?,
    }
    Ok(out.into_inner())
}

/// A TIFF of all the pages: bilevel G4 when every page was bilevel, else
/// LZW-compressed grey or colour pages.
fn encode_tiff(pages: Vec<Page>) -> Result<Vec<u8>, String> {
    if pages.iter().all(|p| p.bilevel) {
        let grey: Vec<GrayImage> = pages.into_iter().map(|p| p.image.to_luma8()).collect();
        return g4_tiff(&grey);
    }
    use tiff::encoder::{Compression, TiffEncoder, colortype};
    let mut out = Cursor::new(Vec::new());
    let fail = |e: tiff::TiffError| format!("cannot write the copy: {e}");
    let mut enc = TiffEncoder::new(&mut out).map_err(fail)?.with_compression(Compression::Lzw);
    for page in pages {
        let (w, h) = (page.image.width(), page.image.height());
        match page.image {
            DynamicImage::ImageLuma8(i) => enc.write_image::<colortype::Gray8>(w, h, i.as_raw()).map_err(fail)?,
            other => enc.write_image::<colortype::RGB8>(w, h, other.to_rgb8().as_raw()).map_err(fail)?,
        }
    }
    Ok(out.into_inner())
}

/// A multi-page bilevel TIFF, each page one CCITT G4 strip (the G4 coding
/// is the `fax` crate's; only the TIFF directory is written here). Pixels
/// darker than mid-grey are black.
pub fn g4_tiff(pages: &[GrayImage]) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = b"II*\0\0\0\0\0".to_vec();
    let mut next_pointer = 4usize;
    for page in pages {
        let (w, h) = page.dimensions();
        let width = u16::try_from(w).map_err(|_| "page too wide for G4 (over 65535 pixels)")?;
        let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
        for y in 0..h {
            let row =
                (0..w).map(|x| if page.get_pixel(x, y).0[0] < 128 { fax::Color::Black } else { fax::Color::White });
            enc.encode_line(row, width).map_err(|_| "G4 encoding failed")?;
        }
        let strip = enc.finish().map_err(|_| "G4 encoding failed")?.finish();
        let strip_at = out.len();
        out.extend_from_slice(&strip);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd_at = out.len();
        out[next_pointer..next_pointer + 4]
            .copy_from_slice(&u32::try_from(ifd_at).map_err(|_| "file too large")?.to_le_bytes());
        const ENTRIES: usize = 12;
        let rationals_at = ifd_at + 2 + 12 * ENTRIES + 4;
        // (tag, type, value): type 3 SHORT, 4 LONG, 5 RATIONAL (value: offset).
        let entries: [(u16, u16, u32); ENTRIES] = [
            (256, 4, w),
            (257, 4, h),
            (258, 3, 1),
            (259, 3, 4),
            (262, 3, 0),
            (273, 4, strip_at as u32),
            (277, 3, 1),
            (278, 4, h),
            (279, 4, strip.len() as u32),
            (282, 5, rationals_at as u32),
            (283, 5, rationals_at as u32 + 8),
            (296, 3, 2),
        ];
        out.extend_from_slice(&(ENTRIES as u16).to_le_bytes());
        for (tag, typ, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        next_pointer = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        for _ in 0..2 {
            out.extend_from_slice(&200u32.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
    }
    Ok(out)
}

/// A picture of an office package (see [`super::is_package_picture`]) in
/// the copy. One that may hold text is read with OCR and written with a box
/// over each finding the policy removes (the copy is read again, like every
/// copy); if it cannot be read (no Tesseract, a damaged picture) a blank
/// picture of the same size and format takes its place, so the document
/// still opens and nothing of it is carried over. Small pictures (logos,
/// icons) and pictures piisweep does not decode are kept as they are.
pub fn package_picture(work: &mut dyn Rewrite, name: &str, bytes: &[u8]) -> Member {
    let Some(size) = super::picture_size(bytes).filter(|s| super::holds_text(*s)) else {
        return Member::Keep;
    };
    if let Some(data) = embedded(work, name, bytes) {
        return Member::Replace(name.to_string(), data);
    }
    let blank = format_of(bytes).map_err(|e| e.to_string()).and_then(|format| {
        let white = GrayImage::from_pixel(size.0, size.1, image::Luma([255]));
        encode(format, vec![Page { image: DynamicImage::ImageLuma8(white), bilevel: format == ImageFormat::Tiff }])
    });
    match blank {
        Ok(data) => {
            work.note(format!("{name}: picture replaced by a blank one of the same size, since it could not be read"));
            Member::Replace(name.to_string(), data)
        }
        Err(_) => Member::Remove,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Limits;

    fn pages(data: &[u8]) -> Vec<(u32, u32, bool, u8)> {
        let mut out = Vec::new();
        for_each_page(data, &Limits::default(), &mut |_, p| {
            let g = p.image.to_luma8();
            out.push((g.width(), g.height(), p.bilevel, g.get_pixel(5, 5).0[0]));
            Ok(())
        })
        .unwrap();
        out
    }

    fn grey(w: u32, h: u32, v: u8) -> GrayImage {
        let mut img = GrayImage::from_pixel(w, h, image::Luma([v]));
        img.put_pixel(0, 0, image::Luma([0]));
        img
    }

    #[test]
    fn tiff_copies_keep_every_page_and_their_kind() {
        // Bilevel pages stay bilevel G4; grey pages stay grey.
        let g4 = encode(
            ImageFormat::Tiff,
            vec![
                Page { image: DynamicImage::ImageLuma8(grey(40, 30, 255)), bilevel: true },
                Page { image: DynamicImage::ImageLuma8(grey(50, 20, 0)), bilevel: true },
            ],
        )
        .unwrap();
        assert_eq!(pages(&g4), vec![(40, 30, true, 255), (50, 20, true, 0)]);
        let lzw = encode(
            ImageFormat::Tiff,
            vec![
                Page { image: DynamicImage::ImageLuma8(grey(40, 30, 200)), bilevel: false },
                Page {
                    image: DynamicImage::ImageRgb8(DynamicImage::ImageLuma8(grey(10, 10, 90)).to_rgb8()),
                    bilevel: false,
                },
            ],
        )
        .unwrap();
        assert_eq!(pages(&lzw), vec![(40, 30, false, 200), (10, 10, false, 90)]);
    }

    #[test]
    fn boxes_are_burnt_into_the_pixels() {
        let mut page = Page { image: DynamicImage::ImageLuma8(grey(100, 50, 255)), bilevel: false };
        fill(&mut page.image, 10, 10, 30, 20);
        let g = page.image.to_luma8();
        assert_eq!(g.get_pixel(10, 10).0[0], 0);
        assert_eq!(g.get_pixel(29, 19).0[0], 0);
        assert_eq!(g.get_pixel(30, 20).0[0], 255);
        let png = encode(ImageFormat::Png, vec![page]).unwrap();
        assert_eq!(pages(&png), vec![(100, 50, false, 255)]);
    }
}
