"""An item as the chat shows it: the one place a `ShowItem` gets its media, badge and check lines.

Domain code (the instructor's search, the editor, the creator's job) yields `ShowItem(item, why)`;
the turn passes every one through `present`, so a retrieved, an edited and a created item carry
the same provenance badge (`fidelity.provenance.badge`) and, for AI-made items, their report.
"""
from __future__ import annotations

from ..events import ShowItem
from ..fidelity.gate import report_lines
from ..fidelity.provenance import badge


def present(ev: ShowItem, catalog) -> ShowItem:
    it = ev.item
    media = catalog.path(it.media_path) if it.media_path else None   # a MovieLens title has none: a text card
    cover = catalog.path(it.cover_path) if it.cover_path else None
    return ShowItem(it, ev.why, media, cover, badge(it.origin), report_lines(it))
