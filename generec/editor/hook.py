"""How the app and the command line call the editor: requests from a user's profile, results back.

`request_for` builds an `EditRequest` for a corpus item or an uploaded file, carrying the
user's taste as the editor uses it: from `recsys.profile.taste`, the mean image feature of the
covers of the items they liked (visual) and those items' texts. `summary` is an edited item as
the instructor's tool reports it. The chat's edit tool itself is `generec.app.tools.edit_item`.
"""
from __future__ import annotations

from pathlib import Path

from ..recsys.profile import Taste, taste
from .base import EditError, EditRequest


def request_for(catalog, store, user: str, *, item_id: str | None = None, video: str | None = None,
                instruction: str = "", style: str | None = None, query: str | None = None, image_model=None) -> EditRequest:
    if bool(item_id) == bool(video):
        raise EditError("say which video to edit: a corpus item id or an uploaded file (one of them)")
    item = None
    if item_id:
        item = store.get_item(item_id)
        if item is None or (item.visibility == "private" and item.owner != (user or None)):
            raise EditError(f"there is no item “{item_id[:60]}” to edit; pick one from the feed or upload a video")
        if not item.media_path:
            raise EditError(f"the item “{item_id}” has no video to edit")
        path = catalog.path(item.media_path)
    else:
        path = Path(video).expanduser()
    # the visual taste (liked covers) and the liked texts; a missing cover only leaves that item out
    t = taste(catalog, user, image_model) if image_model is not None and store is not None else Taste()
    return EditRequest(source_path=path, source_item=item, user=user or "", instruction=instruction or "",
                       style=style, query=query, taste=t.cover, liked_text=t.liked_texts)


def summary(item) -> dict:
    return {"id": item.id, "title": item.title, "parent_id": item.parent_id, "media": item.media_path,
            "cover": item.cover_path, "duration_s": item.duration_s, "origin": item.origin,
            "licence": item.licence, "attribution": item.attribution}
