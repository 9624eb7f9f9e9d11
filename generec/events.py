"""What a chat turn emits, in order, for any front end (Gradio, CLI, tests) to render.

Domain code yields these plain records; it never builds UI objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Union

from .types import Item


@dataclass
class Step:
    """A visible step of work: what was understood, which tool ran, how long it took."""
    title: str
    detail: str = ""
    status: Literal["pending", "done", "error"] = "done"
    seconds: float | None = None


@dataclass
class Say:
    text: str


@dataclass
class ShowItem:
    item: Item
    why: str
    media: Path | None = None     # None: an item without a video (a MovieLens title); set by app.present
    cover: Path | None = None
    badge: str = ""        # "AI-generated" / "AI-edited" for generated items
    checks: list[str] | None = None   # one line per fidelity check, shown beside a generated item


@dataclass
class Problem:
    """Something the user sent could not be used: what went wrong and what to do instead."""
    text: str


Event = Union[Step, Say, ShowItem, Problem]
