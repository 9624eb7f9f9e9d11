"""`bench recsys` (MovieLens accuracy, coverage, speed per model) and `bench index` (ANN at scale).

Protocol (recsys): ratings >= 4 are the positives; each user's latest 20% of them (by time) is
held out (`--split global`: the latest 20 % of the whole log, one cut in time); every model ranks
the whole catalogue for every tested user, minus the items that user has in training. Every model
gets the same recency weighting (`--decay`, the hybrid's 0.9 by default). Each figure carries a 95 %
bootstrap interval over users, and each model its paired difference to the default model;
`--ablate` adds EASE without decay and the hybrid without each of its parts. Item vectors embed
"title (year). Genres: ..." with the bundled MiniLM, cached in `--cache-dir`; without them the
content parts drop out and the run says so. `--models ...,sasrec` adds the SASRec sequential
baseline (`bench/sasrec.py`), trained on the same training split; minutes on CPU, so opt-in.
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


def bootstrap_ci(values, n: int = 1000, seed: int = 0, groups=None) -> tuple[float, float]:
    """95 % percentile interval of the mean of `values` (one per user), users resampled with replacement.
    With `groups` (one label per value), whole groups are resampled instead (a cluster bootstrap):
    users of one group share a taste, so they are not independent draws, and the interval widens."""
    v = np.asarray(values, float)
    if len(v) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    if groups is None:
        means = v[rng.integers(0, len(v), size=(n, len(v)))].mean(axis=1)
    else:
        labels = np.asarray(groups)
        members = [np.flatnonzero(labels == g) for g in dict.fromkeys(labels.tolist())]
        draws = rng.integers(0, len(members), size=(n, len(members)))
        means = np.array([v[np.concatenate([members[j] for j in row])].mean() for row in draws])
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def _specs(models, decay: float, ablate: bool) -> list[tuple[str, str, dict]]:
    """(label, model name, constructor args): every model under the same decay, then the ablations."""
    from ..recsys.hybrid import WEIGHTS

    out = [(m, m, {"decay": decay}) for m in models]
    if ablate:
        if decay != 1.0 and "ease" in models:
            out.append(("ease-nodecay", "ease", {"decay": 1.0}))
        if "hybrid" in models:
            out += [(f"hybrid-no-{p}", "hybrid", {"decay": decay, "weights": {q: (0.0 if q == p else w) for q, w in WEIGHTS.items()}})
                    for p in WEIGHTS]
    return out


def run_recsys(dataset: str, models=MODELS, cache_dir: Path | None = None, vectors: bool = True,
               diversity: float = 0.0, log=print, decay: float = 0.9, split: str = "user", ablate: bool = False) -> dict:
    from threadpoolctl import threadpool_limits

    from ..recsys.data import item_vectors, load
    from ..recsys.factory import DEFAULT, make_recommender
    from ..recsys.metrics import coverage, evaluate
    from ..recsys.rerank import intra_list_diversity, novelty
    from ..recsys.metrics import ndcg_at_k, recall_at_k
    from ..recsys.split import global_split, positives, temporal_split

    data = load(dataset)
    train, test = (global_split if split == "global" else temporal_split)(positives(data.ratings))
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
    results, intervals, per_user = {}, {}, {}
    for label, name, kw in _specs(models, decay, ablate):
        if name == "sasrec":   # the sequential baseline lives in the bench, not in the factory
            from .sasrec import SASRec

            model = SASRec(**kw)
        else:
            model = make_recommender(name, **kw)
        t0 = time.perf_counter()
        model.fit(train, data.item_ids, V)
        fit_s = time.perf_counter() - t0
        if name == "sasrec":
            log(f"  sasrec: {model.best_epochs} epochs chosen on validation inside training {model.history}; fit {fit_s:.0f}s")
        rankings = rank_users(model, users, 20)
        metrics = evaluate(rankings, test, (10, 20))
        per_user[label] = {"ndcg@10": np.array([ndcg_at_k(rankings.get(u, []), test[u], 10) for u in users]),
                           "recall@10": np.array([recall_at_k(rankings.get(u, []), test[u], 10) for u in users])}
        intervals[label] = {f"{m}_ci95": [round(x, 4) for x in bootstrap_ci(v)] for m, v in per_user[label].items()}
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
        results[label] = {k: round(v, 4) for k, v in metrics.items()}
        log(f"  {label:8s} " + "  ".join(f"{k}={v}" for k, v in results[label].items()) + f"  {intervals[label]}")
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
    base = per_user.get(DEFAULT)
    for label in per_user:   # paired over the same users: is the default model's lead real?
        intervals[label]["ndcg@10_minus_default_ci95"] = None if base is None else \
            [round(x, 4) for x in bootstrap_ci(per_user[label]["ndcg@10"] - base["ndcg@10"])]
    held = "the latest 20% of the whole log (one cut in time)" if split == "global" else "last 20% per user by time"
    return {"dataset": dataset, "protocol": f"positives = rating >= 4; {held} held out; full ranking; training items "
            f"excluded; recall@k = hits / min(k, held out); every model with recency decay {decay}; 95 % bootstrap "
            f"intervals over {len(users)} users (1000 resamples)", "split": split, "decay": decay, "users": len(users),
            "vectors": note, "models": results, "intervals": intervals, "default": DEFAULT}


def tune_blend(dataset: str, cache_dir: Path | None = None, vectors: bool = True, decays=(1.0, 0.9, 0.8),
               grid=(0.0, 0.5, 1.0), content_grid=(0.0, 0.2, 0.5), log=print) -> dict:
    """How the hybrid's constants are chosen (`bench recsys --tune`): on a validation split inside
    the training data (each user's last 20 % of training positives), never the test split. Each
    decay refits the parts once; every blend of the grid then re-weights their unit-scaled scores
    (cold-start linking left out, as validation items are warm). Prints the best blends beside the
    shipped `hybrid.WEIGHTS`, NDCG@10 with a 95 % bootstrap interval over validation users."""
    import itertools

    from ..recsys.blend import unit_rows
    from ..recsys.data import item_vectors, load
    from ..recsys.factory import make_recommender
    from ..recsys.hybrid import WEIGHTS
    from ..recsys.metrics import ndcg_at_k
    from ..recsys.split import positives, temporal_split

    data = load(dataset)
    train, _ = temporal_split(positives(data.ratings))   # the test half is never read here
    inner, val = temporal_split(train)
    V = item_vectors(data, cache_dir or Path("data/cache/recsys")) if vectors else None
    users = list(val)
    names = [n for n in WEIGHTS if n != "content" or V is not None]
    rows_out = []
    for decay in decays:
        model = make_recommender("hybrid", decay=decay, weights={n: 1.0 for n in names}).fit(inner, data.item_ids, V)
        idx = model.users.lookup(users)
        rows = model.user_rows(idx)
        parts = {n: unit_rows(model.parts[n]._score_rows(rows, idx)) for n in names}
        seen = rows.nonzero()
        ids = np.asarray(model.items.ids, dtype=object)
        for combo in itertools.product(*[content_grid if n == "content" else grid for n in names]):
            if not any(combo):
                continue
            S = sum(w * parts[n] for n, w in zip(names, combo) if w)
            S[seen] = -np.inf
            top = np.argsort(-S, axis=1)[:, :10]
            per = np.array([ndcg_at_k(ids[t].tolist(), val[u], 10) for u, t in zip(users, top)])
            rows_out.append({"decay": decay, "weights": dict(zip(names, combo)), "ndcg@10": round(float(per.mean()), 4),
                             "ci95": [round(x, 4) for x in bootstrap_ci(per)]})
        log(f"  decay {decay}: {sum(r['decay'] == decay for r in rows_out)} blends scored")
    rows_out.sort(key=lambda r: -r["ndcg@10"])
    shipped = next((r for r in rows_out if r["decay"] == 0.9 and all(r["weights"][n] == WEIGHTS[n] for n in names)), None)
    return {"dataset": dataset, "validation_users": len(users), "best": rows_out[:8], "shipped": shipped, "blends": len(rows_out)}


def _table(res: dict) -> str:
    cols = ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "coverage", "novelty", "diversity", "fit_s", "p50_ms"]
    lines = [f"{res['dataset']}  ({res['vectors']}; {res.get('split', 'user')} split, decay {res.get('decay')}, {res.get('users')} users)",
             f"{'model':18s}" + "".join(f"{c:>11s}" for c in cols) + f"{'ndcg@10 95% CI':>20s}{'minus default':>20s}"]
    for name, m in res["models"].items():
        mark = "*" if name == res["default"] else " "
        ci = res.get("intervals", {}).get(name, {})
        span = lambda v: f"[{v[0]:.4f}, {v[1]:.4f}]" if v else "-"  # noqa: E731
        lines.append(f"{name + mark:18s}" + "".join(f"{m.get(c, float('nan')):11.4f}" for c in cols)
                     + f"{span(ci.get('ndcg@10_ci95')):>20s}{span(ci.get('ndcg@10_minus_default_ci95')):>20s}")
    return "\n".join(lines + ["* default model; intervals: 95 % bootstrap over users, the last one paired against the default"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("recsys", help="MovieLens accuracy / coverage / speed per model")
    r.add_argument("--dataset", default="ml-100k", choices=("ml-100k", "ml-latest-small"))
    r.add_argument("--models", default=",".join(MODELS), help="comma list of " + ",".join(MODELS) + "; add sasrec for the SASRec sequential "
                   "baseline (bench/sasrec.py: early-stopped inside training, minutes on CPU, so not in the default)")
    r.add_argument("--cache-dir", type=Path, default=None, help="where item embeddings are cached")
    r.add_argument("--no-vectors", action="store_true", help="skip the text embedder (content parts off)")
    r.add_argument("--diversity", type=float, default=0.0, help="also report the default model with MMR at this knob")
    r.add_argument("--decay", type=float, default=0.9, help="recency decay given to every model (1 = none)")
    r.add_argument("--split", default="user", choices=("user", "global"), help="hold out each user's latest 20 %% or the log's")
    r.add_argument("--ablate", action="store_true", help="also EASE without decay and the hybrid without each part")
    r.add_argument("--tune", action="store_true", help="choose the hybrid's decay and blend on a validation split inside training")
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
        if args.tune:
            res = tune_blend(args.dataset, cache, not args.no_vectors, log=log)
            print(json.dumps(res, indent=None if args.json else 1))
            return 0
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        res = run_recsys(args.dataset, models, cache, not args.no_vectors, args.diversity, log, args.decay, args.split, args.ablate)
        print(json.dumps(res) if args.json else _table(res))
        return 0
    from .ann import bench_index

    res = bench_index(args.items, args.dim, args.queries, log=log)
    print(json.dumps(res) if args.json else "\n".join(f"{k:>16s}: {v}" for k, v in res.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
