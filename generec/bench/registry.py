"""`python -m generec bench <what>`: one registry of benchmarks, each printing numbers.

`all` runs every benchmark whose code has landed, one after another.
"""
from __future__ import annotations

import importlib

from ..config import Settings

BENCHES = {
    "app": ("generec.bench.app", "main"),
    "recsys": ("generec.bench.recsys", "main"),
    "index": ("generec.bench.recsys", "main"),
    "instructor": ("generec.bench.instructor", "main"),
    "editor": ("generec.bench.editor", "main"),
    "creator": ("generec.bench.creator", "main"),
    "fidelity": ("generec.bench.fidelity", "main"),
    "feed": ("generec.bench.feed", "main"),
    "load": ("generec.bench.load", "main"),
    "checks": ("generec.bench.checks", "main"),
    "verdicts": ("generec.bench.verdicts", "main"),
    "scale": ("generec.bench.scale", "main"),
    "simusers": ("generec.bench.simusers", "main"),
    "items": ("generec.bench.items", "main"),
    "decode": ("generec.bench.decode", "main"),
}
ALL_ARGS = {"recsys": ["recsys", "--dataset", "ml-100k"], "index": ["index", "--items", "1000000"], "instructor": ["--turns", "20"],
            "load": ["--sessions", "4", "--turns", "3"], "checks": ["--items", "4"], "simusers": ["--users", "8", "--turns", "3"], "items": ["--quick"]}


def _entry(what: str):
    module, fn = BENCHES[what]
    return getattr(importlib.import_module(module), fn)


def run(what: str, rest: list[str], settings: Settings) -> int:
    if what == "all":
        rc = 0
        for name in BENCHES:
            print(f"\n=== bench {name} ===", flush=True)
            try:
                rc |= _entry(name)(ALL_ARGS.get(name, []))
            except ImportError as exc:
                print(f"(not available: {exc})")
        return rc
    if what not in BENCHES:
        raise ValueError(f"unknown benchmark {what!r}: one of all, {', '.join(BENCHES)}")
    argv = [what, *rest] if what in ("recsys", "index") else list(rest)
    return _entry(what)(argv)
