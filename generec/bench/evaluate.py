"""Offline evaluation of request -> guidance planners against a labelled set of requests.

`run` calls a planner on every request and times it; `score` compares its guidance with the
gold labels (action accuracy, edit_op accuracy, slot precision/recall/F1 and an action
confusion matrix); `report_table` lines several backends up side by side.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Any, Callable

from generec.instructor.guidance import ACTIONS

STR_SLOTS = ("query", "style", "mood", "item_ref")
SLOTS = (*STR_SLOTS, "duration_s", "include", "avoid")
STOPWORDS = frozenset(
    "a an the of to in on at for with and or me my some something stuff thing video videos vid clip clips "
    "please pls show find give i want like just".split())


def load_requests(path: str | Path) -> list[dict]:
    """Read a JSONL file of {"text", "context"?, "gold", "tags"?} rows; blank lines are skipped."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: {exc.msg}") from exc
    return rows


def _tokens(text: str) -> set[str]:
    """Lowercased word tokens with a trailing plural 's' dropped; stopwords go unless nothing else is left."""
    raw = {t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t
           for t in re.findall(r"[a-z0-9]+", str(text).lower())}
    return (raw - STOPWORDS) or raw


def _token_f1(gold: str, pred: str) -> float:
    g, p = _tokens(gold), _tokens(pred)
    common = len(g & p)
    return 0.0 if not common else 2 * common / (len(g) + len(p))


def _norm_item(x: Any) -> str:
    return " ".join(sorted(_tokens(x)))


def _slot_counts(slot: str, gold: Any, pred: Any) -> tuple[int, int, int]:
    """(tp, fp, fn) for one slot of one request. A wrong non-null value is both an FP and an FN."""
    if slot in ("include", "avoid"):
        g = {_norm_item(x) for x in gold or []}
        p = {_norm_item(x) for x in pred or []}
        return len(g & p), len(p - g), len(g - p)
    if gold is None and pred is None:
        return 0, 0, 0
    if gold is None:
        return 0, 1, 0
    if pred is None:
        return 0, 0, 1
    if slot == "duration_s":
        try:
            ok = abs(float(pred) - float(gold)) <= 0.1 * abs(float(gold))
        except (TypeError, ValueError):
            ok = False
    else:
        ok = _token_f1(gold, pred) >= 0.5
    return (1, 0, 0) if ok else (0, 1, 1)


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def score(golds: list[dict], preds: list[dict | None], latencies: list[float] | None = None) -> dict:
    """Compare predicted guidance dicts with gold ones. A None prediction (planner failed) counts as action "invalid"."""
    if len(golds) != len(preds):
        raise ValueError(f"{len(golds)} golds but {len(preds)} predictions")
    labels = [*ACTIONS, "invalid"]
    confusion = {g: {p: 0 for p in labels} for g in ACTIONS}
    counts = {s: [0, 0, 0] for s in SLOTS}
    right = edits = edits_right = 0
    for gold, pred in zip(golds, preds):
        pred = pred or {}
        pa = pred.get("action") if pred.get("action") in ACTIONS else "invalid"
        confusion[gold["action"]][pa] += 1
        right += pa == gold["action"]
        if gold["action"] == "edit":
            edits += 1
            edits_right += pred.get("edit_op") == gold["edit_op"]
        for s in SLOTS:
            for i, v in enumerate(_slot_counts(s, gold.get(s), pred.get(s))):
                counts[s][i] += v
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    out = {
        "n": len(golds),
        "action_accuracy": right / len(golds) if golds else 0.0,
        "edit_op_accuracy": edits_right / edits if edits else 1.0,
        "slot_f1": _prf(*total)["f1"],
        "slots": {s: _prf(*c) for s, c in counts.items()},
        "confusion": confusion,
        "invalid": sum(row["invalid"] for row in confusion.values()),
    }
    if latencies:
        lat = sorted(latencies)
        out["latency_p50_s"] = statistics.median(lat)
        out["latency_p95_s"] = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    return out


def run(plan_fn: Callable[[str, dict], Any], requests: list[dict]) -> tuple[list[dict | None], list[float]]:
    """Call plan_fn(text, context) on every request; an exception gives a None prediction, not a crash."""
    preds, latencies = [], []
    for req in requests:
        t0 = time.perf_counter()
        try:
            pred = plan_fn(req["text"], req.get("context") or {})
            pred = pred.to_dict() if hasattr(pred, "to_dict") else pred
        except Exception:  # noqa: BLE001 - a failing backend is a measured outcome
            pred = None
        latencies.append(time.perf_counter() - t0)
        preds.append(pred if isinstance(pred, dict) else None)
    return preds, latencies


def report_table(results_by_backend: dict[str, dict]) -> str:
    """One row per backend: accuracies, micro slot F1, per-slot F1 and latency when measured."""
    head = ["backend", "n", "action", "edit_op", "slotF1", *SLOTS, "invalid", "p50 s", "p95 s"]
    rows = []
    for name, r in results_by_backend.items():
        lat = [f"{r[k]:.2f}" if k in r else "-" for k in ("latency_p50_s", "latency_p95_s")]
        rows.append([name, str(r["n"]), f"{r['action_accuracy']:.3f}", f"{r['edit_op_accuracy']:.3f}",
                     f"{r['slot_f1']:.3f}", *(f"{r['slots'][s]['f1']:.2f}" for s in SLOTS), str(r.get("invalid", 0)), *lat])
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *map(fmt, rows)])
