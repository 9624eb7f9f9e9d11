"""The approximate-nearest-neighbour index for a large catalogue, and its benchmark.

Up to ~100k items the app's exact `IndexIDMap2(IndexFlatIP)` answers in a few ms. Past that it
grows linearly (about 30 ms per query at 1M x 384-d), so at scale the app should switch to an
inverted-file index (IVF): k-means cells over the vectors, and a query scans only the `nprobe`
closest cells. IVF keeps what the flat index offers the app: add and remove by id with no
rebuild (generated items come and go). HNSW is as fast but cannot remove items.

The benchmark uses synthetic vectors shaped like text embeddings (a hierarchy of topics in a
low-dimensional subspace plus isotropic noise, calibrated so IVF recall matches real MiniLM
vectors at 10k), because no corpus of that size exists offline.
"""
from __future__ import annotations

import time

import numpy as np


def synthetic_vectors(n: int, dim: int = 384, seed: int = 0, latent: int = 48, topics: int = 1000,
                      spread: float = 0.8, chunk: int = 100_000) -> np.ndarray:
    """n L2-normalised float32 rows: a mixture of `topics` Gaussians in a `latent`-d subspace, plus noise.

    Continuous clusters (no discrete sub-clusters), so the search does not get easier as n grows.
    The defaults were calibrated on 10.5k real MiniLM vectors (MovieLens titles): IVF with
    nlist = 2 sqrt(n) reached recall@10 0.45/0.60/0.73/0.82/0.89 at nprobe 1/2/4/8/16 on them,
    and 0.52/0.61/0.70/0.78/0.86 on these (slightly harder, so the benchmark errs on the safe side).
    """
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, latent)))[0].T.astype(np.float32)  # latent x dim
    centres = rng.standard_normal((topics, latent)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        z = centres[rng.integers(0, topics, b - a)] + spread * rng.standard_normal((b - a, latent)).astype(np.float32)
        x = z @ basis + (0.15 * np.sqrt(latent / dim)) * rng.standard_normal((b - a, dim)).astype(np.float32)
        out[a:b] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def build_ivf(vectors: np.ndarray, ids: np.ndarray | None = None, nlist: int | None = None,
              train_size: int | None = None, seed: int = 0):
    """An inner-product IVF-Flat index with ids (removable), trained on a sample of `vectors`."""
    import faiss

    n, dim = vectors.shape
    nlist = nlist or max(16, int(2 * np.sqrt(n)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 10  # 10 k-means rounds are plenty to place cells; 25 (the default) doubles the build
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(n, size=min(n, train_size or 40 * nlist), replace=False)]
    index.train(sample)
    index.add_with_ids(vectors, np.arange(n, dtype=np.int64) if ids is None else ids.astype(np.int64))
    return index


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_index(n_items: int = 1_000_000, dim: int = 384, n_queries: int = 500, target: float = 0.95,
                threads: int = 2, log=print) -> dict:
    """Build time, memory, single-query p50 and recall@10 vs exact search, over an nprobe sweep."""
    import faiss

    faiss.omp_set_num_threads(threads)
    t0 = time.perf_counter()
    data = synthetic_vectors(n_items + n_queries, dim)
    base, queries = data[:n_items], data[n_items:]
    log(f"generated {n_items} x {dim} vectors in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    exact = faiss.IndexFlatIP(dim)
    exact.add(base)
    _, truth = exact.search(queries, 10)
    faiss.omp_set_num_threads(1)  # one request is served on one thread
    flat_ms = [_timed(exact, q, 10) for q in queries[:50]]
    faiss.omp_set_num_threads(threads)
    del exact
    log(f"exact ground truth in {time.perf_counter() - t0:.1f} s; flat p50 {np.median(flat_ms):.1f} ms/query")
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    index = build_ivf(base)
    build_s = time.perf_counter() - t0
    rss = _rss_mb() - rss0
    log(f"IVF{index.nlist},Flat built in {build_s:.1f} s, +{rss:.0f} MB resident")
    faiss.omp_set_num_threads(1)
    sweep, chosen = [], None
    for nprobe in (1, 2, 4, 8, 16, 32, 64, 128, 256):
        index.nprobe = nprobe
        lat, found = [], np.empty_like(truth)
        for r, q in enumerate(queries):
            t = time.perf_counter()
            found[r] = index.search(q[None, :], 10)[1][0]
            lat.append(time.perf_counter() - t)
        recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))
        row = {"nprobe": nprobe, "recall@10": round(recall, 4), "p50_ms": round(1000 * float(np.median(lat)), 3)}
        sweep.append(row)
        log(f"  nprobe {nprobe:4d}: recall@10 {row['recall@10']:.4f}, p50 {row['p50_ms']:.3f} ms")
        if recall >= target and chosen is None:
            chosen = row
        if recall >= 0.99:  # past the target, one more step shows the headroom; then stop
            break
    faiss.omp_set_num_threads(threads)
    return {"items": n_items, "dim": dim, "index": f"IVF{index.nlist},Flat (inner product)", "build_s": round(build_s, 1),
            "index_mb": round(n_items * (dim * 4 + 8) / 2**20, 1), "rss_increase_mb": round(rss, 1),
            "flat_p50_ms": round(float(np.median(flat_ms)), 2), "chosen": chosen, "sweep": sweep}


def _timed(index, q, k) -> float:
    t = time.perf_counter()
    index.search(q[None, :], k)
    return 1000 * (time.perf_counter() - t)
