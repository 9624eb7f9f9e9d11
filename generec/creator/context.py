"""What a creation needs from the rest of the app, gathered once: settings, corpus, LLM, backends.

`CreatorContext` holds the catalog (optional: with none the creator uses icons, stills and
procedural backgrounds only), the LLM (anything with `.json(system, user, schema,
max_tokens)`, or None for the template path), the visual backend (`compose` or
`diffusers:<model id or folder>`) and the voice (`piper`, `espeak`, `none`). The visual
library (shot index, icon index, stills) is built lazily and kept for later jobs.
A viewer's taste comes from `recsys.profile.taste` (the one taste, shared with the editor),
read from the interaction log through the store the catalog holds.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from ..config import Settings
from .visuals import Library, Taste


@dataclass
class CreatorContext:
    settings: Settings
    catalog: Any = None
    llm: Any = None
    visuals: str = "compose"
    voice: str = "piper"
    persist: bool = False                # add the created item to the store and indexes
    checks: bool = True                  # fidelity checks: screen the request, seal the result (issue 7)
    notes: list[str] = field(default_factory=list)
    _library: Library | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_app(cls, app, llm=None, **kw) -> "CreatorContext":
        return cls(settings=app.settings, catalog=app.catalog, llm=llm, **kw)

    @property
    def embedder(self):
        if self.catalog is not None:
            return self.catalog.text_model
        from ..models.embed import load_text_embedder

        return load_text_embedder(self.settings.embedder, self.settings.threads)

    def library(self, log: Callable[[str], None] = lambda s: None) -> Library:
        with self._lock:
            if self._library is None:
                self._library = self._build_library(log)
            return self._library

    def _build_library(self, log) -> Library:
        from .assets import AssetMissing, IconIndex, stills
        from .shots import ShotIndex

        emb = self.embedder
        cache = self.settings.data_dir / "creator"
        shots = None
        if self.catalog is not None:
            items = self.catalog.store.list_items()
            shots = ShotIndex.open(items, self.catalog.path, emb, self.catalog.image_model, cache, log=log)
        try:
            icons = IconIndex.open(self.settings.data_dir / "cache", emb)
        except AssetMissing as exc:  # still make videos: backgrounds, stills and footage remain
            icons = None
            self.notes.append(f"no icons: {exc}")
        return Library(emb, shots, icons, stills())

    def taste(self, user: str | None) -> tuple[Taste, dict]:
        """The viewer's taste vectors and the hint (liked/avoided tags) the storyboard sees."""
        from ..recsys.profile import taste

        t = taste(self.catalog, user)   # the catalog's vectors are enough here: no image model
        return (Taste(t.like_text, t.dislike_text, t.like_image, t.dislike_image, t.likes, t.avoids),
                {"likes": t.likes, "avoids": t.avoids})
