"""Vector index over items: FAISS inner-product search keyed by item id, persisted in the data dir.

Rows are L2-normalised, so inner product is cosine. `IndexIDMap2(IndexFlatIP)` allows adding
and removing single items without a rebuild (generated items join and leave the corpus at run
time). Item ids are strings; FAISS wants int64, so ids map through a stable 63-bit hash and
the mapping is saved beside the index.

Several processes may share one data dir (the app, `generec create`, queue workers). Each keeps
its copy in memory; `changed_on_disk()` tells when another process has saved since this one
loaded or saved, and `reload()` takes the new files in place (objects holding this index keep
working). The catalog serialises writers with a file lock (`Catalog.writing`).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
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
        self.path: Path | None = None
        self._stamp = None    # the ids file's (inode, mtime, size) when this copy matched the disk

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

    def save(self, path: Path | None = None) -> None:
        """Both files are replaced atomically, the vectors first and the ids last (readers check
        that the two agree, and a writer holds the catalog's lock, so no reader sees a mix)."""
        path = Path(path or self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        self._faiss.write_index(self.index, str(tmp))
        os.replace(tmp, path)
        ids_tmp = path.with_suffix(".ids.tmp")
        ids_tmp.write_text(json.dumps({"dim": self.dim, "ids": list(self.ids.values())}))
        os.replace(ids_tmp, path.with_suffix(".ids.json"))
        self.path, self._stamp = path, _stamp(path)

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        idx = cls(json.loads(path.with_suffix(".ids.json").read_text())["dim"])
        idx.reload(path)
        return idx

    def reload(self, path: Path | None = None) -> None:
        """Read the saved files into this object (in place). A writer in another process may be
        between its two renames: then the pair disagrees for a moment, and the read is tried again."""
        path = Path(path or self.path)
        for attempt in range(40):
            stamp = _stamp(path)
            meta = json.loads(path.with_suffix(".ids.json").read_text())
            index = self._faiss.read_index(str(path))
            ids = {_key(i): i for i in meta["ids"]}
            if index.ntotal == len(ids) and meta["dim"] == self.dim and _stamp(path) == stamp:
                self.index, self.ids, self.path, self._stamp = index, ids, path, stamp
                return
            time.sleep(0.05)
        raise RuntimeError(f"index {path} holds {index.ntotal} vectors of {meta['dim']} dims but {len(ids)} ids "
                           f"(expected {self.dim} dims): rebuild with `python -m generec corpus build`")

    @contextmanager
    def writing(self):
        """Hold the data dir's index lock (a file lock, so other processes wait too)."""
        lock = Path(self.path).parent / ".write.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def changed_on_disk(self) -> bool:
        """Whether another process saved this index since this copy was loaded or saved."""
        return self.path is not None and _stamp(self.path) != self._stamp

    @classmethod
    def open(cls, path: Path, dim: int) -> "VectorIndex":
        if path.with_suffix(".ids.json").exists():
            return cls.load(path)
        idx = cls(dim)
        idx.path = path
        return idx


def _stamp(path: Path):
    try:
        st = path.with_suffix(".ids.json").stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def open_index(settings, store, kind: str, dim: int):
    """The catalog's `kind` ("text" or "image") index on the configured backend (`GENEREC_VECTORS`)."""
    if settings.vector_backend == "pgvector":
        from .pgvector import PgVectorIndex

        return PgVectorIndex(store.engine, kind, dim)
    return VectorIndex.open(settings.index_dir / f"{kind}.faiss", dim)
