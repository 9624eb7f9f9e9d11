"""Side panels of the chat: the profile card and the corpus table, as plain Markdown/rows."""
from __future__ import annotations

from ..app import GeneRec, UserError


def profile_markdown(app: GeneRec, name: str) -> str:
    try:
        p = app.profile_summary(name)
    except (UserError, KeyError):
        return f"No profile called “{name}”."
    lines = [f"### {p['display']}"]
    if p["bio"]:
        lines.append(p["bio"])
    if p["simulated"]:
        lines.append(f"*Persona with a **simulated** history ({p['simulated_events']} simulated events); your own clicks add real ones.*")
    fmt = lambda xs: ", ".join(xs[-6:]) if xs else "—"  # noqa: E731
    lines += [f"**Likes:** {fmt(p['liked'])}", f"**Dislikes:** {fmt(p['disliked'])}",
              f"**Tastes so far:** {fmt(p['tastes'])}", f"**Avoids:** {fmt(p['avoids'])}"]
    prefs = p["preferences"] or {}
    if prefs.get("include") or prefs.get("avoid"):
        lines.append(f"**You said:** more {fmt(prefs.get('include', []))}; less {fmt(prefs.get('avoid', []))}")
    return "  \n".join(lines)


def corpus_rows(app: GeneRec) -> list[list]:
    return [[it.id, it.title, ", ".join(it.tags[:5]), round(it.duration_s, 1), it.origin, it.licence]
            for it in app.store.list_items(visible_to=None)[:2000]]   # a large catalogue (MovieLens) is cut to its first 2,000
