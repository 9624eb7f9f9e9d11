"""Plain records passed between layers: items, interactions, users.

They carry data only (no I/O), so every layer from the store up to the UI can share them.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Origin = Literal["human", "ai_edited", "ai_created"]
Visibility = Literal["public", "private"]
EventKind = Literal["impression", "play", "watch", "like", "dislike", "skip"]

ORIGINS: tuple[str, ...] = ("human", "ai_edited", "ai_created")
EVENT_KINDS: tuple[str, ...] = ("impression", "play", "watch", "like", "dislike", "skip")


@dataclass
class Item:
    id: str
    title: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # what an image model sees in its frames
    media_path: str = ""          # mp4, relative to the data dir when inside it
    cover_path: str = ""          # jpg, same rule
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    has_audio: bool = False
    origin: Origin = "human"
    parent_id: str | None = None
    licence: str = ""
    attribution: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    visibility: Visibility = "public"
    owner: str | None = None      # user who made a generated item; None for corpus items
    source: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)

    def text(self) -> str:
        """What the text embedder reads for this item."""
        seen = f" Seen: {', '.join(self.labels)}." if self.labels else ""
        return f"{self.title}. {self.description} Tags: {', '.join(self.tags)}.{seen}"

    @property
    def from_corpus(self) -> bool:
        """A public corpus item: made by people, owned by no user, admitted with the corpus."""
        return self.origin == "human" and self.owner is None and self.visibility == "public"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Item":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass
class Interaction:
    user: str
    item_id: str
    kind: EventKind
    value: float | None = None    # watch seconds for "watch"; None otherwise
    at: float = field(default_factory=time.time)
    session: str | None = None


@dataclass
class User:
    name: str
    display: str = ""
    simulated: bool = False       # persona whose history is simulated, labelled so in the UI
    bio: str = ""
    preferences: dict[str, Any] = field(default_factory=dict)  # stated: include/avoid lists, real_only flag
    created_at: float = field(default_factory=time.time)
