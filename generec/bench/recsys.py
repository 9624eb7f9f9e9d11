"""`bench recsys` (MovieLens accuracy, coverage, speed per model) and `bench index` (ANN at scale).

Protocol (recsys): ratings >= 4 are the positives; each user's latest 20% of them (by time) is
held out; every model ranks the whole catalogue for every tested user, minus the items that user
has in training. Item vectors embed "title (year). Genres: ..." with the bundled MiniLM, cached
in `--cache-dir`; without them the content parts drop out and the run says so.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

MODELS = ("pop", "itemknn", "ease", "als", "content", "hybrid")


def rank_users(model, users: list, k: int, batch: int = 256) -> dict:
    """Top-k item ids per user, seen items excluded; the batch twin of `Recommender.recommend`."""
    idx = model.users.lookup(users)
    ids = np.asarray(model.items.ids, dtype=object)
    out = {}
    for a in range(0, len(users), batch):
        S = model.score_users(idx[a:a + batch])
        flat = np.ptp(S, axis=1) == 0
        S[flat] = model.pop  # the same no-signal fallback as recommend()
        rows = model.user_rows(idx[a:a + batch])
        S[rows.nonzero()] = -np.inf
        top = np.argpartition(-S, k - 1, axis=1)[:, :k]
        for r, t in enumerate(top):
            t = t[np.lexsort((t, -S[r, t]))]
            out[users[a + r]] = ids[t].tolist()
    return out


def run_recsys(dataset: str, models=MODELS, cache_dir: Path | None = None, vectors: bool = True,
               diversity: float = 0.0, log=print) -> dict:
    from threadpoolctl import threadpool_limits

    from ..recsys.data import item_vectors, load
    from ..recsys.factory import DEFAULT, make_recommender
    from ..recsys.metrics import coverage, evaluate
    from ..recsys.rerank import intra_list_diversity, novelty
    from ..recsys.split import positives, temporal_split

    data = load(dataset)
    train, test = temporal_split(positives(data.ratings))
    V, note = None, "item vectors: MiniLM over title + genres"
    if vectors:
        try:
            V = item_vectors(data, cache_dir or Path("data/cache/recsys"))
        except Exception as exc:  # the embedder is optional here: report and run without it
            note = f"no item vectors ({type(exc).__name__}: {exc}); content parts off"
            models = [m for m in models if m != "content"]
    else:
        note, models = "no item vectors (--no-vectors); content parts off", [m for m in models if m != "content"]
    log(f"{dataset}: {len(train)} train positives, {sum(map(len, test.values()))} held out for {len(test)} users, "
        f"{len(data.item_ids)} items; {note}")
    users = list(test)
    rng = np.random.default_rng(0)
    results = {}
    for name in models:
        model = make_recommender(name)
        t0 = time.perf_counter()
        model.fit(train, data.item_ids, V)
        fit_s = time.perf_counter() - t0
        rankings = rank_users(model, users, 20)
        metrics = evaluate(rankings, test, (10, 20))
        lat = []
        # One request is served on one thread; BLAS threads only add hand-off cost to a tiny product.
        with threadpool_limits(1, "blas"):
            for u in rng.choice(users, size=min(200, len(users)), replace=False).tolist():
                t0 = time.perf_counter()
                model.recommend(u, k=10)
                lat.append(time.perf_counter() - t0)
        metrics.update(coverage=coverage(rankings, len(data.item_ids), 10),
                       novelty=novelty(rankings, dict(zip(model.items.ids, model.pop.tolist())), len(model.users), 10),
                       fit_s=fit_s, p50_ms=1000 * float(np.median(lat)))
        if V is not None:
            metrics["diversity"] = intra_list_diversity(rankings, model.item_vectors, model.items.lookup, 10)
        results[name] = {k: round(v, 4) for k, v in metrics.items()}
        log(f"  {name:8s} " + "  ".join(f"{k}={v}" for k, v in results[name].items()))
        if diversity > 0 and name == DEFAULT and V is not None:
            # The MMR knob through the public call; it only re-orders, so fit time is the model's.
            t0 = time.perf_counter()
            mmr_rank = {u: [i for i, _ in model.recommend(u, k=20, diversity=diversity)] for u in users}
            per_user_ms = 1000 * (time.perf_counter() - t0) / len(users)
            m2 = evaluate(mmr_rank, test, (10, 20))
            m2.update(coverage=coverage(mmr_rank, len(data.item_ids), 10),
                      novelty=novelty(mmr_rank, dict(zip(model.items.ids, model.pop.tolist())), len(model.users), 10),
                      fit_s=fit_s, p50_ms=per_user_ms,
                      diversity=intra_list_diversity(mmr_rank, model.item_vectors, model.items.lookup, 10))
            key = f"{name}+mmr{diversity:g}"
            results[key] = {k: round(v, 4) for k, v in m2.items()}
            log(f"  {key} (p50_ms column = mean ms per user) " + "  ".join(f"{k}={v}" for k, v in results[key].items()))
    return {"dataset": dataset, "protocol": "positives = rating >= 4; last 20% per user by time held out; "
            "full ranking; training items excluded; recall@k = hits / min(k, held out)",
            "vectors": note, "models": results, "default": DEFAULT}


def _table(res: dict) -> str:
    cols = ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "coverage", "novelty", "diversity", "fit_s", "p50_ms"]
    lines = [f"{res['dataset']}  ({res['vectors']})", f"{'model':14s}" + "".join(f"{c:>11s}" for c in cols)]
    for name, m in res["models"].items():
        mark = "*" if name == res["default"] else " "
        lines.append(f"{name + mark:14s}" + "".join(f"{m.get(c, float('nan')):11.4f}" for c in cols))
    return "\n".join(lines + ["* default model"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("recsys", help="MovieLens accuracy / coverage / speed per model")
    r.add_argument("--dataset", default="ml-100k", choices=("ml-100k", "ml-latest-small"))
    r.add_argument("--models", default=",".join(MODELS), help="comma list of " + ",".join(MODELS))
    r.add_argument("--cache-dir", type=Path, default=None, help="where item embeddings are cached")
    r.add_argument("--no-vectors", action="store_true", help="skip the text embedder (content parts off)")
    r.add_argument("--diversity", type=float, default=0.0, help="also report the default model with MMR at this knob")
    r.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    i = sub.add_parser("index", help="ANN index build time, memory, latency and recall at scale")
    i.add_argument("--items", type=int, default=1_000_000)
    i.add_argument("--dim", type=int, default=384)
    i.add_argument("--queries", type=int, default=500)
    i.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    log = (lambda *a, **k: print(*a, file=sys.stderr, **k)) if args.json else print
    if args.what == "recsys":
        cache = args.cache_dir
        if cache is None:
            from ..config import Settings

            cache = Settings.from_env().data_dir / "cache" / "recsys"
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        res = run_recsys(args.dataset, models, cache, not args.no_vectors, args.diversity, log)
        print(json.dumps(res) if args.json else _table(res))
        return 0
    from .ann import bench_index

    res = bench_index(args.items, args.dim, args.queries, log=log)
    print(json.dumps(res) if args.json else "\n".join(f"{k:>16s}: {v}" for k, v in res.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
