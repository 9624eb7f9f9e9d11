"""The corpora: the micro-video clips (default) and MovieLens, and the personas each one offers.

`build.py` / `sources.py` make the micro-video corpus (real clips; persona histories simulated),
`movielens.py` the movie corpus (`GENEREC_CORPUS=movielens`: real ratings, real users as personas).
"""
from __future__ import annotations

import json

from ..config import ROOT, Settings


def personas(settings: Settings) -> list[dict]:
    """The profiles a front end offers first: name, display (it says simulated or real), bio.

    Micro-video: the four personas of `assets/personas.json` (simulated histories). MovieLens:
    the real users the corpus build picked (`<data dir>/personas.json`; empty before a build).
    """
    if settings.corpus == "movielens":
        from .movielens import personas_path

        path = personas_path(settings)
        return json.loads(path.read_text()) if path.exists() else []
    return json.loads((ROOT / "assets" / "personas.json").read_text())
