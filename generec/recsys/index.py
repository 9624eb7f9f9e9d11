"""Vector index over items: FAISS inner-product search keyed by item id, persisted in the data dir.

Rows are L2-normalised, so inner product is cosine. `IndexIDMap2(IndexFlatIP)` allows adding
and removing single items without a rebuild (generated items join and leave the corpus at run
time). Item ids are strings; FAISS wants int64, so ids map through a stable 63-bit hash and
the mapping is saved beside the index.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def _key(item_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(item_id.encode(), digest_size=8).digest(), "little") >> 1


class VectorIndex:
    def __init__(self, dim: int):
        import faiss

        self.dim = dim
        self._faiss = faiss
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.ids: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, item_id: str) -> bool:
        return _key(item_id) in self.ids

    def add(self, item_ids: list[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(item_ids), self.dim)
        self.remove([i for i in item_ids if i in self])  # re-adding an id replaces its vector
        keys = np.array([_key(i) for i in item_ids], dtype=np.int64)
        self.index.add_with_ids(vectors, keys)
        self.ids.update(zip(keys.tolist(), item_ids))

    def remove(self, item_ids: list[str]) -> int:
        keys = [k for k in (_key(i) for i in item_ids) if k in self.ids]
        if keys:
            self.index.remove_ids(np.array(keys, dtype=np.int64))
            for k in keys:
                del self.ids[k]
        return len(keys)

    def vector(self, item_id: str) -> np.ndarray | None:
        k = _key(item_id)
        return self.index.reconstruct(k) if k in self.ids else None

    def vectors(self, item_ids: list[str]) -> np.ndarray:
        rows = [self.vector(i) for i in item_ids]
        return np.array([r for r in rows if r is not None], dtype=np.float32).reshape(-1, self.dim)

    def search(self, query: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        scores, keys = self.index.search(q, min(k, len(self.ids)))
        return [(self.ids[int(key)], float(s)) for s, key in zip(scores[0], keys[0]) if key != -1]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        self._faiss.write_index(self.index, str(tmp))
        os.replace(tmp, path)
        path.with_suffix(".ids.json").write_text(json.dumps({"dim": self.dim, "ids": list(self.ids.values())}))

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        meta = json.loads(path.with_suffix(".ids.json").read_text())
        idx = cls(meta["dim"])
        idx.index = idx._faiss.read_index(str(path))
        idx.ids = {_key(i): i for i in meta["ids"]}
        if idx.index.ntotal != len(idx.ids):
            raise RuntimeError(f"index {path} holds {idx.index.ntotal} vectors but {len(idx.ids)} ids: rebuild with `python -m generec corpus build`")
        return idx

    @classmethod
    def open(cls, path: Path, dim: int) -> "VectorIndex":
        return cls.load(path) if path.exists() else cls(dim)
