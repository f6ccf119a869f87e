//! A mutation fuzzer of the Outlook store reader, for machines where
//! cargo-fuzz cannot be built: no coverage guidance, but mutations that get
//! past the checksums. `piisweep-pst-fuzz SECONDS OUT_DIR [OST ...]` runs
//! the `pst` fuzz target's code path (`fuzzing::run`) on
//! - generated stores damaged before their CRCs are computed
//!   (`pst::write_damaged`): heaps, tables, sub-node trees, B-trees;
//! - generated stores with bytes changed anywhere, or cut short;
//! - for each OST given (the 4 KB-page format, version 36): its first few MB
//!   with a B-tree page changed and its CRC made right again, or cut short.
//!
//! An input that panics or runs over 20 s is saved in OUT_DIR.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use piisweep_testkit::{fuzzing, pst, rng::Rng};

fn crc(data: &[u8]) -> u32 {
    let mut c = 0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    c
}

/// Change a few bytes of a 4 KB B-tree page (version 36) and fix its CRC.
fn damage_4k_page(data: &mut [u8], rng: &mut Rng) -> bool {
    let pages: Vec<usize> = (0..data.len() / 4096)
        .map(|k| k * 4096)
        .filter(|&at| matches!(data[at + 4072], 0x80 | 0x81) && data[at + 4073] == data[at + 4072])
        .collect();
    if pages.is_empty() {
        return false;
    }
    let at = *rng.pick(&pages);
    for _ in 0..rng.range(1, 4) {
        let k = at + rng.below(4072);
        data[k] = rng.next_u64() as u8;
    }
    let c = crc(&data[at..at + 4072]);
    data[at + 4076..at + 4080].copy_from_slice(&c.to_le_bytes());
    true
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).expect("usage: SECONDS OUT_DIR [OST ...]");
    let out = std::path::PathBuf::from(args.get(2).expect("OUT_DIR"));
    std::fs::create_dir_all(&out).unwrap();
    let osts: Vec<Vec<u8>> = args[3..]
        .iter()
        .map(|p| {
            let mut d = std::fs::read(p).unwrap();
            d.truncate(4 << 20);
            d
        })
        .collect();
    let sample = pst::sample_store();
    let clean = pst::write(&sample);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut rng = Rng::new(0x005E_ED0F_0057);
    let (mut runs, mut saved) = (0u64, 0u64);
    let mut by_mode = [0u64; 3];
    while Instant::now() < deadline {
        let seed = rng.next_u64();
        let mode = if osts.is_empty() { rng.below(2) } else { rng.below(3) };
        let input = match mode {
            0 => pst::write_damaged(&sample, seed),
            1 => {
                let mut d = clean.clone();
                if rng.chance(20) {
                    d.truncate(rng.below(d.len()));
                } else {
                    for _ in 0..rng.range(1, 8) {
                        let k = rng.below(d.len());
                        d[k] = rng.next_u64() as u8;
                    }
                }
                d
            }
            _ => {
                let mut d = rng.pick(&osts).clone();
                if rng.chance(20) || !damage_4k_page(&mut d, &mut rng) {
                    d.truncate(rng.below(d.len()));
                }
                d
            }
        };
        by_mode[mode] += 1;
        runs += 1;
        let data = input.clone();
        let handle = std::thread::spawn(move || catch_unwind(AssertUnwindSafe(|| fuzzing::run("pst", &data))).is_ok());
        let start = Instant::now();
        while !handle.is_finished() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let bad = if handle.is_finished() { !handle.join().unwrap_or(false) } else { true };
        if bad {
            saved += 1;
            let path = out.join(format!("pst-mode{mode}-{seed:016x}.bin"));
            std::fs::write(&path, &input).unwrap();
            eprintln!("saved {}", path.display());
        }
    }
    println!(
        "{runs} inputs in {seconds} s (damaged before CRC {}, raw {}, OST pages {}); {saved} panicked or hung",
        by_mode[0], by_mode[1], by_mode[2]
    );
}
