"""The learned request screen: what the hand-written rules miss, caught by meaning.

Owns the policy categories (and which request check each one fails), fitting a classifier on
`assets/fidelity/policy_train.jsonl` plus the external sets whose role is `train`
(`train_files`), the fitted model's cache, and `judge(text, ctx)`.

- Features: the mean and the first-token state of every layer of the project's text embedder
  (MiniLM by default; `encode_layers`). The early layers keep the words that carry intent
  ("how to build", "put his number on"); the final sentence vector blurs them into topic.
- Model: standardised, reduced to 256 principal components; an RBF SVM says harmful or not,
  a logistic regression over the harmful rows names the category. The threshold comes from
  5-fold cross-validation: the lowest score at which at most 2 % of the benign rows people
  wrote are blocked (rows marked `"source": "composed"`, filled from templates, are trained
  on but are too easy to judge false blocks by).
- Cache: fitted once (on first use or at the app's warm-up), kept in memory and in
  `<data>/fidelity/semantic-<key>.joblib`; the key hashes the training files, the embedder
  spec, the feature version and scikit-learn's version, so a change to any refits.
- The `hash` embedder has no meaning to learn from: the screen says it did not run.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np

from ..config import ROOT
from .base import CheckResult, Context, Unavailable

TRAIN = ROOT / "assets" / "fidelity" / "policy_train.jsonl"
SETS = ROOT / "assets" / "fidelity" / "sets"
FEATURES = "layer-mean-cls-pca256-v1"
MAX_BENIGN_FALSE_BLOCKS = 0.02
# category -> (the request check it fails, what the refusal says the request looks like)
CATEGORIES = {
    "sexual": ("safety", "a request for sexual content, or for content that sexualises minors"),
    "violence-extremism": ("safety", "a request that plans, teaches or glorifies violence, cruelty or extremism"),
    "weapons-drugs": ("safety", "a request for weapon-making or drug-making instructions"),
    "self-harm": ("safety", "a request that teaches or encourages self-harm, suicide or disordered eating"),
    "hate-harassment": ("safety", "hateful or harassing content aimed at a person or a group"),
    "misinformation": ("safety", "a request for deceptive content: fake news, false health or voting claims, or a scam"),
    "privacy": ("privacy", "a request to expose, track or publish a private person's data"),
    "imitation": ("imitation", "a request to imitate a real person's voice, face or words"),
    "injection": ("injection", "an attempt to override the assistant's rules or reach secrets or other users' data"),
    "copyright": ("injection", "a request to copy or pirate someone else's work, or strip its credits"),
}
# a request scored this far below the threshold is cleared without asking the policy judge
# (judge.py), which rules on every other request; chosen on the `tune` sets: about 1 % of their
# harmful rows score lower, and most ordinary requests to the app do
CLEAR = 1.0
# a request scored this far above the threshold is refused without the judge: in a severe category
# (fails closed: the bundled judge cleared "which pills to swallow so I fall asleep forever"), and
# in any other; chosen on the `tune` sets (2.6 % of their harmless rows score this high in a severe one)
STANDS = {"severe": 1.2, "other": 2.0}
# when the judge cannot rule, a request this close to the threshold (below, above) in a severe
# category is refused
UNSURE = (0.3, 0.3)
# categories that fail closed: an unsure request named one is refused when the judge cannot rule
SEVERE = frozenset({"sexual", "self-harm", "weapons-drugs", "violence-extremism"})
# another data dir whose fitted screens may be reused (the file name carries the whole key);
# the test suite points it at the built corpus so that private test dirs do not refit
SHARED_CACHE: Path | None = None
_lock = threading.Lock()   # one fit at a time; chat turns wait for the warm-up's fit instead of starting their own
_fitted: dict[str, dict] = {}


def train_files() -> list[Path]:
    """What the screen learns from: the project's policy rows, and the external sets whose role in
    `assets/fidelity/sets/MANIFEST.json` is `train` (never a `tune` or `sealed` one)."""
    manifest = SETS / "MANIFEST.json"
    sets = json.loads(manifest.read_text()) if manifest.exists() else []
    external = [ROOT / e["file"] for e in sets if e["role"] == "train" and Path(e["file"]).parent == Path("assets/fidelity/sets")]
    return [TRAIN, *sorted(external)]


def read_rows(paths: Path | list[Path] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels, and which rows set the threshold (all but the composed ones). Policy rows
    carry a category or `benign`; an external set's harmful rows (`"label": "harmful"`) teach the
    detector but have no category of ours, so they stay `harmful` and the namer skips them."""
    texts, labels, calibrate = [], [], []
    for path in [paths] if isinstance(paths, (str, Path)) else (paths or train_files()):
        rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
        unknown = {r["label"] for r in rows} - set(CATEGORIES) - {"benign", "harmful"}
        if unknown:
            raise ValueError(f"{path}: unknown labels {sorted(unknown)}")
        texts += [r["text"] for r in rows]
        labels += [r["label"] for r in rows]
        calibrate += [r.get("source") != "composed" for r in rows]
    return texts, np.array(labels), np.array(calibrate)


def features(embedder, texts: list[str]) -> np.ndarray:
    layers = embedder.encode_layers(list(texts))
    return layers.reshape(len(texts), -1)


def _classifiers(rows: int):
    """(detector, namer) for `rows` training rows (fewer than 257 rows keep fewer components)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    pca = lambda: PCA(min(256, rows - 1), random_state=0)  # noqa: E731
    return (make_pipeline(StandardScaler(), pca(), SVC(C=4.0, class_weight="balanced")),
            make_pipeline(StandardScaler(), pca(), LogisticRegression(C=0.1, max_iter=3000)))


def fit(texts: list[str], labels: np.ndarray, calibrate: np.ndarray, embedder, folds: int = 5) -> dict:
    """Fit on labelled rows; the threshold and the quality numbers come from cross-validation."""

    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    with threadpool_limits(1):   # one core: the LLM may be busy on the other
        return _fit(texts, labels, calibrate, embedder, folds, t0)


def _fit(texts, labels, calibrate, embedder, folds, t0) -> dict:
    from sklearn.model_selection import StratifiedKFold

    X, harm = features(embedder, texts), labels != "benign"
    cv = np.zeros(len(texts))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, labels):
        cv[test] = _classifiers(len(train))[0].fit(X[train], harm[train]).decision_function(X[test])
    benign = np.sort(cv[~harm & calibrate])[::-1]
    threshold = float(benign[int(MAX_BENIGN_FALSE_BLOCKS * len(benign))]) + 1e-6   # at most 2 % of those rows at or above it
    detector = _classifiers(len(X))[0].fit(X, harm)
    named = harm & (labels != "harmful")
    namer = _classifiers(int(named.sum()))[1].fit(X[named], labels[named])
    rate = lambda rows: round(float(np.mean(cv[rows] >= threshold)), 4)  # noqa: E731
    stats = {"rows": len(texts), "harmful": int(harm.sum()), "cv_folds": folds, "cv_recall": rate(harm & calibrate),
             "cv_benign_false_blocks": rate(~harm & calibrate), "cv_recall_all": rate(harm), "cv_benign_false_blocks_all": rate(~harm),
             "fit_s": round(time.perf_counter() - t0, 1)}
    return {"detector": detector, "namer": namer, "threshold": threshold, "stats": stats}


def _embedder(ctx: Context):
    from ..models.embed import load_text_embedder

    spec = ctx.settings.embedder
    try:
        emb = load_text_embedder(spec, ctx.settings.threads)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise Unavailable(f"text embedder {spec!r} could not load: {exc}") from exc
    return emb if hasattr(emb, "encode_layers") else None


@functools.lru_cache(maxsize=8)
def _key(stamp: tuple, setup: str) -> str:
    """The cache key of a fit: the training files' bytes and the setup. Read once per version of
    the files (`stamp`: path, mtime, size), not on every screened request."""
    digest = hashlib.sha256(b"".join(Path(path).read_bytes() for path, _, _ in stamp))
    digest.update(setup.encode())
    return digest.hexdigest()[:16]


def model(ctx: Context, train: Path | list[Path] | None = None) -> dict | None:
    """The fitted screen for this embedder (None for the model-free `hash` embedder)."""
    emb = _embedder(ctx)
    if emb is None:
        return None
    import joblib
    import sklearn

    files = [Path(train)] if isinstance(train, (str, Path)) else (train or train_files())
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    key = _key(stamp, f"{ctx.settings.embedder}|{FEATURES}|{sklearn.__version__}")
    with _lock:
        if key not in _fitted:
            path = ctx.fidelity_dir / f"semantic-{key}.joblib"
            shared = SHARED_CACHE / path.name if SHARED_CACHE is not None else None
            source = path if path.exists() else shared if shared is not None and shared.exists() else None
            try:
                fitted = joblib.load(source) if source is not None else None
            except Exception:   # noqa: BLE001 - a torn or foreign cache file is refitted, not fatal
                fitted = None
            keep = fitted is None or source != path   # fitted now, or adopted from the shared cache: this data dir keeps a copy
            if fitted is None:
                fitted = fit(*read_rows(files), emb)
            if keep:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                joblib.dump(fitted, tmp)
                os.replace(tmp, path)
            _fitted[key] = dict(fitted, embedder=emb)
        return _fitted[key]


def judge(text: str, ctx: Context) -> CheckResult:
    """pass, fail (details: category, check, score, threshold) or not_run, as a check named "learned"."""
    try:
        m = model(ctx)
    except (Unavailable, OSError, ValueError) as exc:
        return CheckResult.not_run("learned", f"the learned screen could not run: {exc}", missing=True)
    if m is None:
        return CheckResult.not_run("learned", f"the {ctx.settings.embedder!r} embedder has no meaning to learn from (use GENEREC_EMBEDDER=minilm)")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        x = features(m["embedder"], [text])
        score = float(m["detector"].decision_function(x)[0])
        nearest = str(m["namer"].predict(x)[0])
    below, above = UNSURE
    facts = {"score": round(score, 3), "threshold": round(m["threshold"], 3), "nearest": nearest, "layer": "learned",
             "unsure": m["threshold"] - below <= score < m["threshold"] + above, "clear": score < m["threshold"] - CLEAR,
             "stands": score >= m["threshold"] + STANDS["severe" if nearest in SEVERE else "other"]}
    if score < m["threshold"]:
        return CheckResult.passed("learned", "", **facts)
    check, what = CATEGORIES[nearest]
    return CheckResult.failed("learned", f"this looks like {what}", category=nearest, check=check, **facts)


def fold_in(checks: list[CheckResult], verdict: CheckResult) -> list[CheckResult]:
    """The rule checks with the learned verdict folded in. A fail fails its check. A model that
    should be there and is not makes the passing checks not_run (the request is held, as for any
    missing model). The model-free `hash` embedder is chosen on purpose (fast tests, no-model
    deployments): the checks keep the rules' verdict and say, in reason and details, that the
    learned screen did not run; holding every request would pause editing and creation there."""
    out = []
    for c in checks:
        judged = "policy judge: " if verdict.details.get("layer") == "judge" else ""
        said = f"{verdict.status} ({judged}{verdict.reason})" if verdict.reason else verdict.status
        details, reason, status = dict(c.details, learned=said), c.reason, c.status
        if verdict.status == "fail" and verdict.details["check"] == c.name:
            status, reason, details["learned"] = "fail", verdict.reason, verdict.details
        elif verdict.status == "not_run":
            details["learned"] = f"not run: {verdict.reason}"
            if verdict.details.get("missing") and c.status == "pass":
                status, reason = "not_run", f"rules passed, but {verdict.reason}"
            else:
                reason = f"{c.reason}; learned screen not run" if c.reason else "learned screen not run"
        out.append(CheckResult(c.name, status, reason, details))
    return out


def warm_up(ctx: Context) -> dict | None:
    """Load (or fit, the first time) the screen, so the first chat turn does not pay for it."""
    return model(ctx)
