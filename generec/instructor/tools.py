"""The tools the instructor calls: typed, bounded LangChain tools that return data, never UI.

Tools are built per turn around `Deps` (who is asking, what they were shown), so the user
is never an argument the model can set: a tool cannot read another user's profile or
history. Edit and create report "unavailable" until an editor/creator is plugged in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field, constr

from ..config import Settings
from ..recsys.catalog import Catalog
from ..recsys.feed import Feed
from ..recsys.profile import build_profile
from ..store import Store
from ..types import Interaction
from . import offer
from .guidance import MAX_ITEM, MAX_LIST, MAX_STR

Short = constr(strip_whitespace=True, max_length=MAX_ITEM)
ItemId = constr(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")


EditTool = Callable[["Deps", str, str, dict], dict]   # (deps, item id or "upload", op, args) -> result dict
CreateTool = Callable[["Deps", dict], dict]          # (deps, args) -> result dict


@dataclass
class Deps:
    """What one turn's tools may use: the requester (set by the server), their session and
    upload, the stores, and the editor and creator tools the app plugs in (None: switched off)."""
    store: Store
    catalog: Catalog
    feed: Feed
    settings: Settings
    user: str
    session: str
    shown: list[str] = field(default_factory=list)
    image_vec: np.ndarray | None = None
    upload_video: str | None = None
    editor: EditTool | None = None
    creator: CreateTool | None = None


class RecommendArgs(BaseModel):
    query: str = Field("", max_length=MAX_STR, description="what to look for")
    include: list[Short] = Field(default_factory=list, max_length=MAX_LIST)
    avoid: list[Short] = Field(default_factory=list, max_length=MAX_LIST)
    k: int = Field(3, ge=1, le=6)


class EditArgs(BaseModel):
    item_id: ItemId
    op: Literal["clip", "thumbnail", "restyle", "caption"]
    style: str | None = Field(None, max_length=MAX_STR)
    query: str | None = Field(None, max_length=MAX_STR)
    duration_s: float | None = Field(None, gt=0, le=600)


class CreateArgs(BaseModel):
    query: str = Field(..., min_length=1, max_length=MAX_STR)
    style: str | None = Field(None, max_length=MAX_STR)
    mood: str | None = Field(None, max_length=MAX_STR)
    duration_s: float | None = Field(None, gt=0, le=120)
    include: list[Short] = Field(default_factory=list, max_length=MAX_LIST)
    avoid: list[Short] = Field(default_factory=list, max_length=MAX_LIST)


class RateArgs(BaseModel):
    item_id: ItemId
    kind: Literal["like", "dislike"]


class PreferenceArgs(BaseModel):
    include: list[Short] = Field(default_factory=list, max_length=MAX_LIST)
    avoid: list[Short] = Field(default_factory=list, max_length=MAX_LIST)
    real_only: bool | None = None


def make_tools(deps: Deps) -> dict[str, StructuredTool]:
    def recommend(query: str = "", include: list[str] = (), avoid: list[str] = (), k: int = 3) -> dict:
        prof = build_profile(deps.store, deps.user)
        real_only = bool((prof.user.preferences or {}).get("real_only"))
        picks = deps.feed.recommend(prof, query, deps.image_vec, k=k, include=list(include), avoid=list(avoid), real_only=real_only)
        return {"items": [{"id": p.item.id, "title": p.item.title, "why": p.why, "score": round(p.score, 3),
                           "relevance": round(p.parts.get("request", p.parts.get("image", 0.0)), 3)} for p in picks],
                "offer": not real_only and offer.DEFAULT(offer.answers_from_log(deps.store, deps.user, deps.session)),
                "real_only": real_only}

    def edit_item(item_id: str, op: str, style: str | None = None, query: str | None = None, duration_s: float | None = None) -> dict:
        if item_id not in deps.catalog.visible(deps.user):
            return {"status": "error", "message": f"there is no item {item_id!r} you can see"}
        if deps.editor is None:
            return {"status": "unavailable", "message": "the AI editor is not available yet"}
        return deps.editor(deps, item_id, op, {"style": style, "query": query, "duration_s": duration_s})

    def create_item(query: str, style: str | None = None, mood: str | None = None, duration_s: float | None = None,
                    include: list[str] = (), avoid: list[str] = ()) -> dict:
        if deps.creator is None:
            return {"status": "unavailable", "message": "the AI creator is not available yet"}
        return deps.creator(deps, {"query": query, "style": style, "mood": mood, "duration_s": duration_s,
                                   "include": list(include), "avoid": list(avoid)})

    def get_preferences() -> dict:
        u = deps.store.get_user(deps.user)
        return dict(u.preferences or {}) if u else {}

    def update_preferences(include: list[str] = (), avoid: list[str] = (), real_only: bool | None = None) -> dict:
        prefs = get_preferences()
        inc, av = list(prefs.get("include", [])), list(prefs.get("avoid", []))
        for w in include:
            av = [a for a in av if a != w]
            inc = [x for x in inc if x != w] + [w]
        for w in avoid:
            inc = [x for x in inc if x != w]
            av = [a for a in av if a != w] + [w]
        prefs.update(include=inc[-10:], avoid=av[-10:])
        if real_only is not None:
            prefs["real_only"] = bool(real_only)
        deps.store.set_preferences(deps.user, prefs)
        return prefs

    def rate_item(item_id: str, kind: str) -> dict:
        """A verdict in words, stored like the 👍/👎 buttons (for this user and session only)."""
        visible = deps.catalog.visible(deps.user)
        if item_id not in visible:
            return {"status": "error", "message": f"there is no item {item_id!r} you can see"}
        deps.store.record(Interaction(user=deps.user, item_id=item_id, kind=kind, session=deps.session))
        return {"status": "ok", "item_id": item_id, "title": visible[item_id].title, "kind": kind}

    def take_back_rating() -> dict:
        """Undo: remove this user's latest like or dislike in this session."""
        ev = deps.store.take_back(deps.user, deps.session, ["like", "dislike"])
        if ev is None:
            return {"status": "none"}
        item = deps.catalog.visible(deps.user).get(ev.item_id)
        return {"status": "ok", "item_id": ev.item_id, "kind": ev.kind, "title": item.title if item else ev.item_id}

    specs = [(recommend, RecommendArgs, "Find existing videos for the user's request, ranked with their profile."),
             (edit_item, EditArgs, "Repurpose an existing video: clip, thumbnail, restyle or caption."),
             (create_item, CreateArgs, "Make a brand-new short video for the user."),
             (rate_item, RateArgs, "Store the user's like or dislike of an item they were shown."),
             (take_back_rating, None, "Undo the user's latest like or dislike in this chat."),
             (get_preferences, None, "Read the current user's stated preferences."),
             (update_preferences, PreferenceArgs, "Remember what the current user wants more or less of.")]
    return {f.__name__: StructuredTool.from_function(func=f, name=f.__name__, description=d, args_schema=a) for f, a, d in specs}
