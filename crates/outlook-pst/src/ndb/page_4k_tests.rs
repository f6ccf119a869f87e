//! The 4 KB-page format (NDB version 36): B-tree pages and blocks built
//! here byte by byte, read through a reader marked as that format.

use std::io::{Cursor, Write};

use super::{
    block::*, block_id::*, block_ref::*, byte_index::*, header::*, page::*, read_write::*,
};
use crate::{crc::compute_crc, ltp::heap::HeapId, Page4kReader, UnicodePstFile};

fn reader(file: Vec<u8>) -> Page4kReader {
    Page4kReader(Box::new(Cursor::new(file)))
}

/// A block B-tree leaf page of 4096 bytes holding `entries` (bid, ib, cb,
/// inflated size), with its trailer and CRC.
fn leaf_page(entries: &[(u64, u64, u16, u16)], page_id: u64) -> Vec<u8> {
    let mut page = vec![0_u8; 4096];
    for (i, (bid, ib, cb, inflated)) in entries.iter().enumerate() {
        let e = &mut page[i * 24..(i + 1) * 24];
        e[..8].copy_from_slice(&bid.to_le_bytes());
        e[8..16].copy_from_slice(&ib.to_le_bytes());
        e[16..18].copy_from_slice(&cb.to_le_bytes());
        e[18..20].copy_from_slice(&inflated.to_le_bytes());
        e[20..22].copy_from_slice(&1_u16.to_le_bytes());
    }
    page[4056..4058].copy_from_slice(&(entries.len() as u16).to_le_bytes());
    page[4058..4060].copy_from_slice(&169_u16.to_le_bytes());
    page[4060] = 24;
    page[4061] = 0;
    page[4072] = 0x80;
    page[4073] = 0x80;
    let crc = compute_crc(0, &page[..4072]);
    page[4076..4080].copy_from_slice(&crc.to_le_bytes());
    page[4080..4088].copy_from_slice(&page_id.to_le_bytes());
    page
}

#[test]
fn a_4k_btree_page_holds_more_entries_than_a_512_byte_one() {
    // 30 entries: more than the 20 a 512-byte page can hold.
    let entries: Vec<_> = (1..=30_u64)
        .map(|i| (i * 4, 0x4000 * i, 100, 300))
        .collect();
    let mut file = vec![0_u8; 0x2000];
    file.extend(leaf_page(&entries, 0x77));
    let page_ref = UnicodePageRef::new(UnicodePageId::from(0x77), UnicodeByteIndex::new(0x2000));
    let tree = UnicodeBlockBTree::read(&mut reader(file), page_ref).unwrap();
    let RootBTreePage::Leaf(leaf) = tree else {
        panic!("not a leaf")
    };
    assert_eq!(leaf.entries().len(), 30);
    let last = leaf.entries()[29];
    assert_eq!(u64::from(last.block().block()), 120);
    assert_eq!(last.block().index().index(), 0x4000 * 30);
    // cb is the stored size, which is what the block is read by.
    assert_eq!(last.size(), 100);
}

#[test]
fn a_4k_btree_page_with_a_wrong_crc_is_refused() {
    let mut page = leaf_page(&[(4, 0x4000, 100, 100)], 0x77);
    page[30] ^= 1;
    let result =
        <UnicodeBlockBTreePage as UnicodeBTreePageReadWrite<UnicodeBlockBTreeEntry>>::read_4k(
            &page,
        );
    assert!(result.is_err());
}

/// A block of the 4 KB-page format at `offset`: `stored` bytes, padding to
/// a 512-byte step, and the 24-byte trailer.
fn block(stored: &[u8], inflated: usize, bid: u64) -> Vec<u8> {
    let total = (stored.len() + 24).div_ceil(512) * 512;
    let mut out = stored.to_vec();
    out.resize(total - 24, 0);
    out.extend_from_slice(&(stored.len() as u16).to_le_bytes());
    out.extend_from_slice(&0x1234_u16.to_le_bytes());
    out.extend_from_slice(&compute_crc(0, stored).to_le_bytes());
    out.extend_from_slice(&bid.to_le_bytes());
    out.extend_from_slice(&2_u16.to_le_bytes());
    out.extend_from_slice(&(inflated as u16).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out
}

fn read_leaf(file: Vec<u8>, bid: u64, offset: u64, size: u16) -> std::io::Result<Vec<u8>> {
    let entry = UnicodeBlockBTreeEntry::new(
        UnicodeBlockRef::new(UnicodeBlockId::from(bid), UnicodeByteIndex::new(offset)),
        size,
    );
    match DataTree::<UnicodePstFile>::read(&mut reader(file), NdbCryptMethod::None, &entry)? {
        DataTree::Leaf(block) => Ok(block.data().to_vec()),
        DataTree::Intermediate(_) => panic!("not a leaf"),
    }
}

#[test]
fn a_compressed_block_is_inflated_even_past_8_kb() {
    // 20,000 bytes of text: more than a PST block holds (8176).
    let text: Vec<u8> = (0..20_000)
        .map(|i| b"Dear Jane Roberts, "[i % 19])
        .collect();
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&text).unwrap();
    let compressed = encoder.finish().unwrap();
    assert!(compressed.len() < text.len());
    let bid = 0x24;
    let mut file = vec![0_u8; 0x1000];
    file.extend(block(&compressed, text.len(), bid));
    let data = read_leaf(file, bid, 0x1000, compressed.len() as u16).unwrap();
    assert_eq!(data, text);
}

#[test]
fn a_stored_block_is_read_as_it_is() {
    let text = b"Contact jane.roberts@example.org".to_vec();
    let bid = 0x28;
    let mut file = vec![0_u8; 0x200];
    file.extend(block(&text, text.len(), bid));
    assert_eq!(
        read_leaf(file, bid, 0x200, text.len() as u16).unwrap(),
        text
    );
}

#[test]
fn a_damaged_compressed_block_is_an_error_not_a_panic() {
    let bid = 0x2C;
    // Not zlib, but its trailer says it inflates to 5000 bytes.
    let stored = vec![0xAB_u8; 700];
    let mut file = vec![0_u8; 0x200];
    file.extend(block(&stored, 5000, bid));
    assert!(read_leaf(file.clone(), bid, 0x200, 700).is_err());
    // A size in the block B-tree that does not match the block's trailer.
    assert!(read_leaf(file, bid, 0x200, 699).is_err());
}

#[test]
fn heap_ids_of_the_4k_format_have_14_bit_indexes() {
    // Index 3000 (stored as 3001) in block 5: beyond the 11 bits of a PST's.
    let value = (5_u32 << 19) | (3001 << 5);
    let id = HeapId::from(value);
    assert_eq!(id.index_4k().unwrap(), 3000);
    assert_eq!(id.block_index_4k(), 5);
}
