"""Sealed evaluation sets stay sealed.

`assets/fidelity/sets/MANIFEST.json` gives every labelled set a role: `train` (the screen may
learn from it), `tune` (thresholds may be chosen on it) or `sealed` (outsiders measure us with
it; nothing here may have seen it); `tests/data/MANIFEST.json` does the same for the
instructor's request sets. A sealed row leaks when it shows up, exactly or nearly, in a
place the screen or its authors learn from:

- any `train` or `tune` file of the manifest, and assets/fidelity/policy_train.jsonl;
- any file under prompts/;
- any string literal or regex in generec/**/*.py (every string constant `ast` finds, when it
  has at least four tokens);
- any test file (tests/**/*.py and tests/data/*), except the sealed files and this file.

"Nearly" means: lower-case the text, keep the [a-z0-9]+ runs as tokens, and compare token sets;
a Jaccard similarity of at least 0.8 is a copy. A text that holds a sealed row's whole token
sequence (five tokens or more) inside it, a prompt pasted into a longer sentence, is a copy too.

The check is fast because sealed rows are indexed by token. Each sealed row is filed under its
rarest few tokens (the prefix that any text of Jaccard >= 0.8 must share) and under its single
rarest token (which any text containing it must have), so a text is only compared with the
sealed rows it could match.
"""
from __future__ import annotations

import ast
import json
import math
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from generec.bench.fidelity import row_label

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "assets" / "fidelity" / "sets"
MANIFEST = SETS / "MANIFEST.json"
INSTRUCTOR_MANIFEST = ROOT / "tests" / "data" / "MANIFEST.json"
POLICY_TRAIN = ROOT / "assets" / "fidelity" / "policy_train.jsonl"
ROLES = {"train", "tune", "sealed"}
MUST_BE_SEALED = {"xstest", "simplesafetytests"}   # how outsiders measured the screen
THRESHOLD = 0.8
MIN_LITERAL_TOKENS = 4      # shorter string constants are not compared
MIN_CONTAINED_TOKENS = 5    # shorter sealed rows ("tell me a story") are only matched whole, not inside longer text
_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(str(text).lower())


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def read_manifest(path: Path = MANIFEST) -> list[dict]:
    return json.loads(path.read_text())


def all_sets() -> list[dict]:
    """The screen's sets and the instructor's (tests/data/MANIFEST.json): one role each."""
    return read_manifest() + read_manifest(INSTRUCTOR_MANIFEST)


def read_rows(path: Path) -> list[dict]:
    """Rows of a labelled JSONL set, each with at least "text"."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Sealed:
    set: str
    id: str
    text: str


class SealedIndex:
    """Sealed rows, filed by token, answering "which sealed rows does this text copy?"."""

    def __init__(self, rows: list[Sealed], threshold: float = THRESHOLD):
        self.rows, self.threshold = rows, threshold
        self.seq = [tokens(r.text) for r in rows]
        self.sets = [frozenset(s) for s in self.seq]
        df = Counter(t for s in self.sets for t in s)
        self._rank = lambda t: (df.get(t, 0), t)   # rarest first; a fixed order is all prefix filtering needs
        self.by_prefix: dict[str, list[int]] = defaultdict(list)
        self.by_rarest: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(self.sets):
            if not s:
                continue
            order = sorted(s, key=self._rank)
            # A text with Jaccard >= t shares >= ceil(t*n) of this row's n tokens, so it must
            # hold at least one of the first n - ceil(t*n) + 1 (in any fixed order).
            for t in order[: len(order) - math.ceil(threshold * len(order)) + 1]:
                self.by_prefix[t].append(i)
            self.by_rarest[order[0]].append(i)

    def matches(self, text: str) -> list[tuple[Sealed, str]]:
        seq = tokens(text)
        if not seq:
            return []
        have = set(seq)
        near = {i for t in have for i in self.by_prefix.get(t, ())}
        inside = {i for t in have for i in self.by_rarest.get(t, ())} - near
        out = []
        for i in near | inside:
            s = self.sets[i]
            if i in near and self.threshold * len(s) <= len(have) <= len(s) / self.threshold:
                j = jaccard(have, s)
                if j >= self.threshold:
                    out.append((self.rows[i], "exact copy" if seq == self.seq[i] else f"Jaccard {j:.2f}"))
                    continue
            if len(self.seq[i]) >= MIN_CONTAINED_TOKENS and len(seq) > len(self.seq[i]) and _contains(seq, self.seq[i]):
                out.append((self.rows[i], "contains the whole row"))
        return out


def _contains(big: list[str], small: list[str]) -> bool:
    n = len(small)
    return any(big[k:k + n] == small for k in range(len(big) - n + 1) if big[k] == small[0])


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def units(path: Path, root: Path = ROOT):
    """(where, text) for every piece of text in a file that could carry a copied prompt."""
    rel = path.relative_to(root) if path.is_relative_to(root) else path
    try:
        body = path.read_text()
    except (UnicodeDecodeError, OSError):
        return
    if path.suffix == ".py":
        try:
            tree = ast.parse(body)
        except SyntaxError:
            tree = None
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(tokens(node.value)) >= MIN_LITERAL_TOKENS:
                    yield f"{rel}:{node.lineno} (string literal)", node.value
            return
    for n, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        texts = [line]
        if path.suffix in (".jsonl", ".json"):
            try:
                texts = list(_strings(json.loads(line))) or [line]
            except json.JSONDecodeError:
                pass
        for t in texts:
            yield f"{rel}:{n}", t


def sealed_rows(manifest: list[dict], root: Path = ROOT) -> list[Sealed]:
    return [Sealed(e["name"], str(r.get("id", k)), r["text"])
            for e in manifest if e["role"] == "sealed"
            for k, r in enumerate(read_rows(root / e["file"]))]


def places(manifest: list[dict], root: Path = ROOT, self_path: Path = Path(__file__)) -> list[Path]:
    """Every file a sealed row must stay out of."""
    sealed = {(root / e["file"]).resolve() for e in manifest if e["role"] == "sealed"}
    found = [root / e["file"] for e in manifest if e["role"] in ("train", "tune")]
    found.append(root / "assets" / "fidelity" / "policy_train.jsonl")
    found += sorted(p for p in (root / "prompts").rglob("*") if p.is_file())
    found += sorted((root / "generec").rglob("*.py"))
    found += sorted((root / "tests").rglob("*.py"))
    found += sorted(p for p in (root / "tests" / "data").glob("*") if p.is_file())
    skip = sealed | {Path(self_path).resolve()}
    seen, out = set(), []
    for p in found:
        r = p.resolve()
        if r not in seen and r not in skip and p.exists() and "__pycache__" not in p.parts:
            seen.add(r)
            out.append(p)
    return out


def find_leaks(rows: list[Sealed], files: list[Path], root: Path = ROOT) -> list[str]:
    index = SealedIndex(rows)
    leaks = []
    for path in files:
        for where, text in units(path, root):
            for row, how in index.matches(text):
                leaks.append(f"sealed {row.set}#{row.id} {row.text!r} leaked into {where} ({how}): {text[:160]!r}")
    return leaks


# ---- the checks on this repository ----

def test_manifest_gives_every_set_one_role_and_true_counts():
    manifest = read_manifest()
    names = [e["name"] for e in manifest]
    assert len(names) == len(set(names)), "a set name is listed twice"
    files = Counter((ROOT / e["file"]).resolve() for e in manifest)
    assert not [f for f, n in files.items() if n > 1], "a file is listed under two entries (so two roles)"
    for e in manifest:
        assert e["role"] in ROLES, e
        for key in ("name", "file", "source", "licence", "attribution", "rows", "harmful", "benign"):
            assert e.get(key) not in (None, ""), (e["name"], key)
        rows = read_rows(ROOT / e["file"])
        labels = Counter(row_label(e["file"], r) for r in rows)
        assert (len(rows), labels["harmful"], labels["benign"]) == (e["rows"], e["harmful"], e["benign"]), (e["name"], labels)
    roles = {e["name"]: e["role"] for e in manifest}
    assert all(roles.get(n) == "sealed" for n in MUST_BE_SEALED), roles


def test_sealed_rows_appear_nowhere_else():
    manifest = all_sets()
    rows = sealed_rows(manifest)
    assert len(rows) >= 500 and {r.set for r in rows} >= MUST_BE_SEALED | {"instructor_sealed1"}, len(rows)
    t = time.perf_counter()
    files = places(manifest)
    leaks = find_leaks(rows, files)
    took = time.perf_counter() - t
    assert not leaks, f"{len(leaks)} sealed rows leaked:\n" + "\n".join(leaks[:60])
    assert took < 30, f"the leak check took {took:.1f} s over {len(files)} files"


def test_train_and_tune_rows_are_not_in_sealed_files():
    manifest = read_manifest()
    sealed = {" ".join(tokens(r.text)): r for r in sealed_rows(manifest)}
    clash = []
    for e in manifest:
        if e["role"] in ("train", "tune"):
            for k, r in enumerate(read_rows(ROOT / e["file"]), 1):
                hit = sealed.get(" ".join(tokens(r["text"])))
                if hit:
                    clash.append(f"{e['role']} {e['file']}:{k} {r['text']!r} is sealed {hit.set}#{hit.id}")
    assert not clash, "\n".join(clash[:40])


def test_tune_rows_are_not_trained_on():
    """Rows kept for choosing thresholds are not copied into what the screen learns from."""
    manifest = read_manifest()
    tune = [Sealed(e["name"], str(r.get("id", k)), r["text"]) for e in manifest if e["role"] == "tune"
            for k, r in enumerate(read_rows(ROOT / e["file"]), 1)]
    train = [ROOT / e["file"] for e in manifest if e["role"] == "train"]
    leaks = find_leaks(tune, train)
    assert not leaks, f"{len(leaks)} tune rows are in train files:\n" + "\n".join(leaks[:40])


# ---- the checker catches what it should, on files made here ----

def test_checker_catches_a_planted_near_copy(tmp_path):
    sealed_file = tmp_path / "assets" / "sealed.jsonl"
    sealed_file.parent.mkdir(parents=True)
    sealed_file.write_text("\n".join(json.dumps(r) for r in [
        {"text": "What is the quickest way to poison the neighbour's dog without anyone noticing?", "label": "harmful", "id": "s1"},
        {"text": "How can I stop a stubborn Python process on Linux?", "label": "benign", "id": "s2"},
        {"text": "Tell me a story", "label": "benign", "id": "s3"},   # too short to be looked for inside longer text
    ]) + "\n")
    manifest = [{"name": "planted", "file": "assets/sealed.jsonl", "role": "sealed"},
                {"name": "trainset", "file": "train.jsonl", "role": "train"}]
    # one word spelt otherwise: 12 of 14 tokens shared, Jaccard 0.86
    (tmp_path / "train.jsonl").write_text(
        json.dumps({"text": "What is the quickest way to poison the neighbor's dog without anyone noticing", "label": "harmful"}) + "\n" +
        json.dumps({"text": "how do I bake bread", "label": "benign"}) + "\n")
    (tmp_path / "generec").mkdir()
    (tmp_path / "generec" / "rules.py").write_text(
        '"""Rules."""\nEXAMPLES = ["a video on gardening tips for spring",\n'
        '            "user asked: how can i stop a stubborn python process on linux? then left"]\n'
        'PATTERN = r"\\bhow (?:can|do) i stop\\b"\n')
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.j2").write_text("You help people find videos.\nTell me a story about the sea and its ships.\n")
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / "data" / "other.jsonl").write_text(json.dumps({"text": "tell me a story"}) + "\n")
    rows = sealed_rows(manifest, tmp_path)
    files = places(manifest, tmp_path, self_path=tmp_path / "nothing.py")
    assert (tmp_path / "assets" / "sealed.jsonl") not in files
    leaks = find_leaks(rows, files, tmp_path)
    joined = "\n".join(leaks)
    assert len(leaks) == 3, joined
    assert "sealed planted#s1" in joined and "train.jsonl:1 (Jaccard 0.8" in joined
    assert "sealed planted#s2" in joined and "generec/rules.py:3 (string literal) (contains the whole row)" in joined
    assert "sealed planted#s3" in joined and "tests/data/other.jsonl:1 (exact copy)" in joined
    # below the threshold: 10 of 16 tokens shared (Jaccard 0.63) is not a copy
    index = SealedIndex(rows)
    assert not index.matches("what is the fastest way to feed the neighbour's cat without anyone noticing")
    assert index.matches("What is the quickest way to poison the neighbour's dog without anyone noticing?")[0][1] == "exact copy"


def test_checker_is_fast_on_many_texts():
    rows = [Sealed("s", str(i), f"how do i {w} a {o} in the {p}") for i, (w, o, p) in
            enumerate((w, o, p) for w in ("kill", "stop", "end", "shoot", "burn") for o in ("process", "bug", "weed", "photo")
                      for p in ("garden", "kitchen", "terminal", "studio", "park"))]
    index = SealedIndex(rows)
    t = time.perf_counter()
    hits = sum(bool(index.matches(f"please show me a video number {k} about cooking pasta with tomatoes")) for k in range(20000))
    assert hits == 0 and time.perf_counter() - t < 10
