//! Scans and photos: image files (PNG, JPEG, TIFF with every page, including
//! bilevel CCITT G4 as scanners and fax software write it, BMP, GIF, WebP)
//! decoded and read with OCR ([`ocr`]), each page's text handed on with the
//! location `page N (OCR)` and the words' OCR confidences (which scale the
//! confidence of what is found on them).
//!
//! Decoding uses the `image` crate, and the `tiff` crate (with its G4
//! decoder) for TIFF pages; nothing is hand-decoded. A hostile file is
//! stopped before it costs memory: each page's size is read from its header
//! and a page over [`Limits::max_image_pixels`] is refused before its pixels
//! are allocated, and a file with more than [`Limits::max_pages`] pages is
//! read up to that page and reported as a limit hit.
//!
//! Without Tesseract a scan is not read: [`ExtractError::NoText`] ("needs
//! OCR: install tesseract-ocr").

pub mod anonymise;
pub mod g3;
pub mod ocr;
pub mod pdf;

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader};

use crate::formats::{Emit, ExtractError, Input, Limits, Loc, Result, Segment};

/// Is `head` the start of an image file piisweep reads with OCR?
pub fn is_image(head: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[b"\x89PNG", b"\xFF\xD8\xFF", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*"];
    MAGIC.iter().any(|m| head.starts_with(m))
        || (head.starts_with(b"BM")
            && head.len() >= 18
            && [12, 40, 52, 56, 108, 124].contains(&u32::from_le_bytes([head[14], head[15], head[16], head[17]])))
        || (head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP")
}

/// One decoded page, and whether it was bilevel (black and white only).
pub struct Page {
    pub image: DynamicImage,
    pub bilevel: bool,
}

/// The image's format, from its bytes.
pub fn format_of(data: &[u8]) -> Result<ImageFormat> {
    image::guess_format(data).map_err(|e| ExtractError::corrupt("image", e))
}

fn too_big(w: u32, h: u32, limits: &Limits) -> Option<ExtractError> {
    let pixels = u64::from(w) * u64::from(h);
    (pixels > limits.max_image_pixels).then(|| {
        ExtractError::Limit(format!(
            "image of {w} x {h} pixels is over the limit of {} million pixels: not read",
            limits.max_image_pixels / 1_000_000
        ))
    })
}

/// Decode every page of an image file in turn, handing each to `f` with
/// its number (from 1). Pages past [`Limits::max_pages`] are not decoded:
/// the result is then a limit error, after the pages before it were handed on.
pub fn for_each_page(data: &[u8], limits: &Limits, f: &mut dyn FnMut(u32, Page) -> Result<()>) -> Result<()> {
    let format = format_of(data)?;
    if format == ImageFormat::Tiff {
        return tiff_pages(data, limits, f);
    }
    let reader = ImageReader::with_format(Cursor::new(data), format);
    let mut decoder = reader.into_decoder().map_err(|e| ExtractError::corrupt("image", e))?;
    let (w, h) = decoder.dimensions();
    if let Some(e) = too_big(w, h, limits) {
        return Err(e);
    }
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_image_pixels.saturating_mul(8));
    decoder.set_limits(image_limits).map_err(|e| ExtractError::corrupt("image", e))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| ExtractError::corrupt("image", e))?;
    f(1, Page { image, bilevel: false })
}

fn tiff_pages(data: &[u8], limits: &Limits, f: &mut dyn FnMut(u32, Page) -> Result<()>) -> Result<()> {
    use tiff::ColorType as C;
    use tiff::decoder::{Decoder, DecodingResult};
    let corrupt = |e: tiff::TiffError| ExtractError::corrupt("tiff", e);
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = usize::try_from(limits.max_image_pixels.saturating_mul(4)).unwrap_or(usize::MAX);
    let mut dec = Decoder::new(Cursor::new(data)).map_err(corrupt)?.with_limits(tiff_limits);
    let mut n = 0u32;
    loop {
        n += 1;
        if n > limits.max_pages {
            return Err(ExtractError::Limit(format!(
                "more than {} pages: only the first {} were read",
                limits.max_pages, limits.max_pages
            )));
        }
        let (w, h) = dec.dimensions().map_err(corrupt)?;
        if let Some(e) = too_big(w, h, limits) {
            return Err(e);
        }
        if let Some(g) = g3_page(&mut dec, w, h) {
            let image = g3::decode(&g3_strips(&mut dec, data)?, &g)
                .map_err(|e| ExtractError::corrupt("tiff", format!("page {n}: {e}")))?;
            f(n, Page { image: DynamicImage::ImageLuma8(image), bilevel: true })?;
            if !dec.more_images() {
                return Ok(());
            }
            dec.next_image().map_err(corrupt)?;
            continue;
        }
        let color = dec.colortype().map_err(corrupt)?;
        // The decoder turns WhiteIsZero (as faxes are) into BlackIsZero: 0 is black.
        let pixels = dec.read_image().map_err(corrupt)?;
        let unsupported =
            || ExtractError::Unsupported(format!("TIFF page {n}: colour type {color:?} is not supported"));
        let page = match (color, pixels) {
            (C::Gray(1), DecodingResult::U8(buf)) => {
                let stride = (w as usize).div_ceil(8);
                let mut img = GrayImage::new(w, h);
                for (y, row) in buf.chunks(stride).take(h as usize).enumerate() {
                    for x in 0..w as usize {
                        let white = row[x / 8] >> (7 - x % 8) & 1 == 1;
                        img.put_pixel(x as u32, y as u32, image::Luma([if white { 255 } else { 0 }]));
                    }
                }
                Page { image: DynamicImage::ImageLuma8(img), bilevel: true }
            }
            (C::Gray(8), DecodingResult::U8(buf)) => {
                let img = GrayImage::from_raw(w, h, buf).ok_or_else(|| ExtractError::corrupt("tiff", "short page"))?;
                Page { image: DynamicImage::ImageLuma8(img), bilevel: false }
            }
            (C::RGB(8), DecodingResult::U8(buf)) => {
                let img =
                    image::RgbImage::from_raw(w, h, buf).ok_or_else(|| ExtractError::corrupt("tiff", "short page"))?;
                Page { image: DynamicImage::ImageRgb8(img), bilevel: false }
            }
            (C::RGBA(8), DecodingResult::U8(buf)) => {
                let img =
                    image::RgbaImage::from_raw(w, h, buf).ok_or_else(|| ExtractError::corrupt("tiff", "short page"))?;
                Page { image: DynamicImage::ImageRgba8(img), bilevel: false }
            }
            (C::Gray(16), DecodingResult::U16(buf)) => {
                let img = image::ImageBuffer::<image::Luma<u16>, _>::from_raw(w, h, buf)
                    .ok_or_else(|| ExtractError::corrupt("tiff", "short page"))?;
                Page { image: DynamicImage::ImageLuma16(img), bilevel: false }
            }
            _ => return Err(unsupported()),
        };
        f(n, page)?;
        if !dec.more_images() {
            return Ok(());
        }
        dec.next_image().map_err(corrupt)?;
    }
}

/// How the current page is coded, if it is CCITT Group 3 (Compression 2
/// or 3), which the `tiff` crate does not read.
fn g3_page(dec: &mut tiff::decoder::Decoder<Cursor<&[u8]>>, w: u32, h: u32) -> Option<g3::G3> {
    use tiff::tags::Tag;
    let compression = dec.get_tag_u32(Tag::Compression).ok()?;
    if compression != 2 && compression != 3 {
        return None;
    }
    let tag = |dec: &mut tiff::decoder::Decoder<Cursor<&[u8]>>, t: Tag| dec.get_tag_u32(t).ok();
    let options = tag(dec, Tag::Unknown(292)).unwrap_or(0);
    Some(g3::G3 {
        width: w,
        height: h,
        eols: compression == 3,
        two_d: compression == 3 && options & 1 == 1,
        byte_align: compression == 2,
        lsb_first: tag(dec, Tag::FillOrder) == Some(2),
        black_is_zero: tag(dec, Tag::PhotometricInterpretation) == Some(1),
    })
}

/// The current page's strips, one after another.
fn g3_strips(dec: &mut tiff::decoder::Decoder<Cursor<&[u8]>>, data: &[u8]) -> Result<Vec<u8>> {
    use tiff::tags::Tag;
    let corrupt = |e: tiff::TiffError| ExtractError::corrupt("tiff", e);
    let offsets = dec.get_tag_u64_vec(Tag::StripOffsets).map_err(corrupt)?;
    let counts = dec.get_tag_u64_vec(Tag::StripByteCounts).map_err(corrupt)?;
    let mut out = Vec::new();
    for (&at, &len) in offsets.iter().zip(&counts) {
        let strip = usize::try_from(at)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(at, len)| data.get(at..at.checked_add(len)?))
            .ok_or_else(|| ExtractError::corrupt("tiff", "a fax strip past the end of the file"))?;
        out.extend_from_slice(strip);
    }
    Ok(out)
}

/// The OCR words of one page, as the segment's locations see them.
pub type OcrWord = ocr::Placed;

/// Read one page with OCR and hand its text on as `page N (OCR)`.
pub fn emit_page(t: &ocr::Tesseract, n: u32, image: &DynamicImage, emit: &mut dyn Emit) -> Result<()> {
    let words = ocr::read_page(t, &image.to_luma8())?;
    emit_words(n, &words.words, emit);
    Ok(())
}

/// Hand on the text of a page's OCR words.
pub fn emit_words(n: u32, words: &[ocr::Word], emit: &mut dyn Emit) {
    let page = ocr::lay_out(words);
    if !page.text.trim().is_empty() {
        emit.segment(Segment { loc: Loc::Ocr { page: n, words: &page.placed }, text: &page.text, context: None });
    }
}

/// Read an image file: every page with OCR.
pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let data = input.bytes(limits.max_in_memory)?;
    let Some(t) = ocr::tesseract(limits) else {
        return Err(ocr::needs_ocr());
    };
    for_each_page(&data, limits, &mut |n, page| emit_page(&t, n, &page.image, emit))
}

/// Read a scanned PDF page (one with no text that draws images) with OCR:
/// each of its pictures large enough to hold text. Whether any was read.
pub fn read_pdf_page(
    doc: &lopdf::Document,
    n: u32,
    page_id: lopdf::ObjectId,
    t: &ocr::Tesseract,
    limits: &Limits,
    emit: &mut dyn Emit,
) -> Result<bool> {
    let mut any = false;
    for id in pdf::page_images(doc, page_id) {
        match pdf::decode(doc, id, limits)? {
            Ok((image, _)) => {
                emit_page(t, n, &image, emit)?;
                any = true;
            }
            Err(why) => emit.warn(format!("page {n}: an image not read with OCR ({why})")),
        }
    }
    Ok(any)
}

/// Where office packages keep their pictures: docx, xlsx, pptx, and
/// OpenDocument files.
const PICTURE_FOLDERS: &[&str] = &["word/media/", "xl/media/", "ppt/media/", "Pictures/"];

/// Smallest picture read with OCR: a side under this many pixels is a logo,
/// an icon, a rule or a bullet, not a page of text.
pub const MIN_PICTURE_SIDE: u32 = 64;

/// Is a package member a picture (by its folder) that may hold text?
pub fn is_package_picture(name: &str) -> bool {
    !name.ends_with('/') && PICTURE_FOLDERS.iter().any(|f| name.starts_with(f))
}

/// A picture's size from its header (nothing decoded), if it is an image
/// piisweep reads.
pub fn picture_size(data: &[u8]) -> Option<(u32, u32)> {
    if !is_image(data) {
        return None;
    }
    let format = format_of(data).ok()?;
    ImageReader::with_format(Cursor::new(data), format).into_dimensions().ok()
}

/// Is this picture large enough to hold text worth reading?
pub fn holds_text(size: (u32, u32)) -> bool {
    size.0 >= MIN_PICTURE_SIDE && size.1 >= MIN_PICTURE_SIDE
}

/// The pictures of an office package that may hold text (see
/// [`is_package_picture`], [`holds_text`]) handed on as parts, read with OCR
/// (`word/media/image1.png`, located `page 1 (OCR)`). Without Tesseract the
/// document is still read, and one warning says how many pictures were not.
pub fn emit_package_pictures(
    pkg: &mut crate::formats::docx::package::Package<'_>,
    emit: &mut dyn Emit,
    limits: &Limits,
) {
    let names: Vec<String> = pkg.names().iter().filter(|n| is_package_picture(n)).cloned().collect();
    if names.is_empty() {
        return;
    }
    let tesseract = ocr::tesseract(limits).is_some();
    let mut unread = 0usize;
    for name in names {
        let bytes = match pkg.read(&name) {
            Ok(bytes) => bytes,
            Err(e) => {
                emit.warn(format!("picture {name} not read: {e}"));
                continue;
            }
        };
        // Pictures piisweep does not decode (EMF, WMF, SVG) and small ones are passed over.
        if !picture_size(&bytes).is_some_and(holds_text) {
            continue;
        }
        if tesseract {
            emit.part(&name, &bytes);
        } else {
            unread += 1;
        }
    }
    if unread > 0 {
        let pictures =
            if unread == 1 { "1 embedded picture was".to_string() } else { format!("{unread} embedded pictures were") };
        emit.warn(format!(
            "{pictures} not read (needs OCR): install tesseract-ocr, or give its path with --tesseract, to read text in pictures"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageLuma8(GrayImage::new(w, h)).write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn package_pictures_are_told_by_folder_and_size() {
        for name in ["word/media/image1.png", "xl/media/image2.jpeg", "ppt/media/a.tif", "Pictures/10000.png"] {
            assert!(is_package_picture(name), "{name}");
        }
        for name in ["word/media/", "word/document.xml", "docProps/thumbnail.jpeg", "ppt/embeddings/x.xlsx"] {
            assert!(!is_package_picture(name), "{name}");
        }
        assert_eq!(picture_size(&png(640, 64)), Some((640, 64)));
        assert!(holds_text((640, 64)));
        // A logo or an icon: too small a side to hold a line of text worth reading.
        assert!(!holds_text((640, 63)) && !holds_text((32, 32)));
        // Pictures piisweep does not decode (EMF, SVG) have no size here.
        assert_eq!(picture_size(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), None);
        assert_eq!(picture_size(b"\x01\x00\x00\x00 EMF"), None);
    }
}
