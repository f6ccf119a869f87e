#!/usr/bin/env bash
# End-to-end sweep benchmark.
#
#   benches/sweep.sh [SIZE_MB]        (default 1024)
#
# Generates a mixed corpus of about SIZE_MB under target/sweep-bench/ (mostly
# text and CSV built from the labelled corpus generator's files, plus a share
# of copies of its xlsx, docx, pdf, eml and mbox files), then measures on this
# machine:
#   - piisweep scan over the whole corpus: MB/s, files/s, peak memory;
#   - the text and CSV part alone with 1 and 2 threads (scaling), and ripgrep
#     (installed if missing) with the same regular expressions as the ceiling;
#   - the documents part (PDF, Office, mail copies), and its PDFs alone, with
#     1 and 2 threads (scaling).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
OUT=target/sweep-bench/corpus-${SIZE_MB}mb
KEY=target/sweep-bench/bench.key

cargo build --release --quiet --bins
BIN=target/release/piisweep

if ! command -v rg >/dev/null 2>&1; then
  echo "installing ripgrep..." >&2
  (apt-get install -y -qq ripgrep >/dev/null 2>&1) || cargo install --quiet ripgrep
fi
if [ ! -x /usr/bin/time ]; then
  apt-get install -y -qq time >/dev/null 2>&1 || true
fi

if [ ! -f "$OUT/.done" ]; then
  rm -rf "$OUT" && mkdir -p "$OUT"
  target/release/piisweep-corpus "$OUT/base" --scale 5 >/dev/null
  python3 - "$OUT" "$SIZE_MB" <<'PY'
import os, shutil, sys
out, size_mb = sys.argv[1], int(sys.argv[2])
base = os.path.join(out, "base", "drive")
target = size_mb * 1_000_000
texts, csvs, binaries = [], [], []
for root, _, files in os.walk(base):
    for f in files:
        p = os.path.join(root, f)
        (texts if f.endswith(".txt") else csvs if f.endswith(".csv") else binaries).append(p)
read = lambda p: open(p, "rb").read()
text_blob = b"\n\n".join(read(p) for p in sorted(texts))
csv_rows = b"".join(read(p).split(b"\n", 1)[1] for p in sorted(csvs) if b"," in read(p)[:200])
csv_header = read(sorted(csvs)[0]).split(b"\n", 1)[0] + b"\n"
written = 0
# About 8% of the bytes: copies of the office, PDF and mail files.
n = 0
while written < target * 0.08:
    d = os.path.join(out, "mixed", f"copy{n:04d}")
    os.makedirs(d, exist_ok=True)
    for p in binaries:
        dst = os.path.join(d, os.path.basename(p))
        shutil.copyfile(p, dst)
        written += os.path.getsize(dst)
    n += 1
# The rest: case-note text files (~4 MB) and referral CSVs (~4 MB), half each.
i = 0
os.makedirs(os.path.join(out, "text"), exist_ok=True)
while written < target:
    if i % 2 == 0:
        data = text_blob * max(1, 4_000_000 // len(text_blob))
        name = f"notes-{i:05d}.txt"
    else:
        data = csv_header + csv_rows * max(1, 4_000_000 // max(1, len(csv_rows)))
        name = f"referrals-{i:05d}.csv"
    with open(os.path.join(out, "text", name), "wb") as f:
        f.write(data)
    written += len(data)
    i += 1
PY
  rm -rf "$OUT/base"
  touch "$OUT/.done"
fi

mb() { du -sb "$1" | awk '{printf "%.1f", $1/1e6}'; }
files() { find "$1" -type f ! -name .done | wc -l; }
ALL_MB=$(mb "$OUT"); ALL_FILES=$(files "$OUT")
TEXT_MB=$(mb "$OUT/text"); TEXT_FILES=$(files "$OUT/text")
echo "corpus: $OUT: $ALL_MB MB in $ALL_FILES files (text/CSV part: $TEXT_MB MB in $TEXT_FILES files), $(nproc) cores"

# Warm the page cache so that every run reads from memory, like the ceiling.
find "$OUT" -type f -exec cat {} + > /dev/null

read -r S PEAK < <(t0=$(date +%s.%N); peak=$( { /usr/bin/time -f "%M" "$BIN" scan "$OUT" --quiet --jsonl /dev/null --key "$KEY" >/dev/null; } 2>&1 | tail -1 ); t1=$(date +%s.%N); echo "$(echo "$t1 - $t0" | bc -l) $peak")
printf "piisweep, whole corpus, all cores: %.1f s, %.1f MB/s, %.0f files/s, peak memory %.0f MB\n" "$S" "$(echo "$ALL_MB / $S" | bc -l)" "$(echo "$ALL_FILES / $S" | bc -l)" "$(echo "$PEAK / 1024" | bc -l)"

for T in 1 2; do
  t0=$(date +%s.%N); "$BIN" scan "$OUT/text" --threads $T --quiet --jsonl /dev/null --key "$KEY" >/dev/null; t1=$(date +%s.%N)
  S_T=$(echo "$t1 - $t0" | bc -l)
  eval "S$T=$S_T"
  printf "piisweep, text/CSV, %d thread(s): %.1f s, %.1f MB/s\n" "$T" "$S_T" "$(echo "$TEXT_MB / $S_T" | bc -l)"
done
printf "scaling 1 -> 2 threads: %.2fx\n" "$(echo "$S1 / $S2" | bc -l)"

# The documents part (PDF, Word, Excel, PowerPoint, mail: copies of the
# generator's files, thousands of small files) with 1 and 2 threads: each
# file is parsed whole by one worker, so this shows whether anything in the
# readers (a shared lock, a pool of their own) holds the workers back.
DOCS_MB=$(mb "$OUT/mixed"); DOCS_FILES=$(files "$OUT/mixed")
for T in 1 2; do
  t0=$(date +%s.%N); "$BIN" scan "$OUT/mixed" --threads $T --quiet --jsonl /dev/null --key "$KEY" >/dev/null || true; t1=$(date +%s.%N)
  D_T=$(echo "$t1 - $t0" | bc -l)
  eval "D$T=$D_T"
  printf "piisweep, documents (%s MB in %s files), %d thread(s): %.1f s, %.0f files/s\n" "$DOCS_MB" "$DOCS_FILES" "$T" "$D_T" "$(echo "$DOCS_FILES / $D_T" | bc -l)"
done
printf "scaling 1 -> 2 threads, documents: %.2fx\n" "$(echo "$D1 / $D2" | bc -l)"
# PDFs alone (a real drive's scanned letters and forms are mostly PDF).
PDFS=target/sweep-bench/pdfs
rm -rf "$PDFS" && mkdir -p "$PDFS"
find "$OUT/mixed" -name '*.pdf' | awk '{printf "cp %s '"$PDFS"'/%05d.pdf\n", $0, NR}' | sh
for T in 1 2; do
  t0=$(date +%s.%N); "$BIN" scan "$PDFS" --threads $T --quiet --jsonl /dev/null --key "$KEY" >/dev/null || true; t1=$(date +%s.%N)
  P_T=$(echo "$t1 - $t0" | bc -l)
  eval "P$T=$P_T"
  printf "piisweep, PDFs only (%s files), %d thread(s): %.2f s\n" "$(files "$PDFS")" "$T" "$P_T"
done
printf "scaling 1 -> 2 threads, PDFs: %.2fx\n" "$(echo "$P1 / $P2" | bc -l)"

# ripgrep with the same regular expressions (every `pattern` in rules/*.toml).
# ripgrep joins them into one, where two rules' value groups (`(?P<v>...)`)
# would clash: they become plain groups, which match the same text.
PATTERNS=$(python3 - <<'PY'
import glob, re, tomllib
pats = []
for f in sorted(glob.glob("rules/*.toml")):
    for r in tomllib.load(open(f, "rb")).get("rule", []):
        if "pattern" in r:
            pats.append(re.sub(r"\(\?P<\w+>", "(?:", r["pattern"]))
print("\n".join(pats))
PY
)
RG_ARGS=()
while IFS= read -r p; do RG_ARGS+=(-e "$p"); done <<< "$PATTERNS"
for T in 1 2; do
  # Exit 1 is "no match"; anything else (a pattern ripgrep refuses) is an error.
  t0=$(date +%s.%N); rg --no-ignore --hidden --count-matches --threads $T "${RG_ARGS[@]}" "$OUT/text" >/dev/null || [ $? -eq 1 ]; t1=$(date +%s.%N)
  R=$(echo "$t1 - $t0" | bc -l)
  eval "R$T=$R"
  printf "ripgrep, text/CSV, same %d patterns, %d thread(s): %.1f s, %.1f MB/s\n" "${#RG_ARGS[@]}" "$T" "$R" "$(echo "$TEXT_MB / $R" | bc -l)"
done
printf "piisweep / ripgrep time on text, 2 threads: %.2fx\n" "$(echo "$S2 / $R2" | bc -l)"

# For scale, not the target: ripgrep writing every match with its place as
# JSON, as piisweep writes a JSON line (with a keyed hash) for every finding.
t0=$(date +%s.%N); rg --no-ignore --hidden --json --threads 2 "${RG_ARGS[@]}" "$OUT/text" >/dev/null || [ $? -eq 1 ]; t1=$(date +%s.%N)
RJ=$(echo "$t1 - $t0" | bc -l)
printf "ripgrep --json (every match written out), 2 threads: %.1f s, %.1f MB/s; piisweep / that: %.2fx\n" "$RJ" "$(echo "$TEXT_MB / $RJ" | bc -l)" "$(echo "$S2 / $RJ" | bc -l)"
