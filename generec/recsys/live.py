"""The live recommender: the default hybrid over the store's interaction log, kept current event by event.

What the chat's feed ranks with. It is fitted on every event the store holds (likes, dislikes,
skips, plays, watch time; MovieLens ratings arrive as likes/dislikes/plays), and then kept
current without a retrain: before each ranking, `sync` folds in the events stored since
(an *online update*: the user's row is edited, the very next call sees it) and the items that
joined the catalogue since (generated ones are cold: no interactions, so they rank by content).
`retrain` (on demand: `generec recsys retrain`, a corpus build; or in the background once
`retrain_after` events have piled up) fits afresh on the whole log and saves the model beside the
data, so another process (the app) picks it up at its next `sync` instead of fitting again.

The log is read from the store by row id (`Store.events_since`: id > last seen), so nothing
is read twice and concurrent writers are never missed; item vectors come from the catalogue's
text index, the same vectors the feed's request matching uses.
"""
from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from .factory import DEFAULT, make_recommender
from .feedback import event_weight
from .interactions import Interactions

log = logging.getLogger("generec.recsys")
FORMAT = 2            # bump when what `save` writes changes shape
RETRAIN_AFTER = 500   # online events after which a background retrain folds them in


def code_version() -> str:
    """A digest of the model code: a model pickled by other code is refitted, never half-loaded."""
    import hashlib

    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ("base.py", "hybrid.py", "models.py", "als.py", "content.py", "matrix.py", "interactions.py", "blend.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


class LiveModel:
    """The default recommender bound to a store and a vector index (thread-safe)."""

    def __init__(self, store, index, path: Path | None = None, name: str = DEFAULT, threads: int = 1,
                 retrain_after: int = RETRAIN_AFTER):
        self.store, self.index, self.path, self.name = store, index, Path(path) if path else None, name
        self.threads, self.retrain_after = max(1, int(threads)), retrain_after
        self.model = None
        self.watermark = 0          # highest interaction id folded in
        self.fit_mark = 0           # highest interaction id the fitted model was trained on
        self.online = 0             # events folded in online since the last fit
        self.fits = 0               # fits this process ran (a test can check nothing refitted)
        self._loaded_mtime = None
        self._durations: dict[str, float] = {}
        self._watched: dict[tuple[str, str], float] = {}   # (user, item) -> watch seconds folded in so far
        self._lock = threading.RLock()
        self._bg: threading.Thread | None = None

    # ---- fitting --------------------------------------------------------------------------
    def _weights(self, rows: list[tuple], watched: dict | None = None) -> tuple[list, list, list, list]:
        """Each row's signed weight (`feedback.event_weight`). A watch counts by the user's total
        time on the item, however many rows it came in (the player reports each stretch watched):
        a row adds what it changes in the weight of that total, so the rows of one full viewing
        sum to the weight of a full watch, not to many short ones. `watched` holds the totals
        before these rows ((user, item) -> seconds), updated in place."""
        watched = self._watched if watched is None else watched
        users, items, w, at = [], [], [], []
        for _, user, item, kind, value, t in rows:
            duration = self._durations.get(item) or None
            if kind == "watch" and value:
                before = watched.get((user, item))
                total = (before or 0.0) + float(value)
                watched[(user, item)] = total
                wt = event_weight(kind, total, duration) - (event_weight(kind, before, duration) if before is not None else 0.0)
            else:
                wt = event_weight(kind, value, duration)
            if wt:
                users.append(user)
                items.append(item)
                w.append(wt)
                at.append(t)
        return users, items, w, at

    def _catalogue(self) -> tuple[list[str], np.ndarray | None]:
        ids = list(self.index.ids.values())
        return ids, (self.index.vectors(ids) if ids else None)

    def _fit_new(self):
        """A freshly fitted model and the watermark it covers (no lock held: can run in the background)."""
        from threadpoolctl import threadpool_limits

        rows = self.store.events_since()
        self._durations = self.store.item_durations()
        watched: dict = {}
        users, items, w, at = self._weights(rows, watched)
        ids, V = self._catalogue()
        model = make_recommender(self.name)
        if hasattr(model, "parts") and "als" in model.parts:
            model.parts["als"].threads = self.threads
        with threadpool_limits(self.threads, "blas"):
            model.fit(Interactions(users, items, np.asarray(w, np.float32), np.asarray(at, np.float64)), ids, V)
        return model, (rows[-1][0] if rows else 0), len(users), watched

    def retrain(self, save: bool = True) -> dict:
        """Fit on the whole log now (the on-demand retrain); saves the model when it has a path."""
        t0 = time.perf_counter()
        model, mark, n, watched = self._fit_new()
        with self._lock:
            self.model, self.watermark, self.fit_mark, self.online, self._watched = model, mark, mark, 0, watched
            self.fits += 1
            fit_s = time.perf_counter() - t0
            if save and self.path:
                self.save()
        return {"model": self.name, "events": n, "items": len(model.items), "users": len(model.users),
                "fit_s": round(fit_s, 3), "saved": str(self.path) if (save and self.path) else None}

    def refresh(self) -> dict:
        """`retrain` unless the saved model already covers every stored event and catalogue item."""
        with self._lock:
            self._load_if_newer()
            m = self.model
            if (m is not None and self.fit_mark == self.store.last_event_id()
                    and all(m.items.get(i) is not None for i in self.index.ids.values())):
                return {"model": self.name, "items": len(m.items), "users": len(m.users), "fit_s": 0.0,
                        "saved": str(self.path) if self.path else None, "reused": True}
        return self.retrain()

    def _background_retrain(self):
        try:
            model, mark, _, watched = self._fit_new()
            with self._lock:
                if mark >= self.fit_mark:   # nothing newer was fitted meanwhile
                    # events after `mark` were folded into the old model only: the next sync re-reads them
                    self.model, self.watermark, self.fit_mark, self.online, self._watched = model, mark, mark, 0, watched
                    self.fits += 1
                    if self.path:
                        self.save()
        except Exception:  # a failed background fit leaves the online model serving
            log.exception("background retrain failed")

    # ---- persistence ----------------------------------------------------------------------
    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as f:
            pickle.dump({"format": FORMAT, "code": code_version(), "name": self.name, "watermark": self.fit_mark, "model": self.model,
                         "store": self.store.url}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)
        self._loaded_mtime = self.path.stat().st_mtime_ns

    def _load_if_newer(self) -> bool:
        if not self.path or not self.path.exists():
            return False
        mtime = self.path.stat().st_mtime_ns
        if mtime == self._loaded_mtime:
            return False
        try:
            with open(self.path, "rb") as f:
                saved = pickle.load(f)
        except Exception as exc:  # unreadable or from an older version: fit instead
            log.warning("ignoring saved model %s: %s", self.path, exc)
            self._loaded_mtime = mtime
            return False
        self._loaded_mtime = mtime
        if (saved.get("format"), saved.get("code"), saved.get("name"), saved.get("store")) != \
                (FORMAT, code_version(), self.name, self.store.url):
            return False
        if self.model is not None and saved["watermark"] < self.fit_mark:
            return False   # older than what this process already fitted
        if saved["watermark"] > self.store.last_event_id():
            return False   # fitted on a log this database no longer holds (it was rebuilt)
        mark = saved["watermark"]
        self.model, self.watermark, self.fit_mark, self.online = saved["model"], mark, mark, 0
        self._durations = self.store.item_durations()
        self._watched = self.store.watched_seconds(up_to=mark)   # the totals the saved model's watch rows add up to
        return True

    # ---- keeping current --------------------------------------------------------------------
    def sync(self) -> int:
        """Fold in new catalogue items and new events; returns how many events were applied."""
        with self._lock:
            self._load_if_newer()
            if self.model is None:
                self.retrain(save=bool(self.path))
            m = self.model
            new = [i for i in self.index.ids.values() if m.items.get(i) is None]
            if new:   # cold start: known to the model by content only
                m.add_items(new, self.index.vectors(new))
                fresh = set(new)
                self._durations.update({i: d for i, d in self.store.item_durations().items() if i in fresh})
            rows = self.store.events_since(self.watermark)
            users, items, w, at = self._weights(rows)
            for u, i, wt, t in zip(users, items, w, at):
                m.update(u, i, wt, t)
            if rows:
                self.watermark = rows[-1][0]
            self.online += len(users)
            if self.online >= self.retrain_after and (self._bg is None or not self._bg.is_alive()):
                self._bg = threading.Thread(target=self._background_retrain, name="recsys-retrain", daemon=True)
                self._bg.start()
            return len(users)

    # ---- what the feed asks ---------------------------------------------------------------
    def vectors(self, ids: list[str]) -> np.ndarray:
        """Item vectors for `ids` (zeros where the model has none); call after `sync`."""
        m = self.model
        idx = m.items.lookup(ids)
        V = m.item_vectors
        if V is None:
            return np.zeros((len(ids), self.index.dim), np.float32)
        out = np.zeros((len(ids), V.shape[1]), np.float32)
        ok = idx >= 0
        out[ok] = V[idx[ok]]
        return out

    def taste(self, user: str, ids: list[str], set_aside: Iterable[str] = ()) -> tuple[np.ndarray, str]:
        """The default model's scores for `user` over `ids`, best = 1, and where they come from
        (the recommender model's own view of the user, not `profile.taste`: that is their history as vectors and labels).

        "hybrid": the user has events; items they already have events on score 0 here (the model
        finds what is new to them; their own likes act in the feed's content terms).
        "popularity": no events yet (a new or unknown user); "none": nobody has any events.
        Events on `set_aside` items (a belief the user corrected) are left out of their row.
        """
        m = self.model
        idx = m.items.lookup(ids)
        ok = idx >= 0
        out = np.zeros(len(ids), np.float32)
        u = m.users.get(user)
        row = m.row(u) if u is not None else {}
        source = "none"
        if row:
            drop = {m.items.get(i) for i in set_aside} & set(row)
            if not drop:
                full = m.score_users(np.array([u]))[0]
            else:
                kept = {j: w for j, w in row.items() if j not in drop}
                full = m.score_row(kept) if kept else np.zeros(len(m.items), np.float32)
            out[ok] = full[idx[ok]]
            seen = np.isin(idx, np.fromiter(row, np.int64, len(row)))
            out[seen] = 0.0
            source = "hybrid"
        if not np.any(out[ok]):
            out[:] = 0.0
            out[ok] = m.pop[idx[ok]]
            source = "popularity" if np.any(out) else "none"
        top = float(np.abs(out).max()) if len(out) else 0.0
        return (out / top if top > 0 else out), source

    def because(self, user: str, item_id: str, candidates: Iterable[str]) -> str | None:
        """Of `candidates` (the user's liked items), the one most often liked together with
        `item_id` by other people (item-KNN similarity), or None when nothing links them."""
        m = self.model
        knn = getattr(m, "parts", {}).get("itemknn")
        if knn is None or not len(getattr(knn, "active", ())):
            return None
        j = m.items.get(item_id)
        pos = np.searchsorted(knn.active, j) if j is not None else -1
        if j is None or pos >= len(knn.active) or knn.active[pos] != j:
            return None
        cands = [c for c in candidates if m.items.get(c) is not None]
        if not cands:
            return None
        ci = m.items.lookup(cands)
        cp = np.searchsorted(knn.active, ci)
        inside = (cp < len(knn.active)) & (knn.active[np.minimum(cp, len(knn.active) - 1)] == ci)
        if not inside.any():
            return None
        col = np.asarray(knn.W[cp[inside]][:, pos].todense()).ravel()
        if col.max() <= 0:
            return None
        return [c for c, ok in zip(cands, inside) if ok][int(np.argmax(col))]

    def is_cold(self, item_id: str) -> bool:
        """No positive interaction from anyone in what the model was fitted on."""
        m = self.model
        j = m.items.get(item_id)
        return j is None or j >= len(m.pop) or m.pop[j] == 0

    def popularity(self) -> dict[str, float]:
        """Item id -> users with a positive event, as fitted (for novelty and exposure reports)."""
        m = self.model
        return dict(zip(m.items.ids, m.pop.tolist()))
