"""Starting the chat app: `build` wires GeneRec to the Gradio demo, `launch` serves it behind the door.

On a fresh data dir (a new Space) the corpus is built first, so the app never starts empty.
The models warm up while the page is built, and `launch` serves the page only once they are warm,
so the first answer a person waits for is a warm one (a warm-up still running when the page first
answered made the first model-planned answer 5-7 s instead of about 2 s).
`app.py` at the top of the repository and `python -m generec serve` both come here.
"""
from __future__ import annotations

import os
import threading
import time

from ..config import Settings

for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("GRADIO_ANALYTICS_ENABLED", "False")):
    os.environ.setdefault(_k, _v)


WARM_WAIT_S = 300.0


def build(settings: Settings | None = None):
    from ..app import GeneRec
    from ..ui.chat import build_demo

    settings = settings or Settings.from_env()
    app = GeneRec(settings)
    if not app.store.list_items(visible_to=None):
        from .bootstrap import build_corpus

        build_corpus(settings, app=app)
    warming = threading.Thread(target=app.warm_up, name="llm-warm-up", daemon=True)
    warming.start()
    demo = build_demo(app)
    demo.generec = app   # the launcher needs the app for the door's routes and sign-in
    demo.generec_warming = warming
    return demo, settings


def launch(settings: Settings | None = None, **kw):
    """Start the app. Who may come in and what may be fetched is decided by `generec.ui.access`:
    nothing in the data dir is served by Gradio; item media go through `/media/<id>`, which checks
    the requester; a non-loopback address needs sign-in."""
    from ..ui.access import launch_options

    demo, settings = build(settings)
    t0 = time.monotonic()
    demo.generec_warming.join(timeout=WARM_WAIT_S)   # warming is best effort: after this long, serve anyway
    print(f"models warm in {time.monotonic() - t0:.1f} s after the page was built "
          f"(steps, s: {getattr(demo.generec, 'warm_times', {})})", flush=True)
    opts = {**launch_options(demo.generec, settings), **kw}
    demo.queue(default_concurrency_limit=4, max_size=4 * settings.max_waiting).launch(
        server_name=settings.host, server_port=settings.port, **opts)
    return demo

