"""The searchable corpus: items in the store, their text and image vectors in FAISS indexes.

Adding an item computes what search needs once: image labels and a pooled visual feature
over its cover and a few frames, and a text vector of its title, description, tags and
labels. Indexes are saved in `<data>/index/` after every change, so generated items can join
(and leave) the corpus at run time without a rebuild; `heal` gives vectors to an item a crash
left stored without them.

Vectors live in FAISS files by default, or in PostgreSQL with pgvector (`GENEREC_VECTORS`).
Other processes (a queue worker, `generec create`) may change the catalog: every change is
made under `writing()` (a lock across processes) on a copy first brought up to date, and
`refresh()` (called before each ranking) takes in what others saved.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..config import Settings
from .index import open_index
from ..media import load_image, read_frames
from ..models.embed import load_text_embedder
from ..models.vision import feature_dim, load_image_features
from ..types import Item


class Catalog:
    def __init__(self, settings: Settings, store):
        self.settings = settings
        self.store = store
        self.text_model = load_text_embedder(settings.embedder, settings.threads)
        self.text_index = open_index(settings, store, "text", self.text_model.dim)
        self.image_index = open_index(settings, store, "image", feature_dim(settings.image_features))
        self._lock = threading.RLock()  # FAISS add/remove and index files are not safe to touch concurrently

    @contextmanager
    def writing(self):
        """Change the vectors: this process's threads and other processes wait their turn, and the
        copy here is brought up to date first, so nobody's additions are overwritten."""
        with self._lock, self.text_index.writing():
            self._refresh_locked()
            yield
            self.save()

    def refresh(self) -> bool:
        """Take in vectors other processes saved since the last look; True when something changed."""
        with self._lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> bool:
        changed = False
        for idx in (self.text_index, self.image_index):
            if idx.changed_on_disk():
                idx.reload()
                changed = True
        return changed

    @property
    def image_model(self):
        # loaded on first use: a text-only session never pays for the vision model
        return load_image_features(self.settings.image_features, self.settings.threads)

    # -- paths -------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return self.settings.data_path(rel)

    # -- features ----------------------------------------------------------
    def embed_text(self, texts: list[str]) -> np.ndarray:
        return self.text_model.encode(texts)

    def analyse_images(self, images, top: int = 5):
        return self.image_model.analyse(images, top=top)

    def _visual(self, item: Item) -> tuple[np.ndarray, list[str]]:
        images = [load_image(self.path(item.cover_path))] if item.cover_path else []
        if item.media_path:
            images += read_frames(self.path(item.media_path), n=4, width=256).images()
        res = self.image_model.analyse(images, top=3)
        votes = Counter()
        for frame_labels in res.labels:
            for name, p in frame_labels:
                votes[name] += p
        # keep only labels the model is fairly sure of across frames: abstract visuals otherwise
        # collect confident-sounding nonsense ("abaya", "bra") that would pollute text search
        labels = [n for n, v in votes.most_common(3) if v / len(images) >= 0.25]
        vec = res.features.mean(axis=0)
        return vec / max(np.linalg.norm(vec), 1e-12), labels

    # -- corpus changes ----------------------------------------------------
    def add(self, items: list[Item], log=lambda s: None) -> None:
        visual = []
        for it in items:
            vec, labels = self._visual(it)
            if not it.labels:
                it.labels = labels
            visual.append(vec)
            log(f"features {it.id}: {', '.join(it.labels) or '-'}")
        text = self.embed_text([it.text() for it in items])
        self.store.add_items(items)
        with self.writing():
            ids = [it.id for it in items]
            self.text_index.add(ids, text)
            self.image_index.add(ids, np.array(visual, dtype=np.float32))

    def heal(self, log=lambda s: None) -> list[str]:
        """Items whose row was stored but whose vectors never were (the process died in between in
        `add`): compute their vectors now, so search finds every stored item. Returns their ids."""
        self.refresh()
        missing = [it for it in self.store.list_items(visible_to=None)
                   if it.id not in self.text_index or it.id not in self.image_index]
        done = []
        for it in missing:
            try:
                vec, _ = self._visual(it)
            except Exception as exc:  # noqa: BLE001 - a broken file stays unsearchable; say which
                log(f"item {it.id} has no vectors and its media cannot be read: {exc}")
                continue
            text = self.embed_text([it.text()])
            with self.writing():
                self.text_index.add([it.id], text)
                self.image_index.add([it.id], np.array([vec], dtype=np.float32))
            done.append(it.id)
        if done:
            log(f"vectors restored for {len(done)} item(s) stored without them: {', '.join(done)}")
        return done

    def remove(self, *item_ids: str) -> int:
        """Drop items (rows and vectors); the index files are written once. Returns how many had vectors."""
        with self.writing():
            found = max(self.text_index.remove(list(item_ids)), self.image_index.remove(list(item_ids)))
        for item_id in item_ids:
            self.store.remove_item(item_id)
        return found

    def save(self) -> None:
        self.text_index.save()
        self.image_index.save()

    # -- lookups -----------------------------------------------------------
    def item(self, item_id: str) -> Item | None:
        return self.store.get_item(item_id)

    def visible(self, user: str | None) -> dict[str, Item]:
        return {it.id: it for it in self.store.list_items(visible_to=user)}

    def text_vectors(self, ids: list[str]) -> np.ndarray:
        return self.text_index.vectors(ids)

    def image_vectors(self, ids: list[str]) -> np.ndarray:
        return self.image_index.vectors(ids)
