"""GeneRec's chat app: builds the Gradio demo; `python app.py` (or a Hugging Face Space) launches it.

On a fresh data dir (a new Space) the corpus is built first, so the app never starts empty.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from generec.config import Settings  # noqa: E402


def build(settings: Settings | None = None):
    from generec.service import GeneRec
    from generec.ui.chat import build_demo

    settings = settings or Settings.from_env()
    app = GeneRec(settings)
    if not app.store.list_items(visible_to=None):
        from generec.bootstrap import build_corpus

        build_corpus(settings, app=app)
    import threading

    threading.Thread(target=app.warm_up, name="llm-warm-up", daemon=True).start()
    demo = build_demo(app)
    demo.generec = app   # the launcher needs the app for the door's routes and sign-in
    return demo, settings


def launch(settings: Settings | None = None, **kw):
    """Start the app. Who may come in and what may be fetched is decided by `generec.ui.access`:
    nothing in the data dir is served by Gradio; item media go through `/media/<id>`, which checks
    the requester; a non-loopback address needs sign-in."""
    from generec.ui.access import launch_options

    demo, settings = build(settings)
    opts = {**launch_options(demo.generec, settings), **kw}
    demo.queue(default_concurrency_limit=4, max_size=4 * settings.max_waiting).launch(
        server_name=settings.host, server_port=settings.port, **opts)
    return demo


if __name__ == "__main__":
    launch()
