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
    return build_demo(app), settings


def allowed_paths(settings: Settings) -> list[str]:
    """What Gradio may serve: the data dir and the media dir, each as given and resolved. Gradio
    resolves links before it checks a path, so a media dir that is a link (to a bigger disk, a
    Space's persistent storage) must be allowed where it really is, or its videos are refused."""
    dirs = [settings.data_dir, settings.media_dir]
    out: list[str] = []
    for d in dirs + [Path(d).resolve() for d in dirs]:
        if str(d) not in out:
            out.append(str(d))
    return out


def launch(settings: Settings | None = None, **kw):
    demo, settings = build(settings)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=settings.host, server_port=settings.port, allowed_paths=allowed_paths(settings), **kw)
    return demo


if __name__ == "__main__":
    launch()
