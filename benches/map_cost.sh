#!/usr/bin/env bash
# What the data map costs, on one large CSV full of personal data.
#
#   benches/map_cost.sh [BIN] [ROWS]     (default target/release/piisweep, 270000 rows)
#
# Generates target/map-bench/drive/referrals.csv (about 20 MB, about 1.2
# million findings: a name, phone, email, postcode and NI number per row),
# then measures, each run from a warm page cache:
#   - a plain sweep (no output; and with --jsonl);
#   - a first sweep with --map (a new map);
#   - an unchanged rescan with --map, without --jsonl and with --jsonl;
#   - the map's size per finding (after a checkpoint);
#   - a rescan after the file changed throughout (each row's numbers and
#     addresses are another row's: all its findings are deleted and as
#     many added).
# Give another build's binary as BIN to compare (e.g. the main branch's).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/piisweep}
ROWS=${2:-270000}
DIR=target/map-bench
DRIVE=$DIR/drive
mkdir -p "$DRIVE"
generate() { # generate OUT ROWS SHIFT
  python3 - "$1" "$2" "$3" <<'PY'
import sys
out, rows, shift = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
first = ["Jane", "Tom", "Priya", "Amir", "Lucy", "Ewa", "Sam", "Olu", "Mary", "David"]
last = ["Roberts", "Khan", "Patel", "Smith", "Jones", "Nowak", "Okafor", "Brown", "Taylor", "Evans", "Wilson"]
areas = ["ME14 5PP", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "LS1 4AP", "EH1 1YZ"]
letters = "ABCEGHJKLMNPRSTWXYZ"
with open(out, "w") as f:
    f.write("Name,Phone,Email,Postcode,NI number\n")
    for i in range(rows):
        fn, ln = first[i % len(first)], last[(i // 7) % len(last)]
        i += shift
        nino = f"{letters[i % 19]}{letters[(i // 19) % 19]}{i % 1000000:06d}{'ABCD'[i % 4]}"
        f.write(f"{fn} {ln},07700 9{i % 100000:05d},{fn.lower()}.{ln.lower()}{i}@example.org,{areas[i % 8]},{nino}\n")
PY
}
[ -f "$DRIVE/referrals.csv" ] || generate "$DRIVE/referrals.csv" "$ROWS" 0
[ -f "$DIR/changed.csv" ] || generate "$DIR/changed.csv" "$ROWS" 1000003
[ -f "$DIR/original.csv" ] || cp "$DRIVE/referrals.csv" "$DIR/original.csv"
KEY=$DIR/bench.key
MAP=$DIR/bench.db
cat "$DRIVE/referrals.csv" > /dev/null
MB=$(du -sb "$DRIVE/referrals.csv" | awk '{printf "%.1f", $1/1e6}')

secs() { # run the command, print its elapsed seconds
  local t0 t1
  t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
best() { # best of REPEAT (default 3)
  local b=999999 s
  for _ in $(seq 1 "${REPEAT:-3}"); do s=$(secs "$@"); b=$(echo "if ($s < $b) $s else $b" | bc -l); done
  printf "%.2f" "$b"
}

echo "binary: $BIN; file: $DRIVE/referrals.csv, $MB MB; $(nproc) cores"
PLAIN=$(best "$BIN" scan "$DRIVE" --quiet --key "$KEY")
PLAIN_J=$(best "$BIN" scan "$DRIVE" --quiet --key "$KEY" --jsonl /dev/null)
FINDINGS=$("$BIN" scan "$DRIVE" --quiet --key "$KEY" --jsonl - | wc -l)
echo "findings: $FINDINGS"
echo "plain sweep: $PLAIN s; with --jsonl: $PLAIN_J s"
first_map() { rm -f "$MAP" "$MAP-wal" "$MAP-shm" "$MAP.lock"; "$BIN" scan "$DRIVE" --quiet --key "$KEY" --map="$MAP"; }
FIRST=$(best first_map)
echo "first sweep with --map: $FIRST s ($(echo "$FIRST / $PLAIN" | bc -l | xargs printf "%.2f")x the plain sweep)"
RESCAN=$(best "$BIN" scan "$DRIVE" --quiet --key "$KEY" --map="$MAP")
echo "unchanged rescan with --map: $RESCAN s"
RESCAN_J=$(best "$BIN" scan "$DRIVE" --quiet --key "$KEY" --map="$MAP" --jsonl /dev/null)
echo "unchanged rescan with --map and --jsonl: $RESCAN_J s (plain sweep with --jsonl: $PLAIN_J s)"
sqlite3 "$MAP" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
BYTES=$(stat -c %s "$MAP")
echo "map: $BYTES bytes, $(echo "$BYTES / $FINDINGS" | bc -l | xargs printf "%.0f") bytes per finding"
changed_rescan() { # a map of the original file, then time a rescan of the changed one
  first_map > /dev/null 2>&1
  cp "$DIR/changed.csv" "$DRIVE/referrals.csv"
  secs "$BIN" scan "$DRIVE" --quiet --key "$KEY" --map="$MAP"
  cp "$DIR/original.csv" "$DRIVE/referrals.csv"
}
CHANGED=999999
for _ in $(seq 1 "${REPEAT:-3}"); do s=$(changed_rescan); CHANGED=$(echo "if ($s < $CHANGED) $s else $CHANGED" | bc -l); done
echo "rescan with --map after the file changed throughout: $(printf "%.2f" "$CHANGED") s"
