"""The AI editor: turn a corpus item or an uploaded video into new, personalised items.

Ops (one module each): thumbnail (frame matching the user's visual taste), clip (themed
shorts from a long video), restyle (named looks, speed, 9:16 reframing, optional diffusion),
caption (burned-in subtitles, title and description rewritten in a tone). Every op takes an
`EditRequest` and an `EditContext` and returns new private `Item`s whose parent is the source;
nothing here touches the corpus: the caller decides whether to add them.
"""
from __future__ import annotations

from importlib import import_module

from ..media import MediaError
from ..types import Item
from .base import EditContext, EditError, EditRequest, check_source

OPS = ("thumbnail", "clip", "restyle", "caption")

__all__ = ["OPS", "EditContext", "EditError", "EditRequest", "run_edit"]


def run_edit(op: str, req: EditRequest, ctx: EditContext) -> list[Item]:
    if op not in OPS:
        raise EditError(f"unknown edit “{op}”; choose one of: {', '.join(OPS)}")
    info = check_source(req.source_path, ctx.settings)  # limits first: no work on a file we will refuse
    try:
        return import_module(f"{__name__}.{op}").run(req, ctx, info)
    except MediaError as exc:   # frames that could not be decoded: said in the editor's own terms
        raise EditError(str(exc)) from exc
