#!/usr/bin/env bash
# Behaviour parity between two piisweep binaries (issue #22 item 8).
#
#   benches/parity.sh OLD_BIN NEW_BIN [WORK_DIR]
#
# Runs both binaries over the same inputs and compares, line for line:
#   - `scan --reveal --jsonl` of fixtures/ (sorted);
#   - the same over the accuracy corpus (piisweep-corpus, default seed);
#   - `extract` of fixtures/ (sorted);
#   - `anonymise` copies of fixtures/ with a fixed key: every copy byte for
#     byte, and the summaries.
# Exits non-zero on any difference and prints the first lines of each diff.
#
# Speed, old and new in turn (release builds; a corpus from piisweep-corpus
# --scale 150, hard-linked 8 times for ~43,000 files):
#   for i in 1 2 3 4; do for b in OLD NEW; do
#     /usr/bin/time -f "$b %e s %U user %M KB" $b scan DIR --quiet --threads 2 --jsonl /dev/null
#   done; done
set -uo pipefail
cd "$(dirname "$0")/.."
OLD=$(realpath "$1"); NEW=$(realpath "$2"); W=${3:-/tmp/piisweep-parity}
rm -rf "$W" && mkdir -p "$W"
# A fixed key, so keyed hashes and pseudonyms are the same in both runs.
printf '07%.0s' $(seq 32) > "$W/key"; echo >> "$W/key"
chmod 600 "$W/key"
# The accuracy corpus (default seed); CORPUS=DIR reuses one already written.
CORPUS=${CORPUS:-$W/corpus}
if [ ! -d "$CORPUS" ]; then cargo run --quiet --bin piisweep-corpus -- "$CORPUS" >/dev/null; fi
status=0
compare() { # name old-file new-file
  if cmp -s "$2" "$3"; then echo "same: $1 ($(wc -l < "$2") lines)"; else
    echo "DIFFERENT: $1"; diff "$2" "$3" | head -20; status=1; fi
}
for who in old new; do
  bin=$OLD; [ $who = new ] && bin=$NEW
  "$bin" scan fixtures --reveal --quiet --threads 2 --key "$W/key" --jsonl - 2>/dev/null | sort > "$W/$who.fixtures.jsonl"
  "$bin" scan "$CORPUS" --reveal --quiet --threads 2 --key "$W/key" --jsonl - 2>/dev/null | sort > "$W/$who.corpus.jsonl"
  "$bin" extract fixtures --quiet --threads 2 --key "$W/key" 2>/dev/null | sort > "$W/$who.extract.jsonl"
  (cd "$W" && "$bin" anonymise "$OLDPWD/fixtures" --out "$W/$who.anon" --threads 2 --key "$W/key" > "$W/$who.anon.txt" 2>&1)
  echo "$?" >> "$W/$who.anon.txt"
done
compare "scan fixtures" "$W/old.fixtures.jsonl" "$W/new.fixtures.jsonl"
compare "scan corpus" "$W/old.corpus.jsonl" "$W/new.corpus.jsonl"
compare "extract fixtures" "$W/old.extract.jsonl" "$W/new.extract.jsonl"
for who in old new; do sed "s#$W/$who.anon#OUT#g" "$W/$who.anon.txt" > "$W/$who.summary.txt"; done
compare "anonymise summary" "$W/old.summary.txt" "$W/new.summary.txt"
# Copies byte for byte, except the time stamp rust_xlsxwriter puts in an xlsx
# (docProps/core.xml): those are compared member by member without it.
python3 - "$W/old.anon" "$W/new.anon" <<'PY' || status=1
import os, sys, zipfile
old, new = sys.argv[1:3]
def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
a, b = files(old), files(new)
bad = [f"only in one: {x}" for x in sorted(set(a) ^ set(b))]
for rel in sorted(set(a) & set(b)):
    x, y = open(os.path.join(old, rel), "rb").read(), open(os.path.join(new, rel), "rb").read()
    if x == y:
        continue
    if rel.endswith(".xlsx"):
        zx, zy = zipfile.ZipFile(os.path.join(old, rel)), zipfile.ZipFile(os.path.join(new, rel))
        names = [n for n in zx.namelist() if n != "docProps/core.xml"]
        if names == [n for n in zy.namelist() if n != "docProps/core.xml"] and all(zx.read(n) == zy.read(n) for n in names):
            continue
    bad.append(f"differs: {rel}")
for line in bad[:20]:
    print(line)
print(f"{'same' if not bad else 'DIFFERENT'}: anonymise copies ({len(a)} files; xlsx without their time stamp)")
sys.exit(1 if bad else 0)
PY
exit $status
