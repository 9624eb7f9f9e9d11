"""How the app and the command line call the editor: requests from a user's profile, results back.

`user_taste` computes what GeneRec calls the user's taste: the mean image feature of the
covers of the items they liked (visual) and those items' texts. `request_for` builds an
`EditRequest` for a corpus item or an uploaded file; `summary` is an edited item as the
instructor's tool reports it. The chat's edit tool itself is `generec.app.tools.edit_item`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..media import MediaError, load_image
from ..recsys.profile import build_profile
from .base import EditError, EditRequest


def user_taste(store, catalog, user: str, image_model) -> tuple[np.ndarray | None, list[str]]:
    """(visual taste or None when nothing liked has a cover, texts of the liked items)."""
    if not user or store.get_user(user) is None:
        return None, []
    prof = build_profile(store, user)
    liked = [it for it in (store.get_item(i) for i in prof.liked) if it is not None]
    covers = []
    for it in liked:
        if it.cover_path:
            try:
                covers.append(load_image(catalog.path(it.cover_path)))
            except (MediaError, OSError):
                continue  # a missing cover is no reason to refuse the edit
    taste = None
    if covers:
        v = image_model.analyse(covers, top=1).features.mean(axis=0)
        taste = v / max(float(np.linalg.norm(v)), 1e-12)
    return taste, [it.text() for it in liked]


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
    taste, liked = user_taste(store, catalog, user, image_model) if image_model is not None and store is not None else (None, [])
    return EditRequest(source_path=path, source_item=item, user=user or "", instruction=instruction or "",
                       style=style, query=query, taste=taste, liked_text=liked)


def summary(item) -> dict:
    return {"id": item.id, "title": item.title, "parent_id": item.parent_id, "media": item.media_path,
            "cover": item.cover_path, "duration_s": item.duration_s, "origin": item.origin,
            "licence": item.licence, "attribution": item.attribution}
