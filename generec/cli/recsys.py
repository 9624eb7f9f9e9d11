"""`python -m generec recsys retrain|status`: fold the interaction log into the feed's recommender.

`retrain` fits the default hybrid on every event the store holds and saves it in
`<data dir>/recsys/`; a running app picks the new model up at its next request (no restart).
`status` says what the saved model covers and how many events arrived since.
"""
from __future__ import annotations

import argparse
import json
import sys


def _live(settings):
    from ..recsys.index import VectorIndex
    from ..store import open_store
    from ..recsys.live import LiveModel

    store = open_store(settings.db_url)
    path = settings.index_dir / "text.faiss"
    if not path.exists():
        raise RuntimeError(f"no corpus index in {settings.index_dir}: run `python -m generec corpus build` first")
    index = VectorIndex.load(path)
    return store, LiveModel(store, index, settings.data_dir / "recsys" / "live-hybrid.pkl", threads=min(2, settings.threads))


def main(argv: list[str] | None = None) -> int:
    from ..config import Settings

    ap = argparse.ArgumentParser(prog="generec recsys", description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["retrain", "status"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    store, live = _live(settings)
    try:
        if args.action == "retrain":
            out = {"corpus": settings.corpus, **live.retrain()}
        else:
            loaded = live._load_if_newer()
            last = store.last_event_id()
            out = {"corpus": settings.corpus, "saved": str(live.path) if loaded else None,
                   "covers_events_up_to_id": live.fit_mark if loaded else 0, "newest_event_id": last}
    finally:
        store.close()
    print(json.dumps(out) if args.json else "  ".join(f"{k}={v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
