"""Item vectors in PostgreSQL with pgvector: one table per kind, an HNSW index, shared by processes.

The same interface as the FAISS `VectorIndex`, so the catalog and the feed do not know which
one runs. Each process keeps a copy of the vectors in memory, because the feed scores every
visible item on each request; `changed_on_disk()` asks for the newest change number and
`reload()` fetches only rows changed since. Every write takes a change number from one
sequence while a process holds the table's advisory lock (`writing()`), so change numbers
commit in order and a reader that has seen number n has seen every change before it.
A removed item keeps its row with a NULL vector, so other processes learn of the removal.
`search()` asks the HNSW index (approximate; `bench ann` measures its recall).
"""
from __future__ import annotations

import zlib
from contextlib import contextmanager

import numpy as np
from sqlalchemy import text

from .index import _key

EF_SEARCH = 100


def _literal(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(v, np.float32).ravel()) + "]"


def _parse(s: str) -> np.ndarray:
    return np.array(s.strip("[]").split(","), dtype=np.float32)


def stored_dim(engine, kind: str) -> int | None:
    """The dimension of the `kind` vectors a database holds (None: no such table yet)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attname = 'v'"),
                            {"t": f"item_vectors_{kind}"}).scalar()


class PgVectorIndex:
    def __init__(self, engine, kind: str, dim: int):
        if kind not in ("text", "image"):
            raise ValueError(f"unknown vector kind {kind!r}")
        self.engine, self.kind, self.dim = engine, kind, dim
        self.table = f"item_vectors_{kind}"
        self._lock_key = zlib.crc32(self.table.encode())
        self.ids: dict[int, str] = {}
        self._vecs: dict[str, np.ndarray] = {}
        self._seq = 0
        self._create()
        self.reload()

    def _create(self) -> None:
        with self.engine.begin() as conn:
            try:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
            except Exception as exc:
                raise RuntimeError(
                    "this PostgreSQL has no pgvector extension: install it on the server "
                    "(https://github.com/pgvector/pgvector, or a distribution's postgresql-NN-pgvector), "
                    "or keep vectors in FAISS files with GENEREC_VECTORS=faiss") from exc
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._lock_key})  # one creator at a time
            conn.execute(text("CREATE SEQUENCE IF NOT EXISTS item_vectors_seq"))
            conn.execute(text(f"CREATE TABLE IF NOT EXISTS {self.table} (item_id text PRIMARY KEY, "
                              f"v vector({self.dim}), seq bigint NOT NULL)"))
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {self.table}_hnsw ON {self.table} "
                              f"USING hnsw (v vector_ip_ops)"))
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {self.table}_seq ON {self.table} (seq)"))
        dim = stored_dim(self.engine, self.kind)
        if dim != self.dim:
            raise RuntimeError(f"{self.table} holds {dim}-dim vectors but the model makes {self.dim}: "
                               f"drop the table or rebuild with `python -m generec corpus build`")

    # -- the shared state ----------------------------------------------------------------
    def changed_on_disk(self) -> bool:
        with self.engine.connect() as conn:
            newest = conn.execute(text(f"SELECT coalesce(max(seq), 0) FROM {self.table}")).scalar()
        return int(newest) > self._seq

    def reload(self, path=None) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT item_id, CAST(v AS text), seq FROM {self.table} WHERE seq > :s "
                                     f"ORDER BY seq"), {"s": self._seq}).all()
        for item_id, v, seq in rows:
            if v is None:
                self._vecs.pop(item_id, None)
                self.ids.pop(_key(item_id), None)
            else:
                self._vecs[item_id] = _parse(v)
                self.ids[_key(item_id)] = item_id
            self._seq = max(self._seq, int(seq))

    @contextmanager
    def writing(self):
        """Hold the table's advisory lock (other processes' writers wait) for the block."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": self._lock_key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_key})
                conn.commit()

    def save(self, path=None) -> None:
        """Nothing to do: every change is committed when it is made."""

    # -- the VectorIndex interface --------------------------------------------------------
    def __len__(self) -> int:
        return len(self._vecs)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._vecs

    def add(self, item_ids: list[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, np.float32).reshape(len(item_ids), self.dim)
        rows = [{"i": i, "v": _literal(v)} for i, v in zip(item_ids, vectors)]
        with self.engine.begin() as conn:
            for r in rows:
                seq = conn.execute(text(
                    f"INSERT INTO {self.table} (item_id, v, seq) VALUES (:i, CAST(:v AS vector), nextval('item_vectors_seq')) "
                    f"ON CONFLICT (item_id) DO UPDATE SET v = EXCLUDED.v, seq = EXCLUDED.seq RETURNING seq"), r).scalar()
                if int(seq) == self._seq + 1:   # nothing of others' in between: no need to read it back
                    self._seq = int(seq)
        for i, v in zip(item_ids, vectors):
            self._vecs[i] = v
            self.ids[_key(i)] = i

    def remove(self, item_ids: list[str]) -> int:
        present = [i for i in item_ids if i in self._vecs]
        with self.engine.begin() as conn:
            for i in item_ids:
                conn.execute(text(f"UPDATE {self.table} SET v = NULL, seq = nextval('item_vectors_seq') "
                                  f"WHERE item_id = :i AND v IS NOT NULL"), {"i": i})
        for i in present:
            del self._vecs[i]
            self.ids.pop(_key(i), None)
        return len(present)

    def vector(self, item_id: str) -> np.ndarray | None:
        return self._vecs.get(item_id)

    def vectors(self, item_ids: list[str]) -> np.ndarray:
        rows = [self._vecs[i] for i in item_ids if i in self._vecs]
        return np.array(rows, dtype=np.float32).reshape(-1, self.dim)

    def search(self, query: np.ndarray, k: int = 10, ef_search: int = EF_SEARCH) -> list[tuple[str, float]]:
        q = _literal(query)
        with self.engine.begin() as conn:
            conn.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
            rows = conn.execute(text(f"SELECT item_id, -(v <#> CAST(:q AS vector)) FROM {self.table} "
                                     f"WHERE v IS NOT NULL ORDER BY v <#> CAST(:q AS vector) LIMIT :k"),
                                {"q": q, "k": int(k)}).all()
        return [(i, float(s)) for i, s in rows]
