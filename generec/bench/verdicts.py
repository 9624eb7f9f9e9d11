"""`python -m generec bench verdicts --set FILE`: verdicts in words told apart from requests, on
turns that other people wrote and labelled.

The set is JSONL, one user turn per line: `text`, `feedback` (true when the turn gives a like or a
dislike on what was just recommended), `polarity` (like, dislike, mixed or ""), `request` (it
also asks for something) and `role` (`tune` or `sealed`; a row without one takes its file's role
in tests/data/MANIFEST.json). Rows may also carry `shown` (the titles on screen, in order) and
`target` (the index of the one the verdict is about, the liked one of a mixed verdict). Each turn
goes through the reader the chat uses (`instructor.verdicts.read`). Printed per role, with n and
Wilson 95 % intervals:
- feedback-versus-not accuracy (a verdict found exactly when the turn gives one), beside the
  baseline that never finds one,
- precision and recall of the verdicts found,
- polarity accuracy on the turns where a verdict was rightly found (mixed ones left out),
- requests left to plan: of the turns that also ask for something, how many keep a request part;
- the right item: of the verdicts with a `target`, how many the reader found and pointed, through the
  chat's own `refs.resolve` and text embedder over the shown titles (their corpus tags when the
  built corpus has them), at that item.

Sets: the shipped on-screen ones, `tests/data/verdicts_fresh.jsonl` (tune) and
`verdicts_sealed1.jsonl` (sealed), and ReDial seeker turns with IARD's human intent codes (ACC/REJ
are feedback, AskForRec a request), built by `scripts/verdict_set.py`; IARD's annotations are
non-commercial, so that one is not shipped: pass its path.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..instructor import verdicts
from .evaluate import load_requests
from .fidelity import wilson


def _rate(k: int, n: int) -> dict:
    lo_hi = wilson(k, n)
    return {"k": k, "n": n, "rate": round(k / n, 3) if n else None, "ci95": [round(x, 3) for x in lo_hi] if lo_hi else None}


def _right_item(rows: list[dict], found: list, embed, tags: dict[str, list[str]]) -> dict:
    """Of the feedback rows with a target, how many resolve to it: the first verdict of the row's
    polarity (a like for mixed) the reader `found`, its pointer resolved among the shown items."""
    from ..instructor.refs import resolve
    from ..types import Item

    aimed = [(r, v) for r, (v, _) in zip(rows, found) if r.get("feedback") and r.get("target") is not None and r.get("shown")]
    hit = 0
    for r, read in aimed:
        shown = {f"shown-{k}": Item(id=f"shown-{k}", title=t, tags=tags.get(t, [])) for k, t in enumerate(r["shown"])}
        want = "dislike" if r["polarity"] == "dislike" else "like"
        first = next((v for v in read if v.kind == want), None)
        if first is not None and resolve(first.pointer, list(shown), shown, embed) == f"shown-{r['target']}":
            hit += 1
    return _rate(hit, len(aimed))


def score(rows: list[dict], embed=None, tags: dict[str, list[str]] | None = None) -> dict:
    """The figures above; with a text `embed`der, also the right item (rows with a `target`)."""
    found = [verdicts.read(r["text"], r.get("shown")) for r in rows]
    said = [bool(v) for v, _ in found]
    truth = [bool(r["feedback"]) for r in rows]
    tp = sum(s and t for s, t in zip(said, truth))
    polar = [(v, r) for (v, _), s, r in zip(found, said, rows) if s and r["feedback"] and r["polarity"] in ("like", "dislike")]
    right_polarity = sum(all(x.kind == r["polarity"] for x in v) for v, r in polar)
    asks = [(v, rest) for (v, rest), r in zip(found, rows) if r.get("request")]
    out = {"accuracy": _rate(sum(s == t for s, t in zip(said, truth)), len(rows)),
           "baseline_never_a_verdict": _rate(sum(not t for t in truth), len(rows)),
           "precision": _rate(tp, sum(said)), "recall": _rate(tp, sum(truth)),
           "polarity": _rate(right_polarity, len(polar)),
           "requests_kept": _rate(sum(bool(rest) for _, rest in asks), len(asks))}
    if embed is not None:
        out["right_item"] = _right_item(rows, found, embed, tags or {})
    return out


def mistakes(rows: list[dict], n: int = 12) -> list[dict]:
    out = []
    for r in rows:
        v, rest = verdicts.read(r["text"], r.get("shown"))
        if bool(v) != bool(r["feedback"]):
            out.append({"text": r["text"][:140], "labelled": r.get("codes") or r["feedback"], "read": [x.kind for x in v]})
    return out[:n]


def embedder_and_tags(settings=None):
    """The chat's text embedder (as configured) and the built corpus's tags by title (none when unbuilt)."""
    from ..config import Settings
    from ..models.embed import load_text_embedder

    settings = settings or Settings.from_env()
    tags = {}
    if (settings.data_dir / "generec.db").is_file() or not settings.db_url.startswith("sqlite"):
        from ..store import open_store

        with open_store(settings.db_url) as store:
            tags = {it.title: list(it.tags) for it in store.list_items(visible_to=None)}
    return load_text_embedder(settings.embedder, settings.threads).encode, tags


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench verdicts", description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, help="JSONL of labelled user turns (see the module doc)")
    ap.add_argument("--role", choices=["tune", "sealed", "all"], default="tune", help="which part to score (sealed: once, on what lands)")
    ap.add_argument("--mistakes", action="store_true", help="also list misread turns (never for the sealed part)")
    args = ap.parse_args(argv)
    if args.set is None:
        print("(no labelled set given: --set FILE; the ReDial + IARD set is not shipped, see the README)")
        return 0
    from .instructor import role_of

    default_role = role_of(args.set)
    default_role = "tune" if default_role == "unlisted" else default_role
    rows = load_requests(args.set)
    embed, tags = embedder_and_tags() if any(r.get("target") is not None for r in rows) else (None, {})
    out = {}
    for role in (["tune", "sealed"] if args.role == "all" else [args.role]):
        part = [r for r in rows if r.get("role", default_role) == role]
        if not part:
            continue
        out[role] = score(part, embed, tags)
        if args.mistakes and role == "tune":
            out["tune_mistakes"] = mistakes(part)
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0
