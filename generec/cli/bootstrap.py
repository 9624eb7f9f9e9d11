"""Turning built media into a live corpus: store rows, index vectors, and persona profiles.

`build_corpus` is what `python -m generec corpus build` and a fresh app start run. It is
idempotent: items whose media and text are unchanged are not featurised again. It ends with a
retrain of the feed's recommender over the whole interaction log (saved in `<data>/recsys/`).
With `GENEREC_CORPUS=movielens` it builds the movie corpus instead (`corpus/movielens.py`).
"""
from __future__ import annotations

import time
from pathlib import Path

from ..config import Settings


def build_corpus(settings: Settings, folder: str | None = None, manifest: str | None = None, app=None, log=print) -> dict:
    if settings.corpus == "movielens" and not folder:
        from ..corpus.movielens import build

        return build(settings, app.store if app is not None else None, log=log)
    from ..corpus.build import build_default, build_folder
    from ..app import GeneRec, seed_personas

    t0 = time.perf_counter()
    if folder:
        rep = build_folder(Path(folder), settings, Path(manifest) if manifest else None, log=log)
    else:
        rep = build_default(settings, Path(manifest) if manifest else None, log=log) if manifest else build_default(settings, log=log)
    app = app or GeneRec(settings)
    todo = []
    for it in rep.items:
        old = app.store.get_item(it.id)
        same = old is not None and (old.title, old.description, old.tags, old.media_path) == (it.title, it.description, it.tags, it.media_path)
        if not (same and it.id in app.catalog.text_index and it.id in app.catalog.image_index):
            todo.append(it)
    if todo:
        app.catalog.add(todo, log=log)
    personas = seed_personas(app)
    # the creator's visual library (shot index, OpenMoji icons, stills) is built once here,
    # so the first "make me a video" doesn't pay for it
    t_lib = time.perf_counter()
    try:
        from ..creator.context import CreatorContext

        CreatorContext.from_app(app, llm=None, visuals=settings.creator_visuals).library(log=log)
        library = f"ready in {time.perf_counter() - t_lib:.1f} s"
    except Exception as exc:  # the retrieval corpus is usable without it; say why it is missing
        library = f"not built: {type(exc).__name__}: {exc}"
        log(f"creator library {library}")
    # perceptual frame hashes of the human-made videos, so the first near-duplicate check is quick
    try:
        from ..fidelity.phash import build_corpus_index

        build_corpus_index(settings)
    except Exception as exc:  # the check hashes lazily instead; say why it could not now
        log(f"frame hashes not built: {type(exc).__name__}: {exc}")
    # the learned request screen is fitted once here (minutes on 2 cores), not at the app's first start
    t_screen = time.perf_counter()
    try:
        from ..fidelity.gate import context_for
        from ..fidelity.semantic import warm_up

        warm_up(context_for(settings))
        log(f"request screen ready in {time.perf_counter() - t_screen:.1f} s")
    except Exception as exc:  # the app fits it at its first start instead; say why it could not now
        log(f"request screen not fitted: {type(exc).__name__}: {exc}")
    # the LLM reads its long fixed prompts (the planner's, the policy judge's) once here and keeps the
    # evaluated state in <data>/cache/llm, so a first start answers in seconds instead of minutes
    t_llm = time.perf_counter()
    try:
        from ..fidelity.gate import context_for
        from ..fidelity.judge import verdict

        if app.instructor.planner.llm is not None:
            app.instructor.planner.plan("hello")
            verdict("hello", context_for(settings))
            log(f"LLM prompts read and kept in {time.perf_counter() - t_llm:.1f} s")
    except Exception as exc:  # the app reads them at its first start instead; say why it could not now
        log(f"LLM prompts not kept: {type(exc).__name__}: {exc}")
    # the recommender folds the whole log in now (and saves it), so the app starts without fitting
    try:
        recsys = app.feed.retrain()
    except Exception as exc:  # the feed fits on first use instead; say why it could not now
        recsys = {"error": f"{type(exc).__name__}: {exc}"}
        log(f"recommender not fitted: {recsys['error']}")
    return {"items": len(rep.items), "new": len(todo), "featurised": len(todo), "reused_media": rep.reused,
            "skipped": rep.skipped, "personas": personas, "creator_library": library, "recsys": recsys,
            "seconds": time.perf_counter() - t0}
