//! Scanned PDF pages: the page's image XObjects taken with lopdf and
//! decoded (DCTDecode with the `image` crate's JPEG decoder, FlateDecode
//! raw pixels, CCITTFaxDecode G4 with the `fax` crate, G3 with its tables
//! in [`super::g3`]), for OCR; and
//! written back with boxes burnt into their pixels, for the copy.

use lopdf::{Document, Object, ObjectId, Stream, dictionary};

use image::{DynamicImage, GrayImage, RgbImage};

use crate::formats::{ExtractError, Limits, Result};

/// Smallest picture read with OCR (a rule, a logo's dot, a bullet are not text).
const MIN_SIDE: u32 = 64;

/// How an image was stored, to write it back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Jpeg,
    Pixels,
    Fax,
}

/// The image XObjects the page uses (its resources), by id.
pub fn page_images(doc: &Document, page_id: ObjectId) -> Vec<ObjectId> {
    doc.get_page_images(page_id).map(|v| v.into_iter().map(|i| i.id).collect()).unwrap_or_default()
}

/// Decode one image XObject; `None` for one too small to hold text or in
/// a form piisweep cannot decode (JPEG 2000, JBIG2), with the reason.
pub fn decode(
    doc: &Document,
    id: ObjectId,
    limits: &Limits,
) -> Result<std::result::Result<(DynamicImage, Stored), String>> {
    let stream = doc.get_object(id).and_then(Object::as_stream).map_err(|e| ExtractError::corrupt("pdf", e))?;
    let dict = &stream.dict;
    let num = |key: &[u8]| dict.get(key).and_then(Object::as_i64).ok();
    let (Some(w), Some(h)) = (num(b"Width"), num(b"Height")) else {
        return Ok(Err("an image without a size".into()));
    };
    let (w, h) = (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0));
    if w < MIN_SIDE || h < MIN_SIDE {
        return Ok(Err("too small to hold text".into()));
    }
    if u64::from(w) * u64::from(h) > limits.max_image_pixels {
        return Err(ExtractError::Limit(format!(
            "a scanned page's image of {w} x {h} pixels is over the limit of {} million pixels: not read",
            limits.max_image_pixels / 1_000_000
        )));
    }
    let filters: Vec<Vec<u8>> = match dict.get(b"Filter") {
        Ok(Object::Name(n)) => vec![n.clone()],
        Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec)).collect(),
        _ => Vec::new(),
    };
    let last = filters.last().map(Vec::as_slice);
    let pixels = u64::from(w) * u64::from(h);
    match last {
        Some(b"DCTDecode") => {
            let data = if filters.len() > 1 { decoded_before_last(stream, pixels)? } else { stream.content.clone() };
            let img = image::load_from_memory_with_format(&data, image::ImageFormat::Jpeg)
                .map_err(|e| ExtractError::corrupt("pdf", format!("scanned page image: {e}")))?;
            Ok(Ok((img, Stored::Jpeg)))
        }
        Some(b"CCITTFaxDecode") => {
            let data = if filters.len() > 1 { decoded_before_last(stream, pixels)? } else { stream.content.clone() };
            let parms = dict.get(b"DecodeParms").ok().and_then(|p| match p {
                Object::Dictionary(d) => Some(d.clone()),
                Object::Array(a) => a.last().and_then(|o| o.as_dict().ok()).cloned(),
                _ => None,
            });
            let k = parms.as_ref().and_then(|p| p.get(b"K").and_then(Object::as_i64).ok()).unwrap_or(0);
            let columns = parms.as_ref().and_then(|p| p.get(b"Columns").and_then(Object::as_i64).ok()).unwrap_or(1728);
            let width = u16::try_from(columns).map_err(|_| ExtractError::corrupt("pdf", "fax image too wide"))?;
            if k >= 0 {
                // Group 3, one-dimensional (K 0) or mixed (K > 0).
                let flag = |key: &[u8]| {
                    parms.as_ref().and_then(|p| p.get(key).and_then(Object::as_bool).ok()).unwrap_or(false)
                };
                let g = super::g3::G3 {
                    width: u32::from(width),
                    height: h,
                    eols: flag(b"EndOfLine"),
                    two_d: k > 0,
                    byte_align: flag(b"EncodedByteAlign"),
                    lsb_first: false,
                    black_is_zero: false,
                };
                let img = super::g3::decode(&data, &g)
                    .map_err(|e| ExtractError::corrupt("pdf", format!("scanned page image: {e}")))?;
                return Ok(Ok((DynamicImage::ImageLuma8(img), Stored::Fax)));
            }
            let mut img = GrayImage::from_pixel(u32::from(width), h, image::Luma([255]));
            let mut y = 0u32;
            let mut line = |transitions: &[u16]| {
                if y < h {
                    for (x, c) in fax::decoder::pels(transitions, width).enumerate() {
                        if c == fax::Color::Black {
                            img.put_pixel(x as u32, y, image::Luma([0]));
                        }
                    }
                }
                y += 1;
            };
            let ok = fax::decoder::decode_g4(data.iter().copied(), width, u16::try_from(h).ok(), &mut line);
            if ok.is_none() && y == 0 {
                return Err(ExtractError::corrupt("pdf", "scanned page image: damaged fax data"));
            }
            Ok(Ok((DynamicImage::ImageLuma8(img), Stored::Fax)))
        }
        None | Some(b"FlateDecode" | b"LZWDecode" | b"RunLengthDecode") => {
            let data = stream
                .decompressed_content_with_limit(usize::try_from(pixels * 4 + 1024).unwrap_or(usize::MAX))
                .or_else(|e| if filters.is_empty() { Ok(stream.content.clone()) } else { Err(e) })
                .map_err(|e| ExtractError::corrupt("pdf", format!("scanned page image: {e}")))?;
            let bits = num(b"BitsPerComponent").unwrap_or(8);
            let (wu, hu) = (w as usize, h as usize);
            let img = if bits == 1 && data.len() >= wu.div_ceil(8) * hu {
                let stride = wu.div_ceil(8);
                let inverted = matches!(dict.get(b"Decode"), Ok(Object::Array(a)) if a.first().and_then(|o| o.as_i64().ok()) == Some(1));
                DynamicImage::ImageLuma8(GrayImage::from_fn(w, h, |x, y| {
                    let bit = data[y as usize * stride + x as usize / 8] >> (7 - x % 8) & 1 == 1;
                    image::Luma([if bit != inverted { 255 } else { 0 }])
                }))
            } else if bits == 8 && data.len() >= wu * hu * 3 {
                let data = data[..wu * hu * 3].to_vec();
                DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, data).expect("sized"))
            } else if bits == 8 && data.len() >= wu * hu {
                DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, data[..wu * hu].to_vec()).expect("sized"))
            } else {
                return Ok(Err(format!("an image of {bits} bits per component piisweep cannot decode")));
            };
            Ok(Ok((img, Stored::Pixels)))
        }
        Some(other) => Ok(Err(format!("an image in {} piisweep cannot decode", String::from_utf8_lossy(other)))),
    }
}

/// The data after all filters but the last (an image compressed twice).
fn decoded_before_last(stream: &Stream, pixels: u64) -> Result<Vec<u8>> {
    let mut s = stream.clone();
    if let Ok(Object::Array(a)) = s.dict.get(b"Filter") {
        let mut a = a.clone();
        a.pop();
        s.dict.set("Filter", Object::Array(a));
    }
    s.decompressed_content_with_limit(usize::try_from(pixels * 4 + 1024).unwrap_or(usize::MAX))
        .map_err(|e| ExtractError::corrupt("pdf", format!("scanned page image: {e}")))
}

/// Replace image `id` with `img`: a JPEG stays JPEG, anything else becomes
/// deflated 8-bit pixels. Nothing of the old image data is kept.
pub fn replace(
    doc: &mut Document,
    id: ObjectId,
    img: &DynamicImage,
    stored: Stored,
) -> std::result::Result<(), String> {
    let (w, h) = (img.width(), img.height());
    let (space, raw) = match img {
        DynamicImage::ImageLuma8(g) => ("DeviceGray", g.as_raw().clone()),
        other => ("DeviceRGB", other.to_rgb8().into_raw()),
    };
    let mut dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => i64::from(w), "Height" => i64::from(h),
        "ColorSpace" => space, "BitsPerComponent" => 8,
    };
    let data = if stored == Stored::Jpeg {
        dict.set("Filter", "DCTDecode");
        let mut out = std::io::Cursor::new(Vec::new());
        let image = if space == "DeviceGray" { img.clone() } else { DynamicImage::ImageRgb8(img.to_rgb8()) };
        image
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90))
            .map_err(|e| format!("cannot write the copy: {e}"))?;
        out.into_inner()
    } else {
        use std::io::Write;
        dict.set("Filter", "FlateDecode");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&raw).and_then(|()| z.finish()).map_err(|e| format!("cannot write the copy: {e}"))?
    };
    // Nothing of the old image's dictionary is kept: a soft mask or
    // alternate could carry the shapes of the letters.
    doc.objects.insert(id, Object::Stream(Stream::new(dict, data)));
    Ok(())
}
