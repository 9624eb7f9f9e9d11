"""Perceptual frame hashes and the corpus index that catches unmodified copies.

Two 64-bit hashes per frame, both from a 32x32 grey thumbnail (the Y plane of a frame that
`media.read_frames` decodes at that size, in one pass):
- pHash: sign of the 8x8 lowest DCT frequencies against their median (survives re-encoding,
  resizing, small colour changes);
- dHash: sign of horizontal gradients on a 9x8 thumbnail (cheap second opinion).
A frame matches when both are close. A video is a near-duplicate of a corpus item when most
of its frames match frames of that one item. Flat frames (black, fades) match everything,
so they are skipped on both sides. The index lives in `<data>/fidelity/frame_hashes.npz`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..media import MediaError, probe, read_frames

# Hamming distances (of 64 bits each) for a frame match. Measured on the real corpus: 95.5 % of
# frames of half-size CRF 28 copies match their original, 0 of 340k frame pairs of different clips.
P_MAX, D_MAX = 12, 16
DUP_SHARE = 0.8              # share of a video's frames that must match one corpus item
FLAT_STD = 4.0


def _dct_matrix(n: int) -> np.ndarray:
    k, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    d = np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    d[0] *= np.sqrt(0.5)
    return d * np.sqrt(2 / n)


_D32 = _dct_matrix(32)
_BITS = (1 << np.arange(64, dtype=np.uint64)).astype(np.uint64)


def _pack(bits: np.ndarray) -> np.ndarray:
    return (bits.reshape(len(bits), 64).astype(np.uint64) * _BITS).sum(axis=1, dtype=np.uint64)


def hash_thumbs(thumbs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phash, dhash, keep) for a stack of 32x32 grey thumbnails (float)."""
    t = thumbs.astype(np.float64)
    low = (_D32 @ t @ _D32.T)[:, :8, :8].reshape(len(t), 64)
    ph = _pack(low > np.median(low[:, 1:], axis=1, keepdims=True))
    # 9x8 by averaging 32 columns into 9 overlapping bands and 32 rows into 8.
    cols = np.linspace(0, 32, 10).astype(int)
    small = np.stack([t[:, :, a:b].mean(axis=2) for a, b in zip(cols[:-1], cols[1:])], axis=2)   # (n, 32, 9)
    small = small.reshape(len(t), 8, 4, 9).mean(axis=2)                                           # (n, 8, 9)
    dh = _pack(small[:, :, 1:] > small[:, :, :-1])
    return ph, dh, t.reshape(len(t), -1).std(axis=1) >= FLAT_STD


def video_thumbs(path: Path, max_frames: int = 600) -> np.ndarray:
    """32x32 grey thumbnails at 2 fps (fewer beyond 5 minutes). Index and query must sample
    alike: at 0.67 fps for a 3-minute clip, a copy of one part matched only 43 % of its frames.
    Grey is the limited-range Y plane, as in the watermark's frames (`thumbs_from_frames`)."""
    info = probe(path)
    fps = min(2.0, max_frames / (info.duration_s or 1.0))
    return read_frames(path, fps=fps, width=32, height=32, layout="i420", info=info).pixels[:, :32]


def thumbs_from_frames(grey: list[np.ndarray]) -> np.ndarray:
    """32x32 thumbnails of grey (luma) frames already in memory (no second decoding pass)."""
    import cv2

    return np.stack([cv2.resize(g, (32, 32), interpolation=cv2.INTER_AREA) for g in grey])


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.unpackbits(x.view(np.uint8).reshape(*x.shape, 8), axis=-1).sum(axis=-1)


class CorpusHashes:
    """Frame hashes of the human-made corpus videos, rebuilt for files that changed."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.ids = np.array([], dtype=object)
        self.ph = np.array([], dtype=np.uint64)
        self.dh = np.array([], dtype=np.uint64)
        self.stamps: dict[str, list] = {}
        self.skipped: list[str] = []
        if self.path.exists():
            z = np.load(self.path, allow_pickle=False)
            self.ids, self.ph, self.dh = z["ids"].astype(object), z["ph"], z["dh"]
            self.stamps = json.loads(str(z["stamps"]))

    def update(self, videos: dict[str, Path]) -> int:
        """Hash new or changed videos ({item id: path}); drop ids no longer listed. Returns how many were hashed."""
        keep = np.isin(self.ids, list(videos))
        ids, ph, dh, done = [self.ids[keep]], [self.ph[keep]], [self.dh[keep]], 0
        for vid, p in videos.items():
            st = Path(p).stat()
            stamp = [st.st_size, int(st.st_mtime)]
            if self.stamps.get(vid) == stamp:
                continue
            old = ids[0] == vid
            ids[0], ph[0], dh[0] = ids[0][~old], ph[0][~old], dh[0][~old]
            try:
                a, b, ok = hash_thumbs(video_thumbs(p))
            except MediaError:
                self.skipped.append(vid)   # one unreadable corpus file must not hold every result
                continue
            ids.append(np.array([vid] * int(ok.sum()), dtype=object))
            ph.append(a[ok])
            dh.append(b[ok])
            self.stamps[vid] = stamp
            done += 1
        self.stamps = {k: v for k, v in self.stamps.items() if k in videos}
        self.ids, self.ph, self.dh = np.concatenate(ids), np.concatenate(ph), np.concatenate(dh)
        if done or not self.path.exists():
            self.save()
        return done

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, ids=self.ids.astype(str), ph=self.ph, dh=self.dh, stamps=json.dumps(self.stamps))
        tmp.replace(self.path)

    def match(self, path: Path | None = None, thumbs: np.ndarray | None = None) -> dict:
        """Best-matching corpus item for a video (or its thumbnails): {"item": id | None, "share": float, "frames": n}."""
        ph, dh, ok = hash_thumbs(video_thumbs(path) if thumbs is None else thumbs)
        ph, dh = ph[ok], dh[ok]
        if len(ph) == 0 or len(self.ph) == 0:
            return {"item": None, "share": 0.0, "frames": int(len(ph))}
        close = (_popcount(ph[:, None] ^ self.ph[None, :]) <= P_MAX) & (_popcount(dh[:, None] ^ self.dh[None, :]) <= D_MAX)
        best, share = None, 0.0
        for vid in np.unique(self.ids[close.any(axis=0)]):
            s = float(close[:, self.ids == vid].any(axis=1).mean())
            if s > share:
                best, share = str(vid), s
        return {"item": best, "share": round(share, 3), "frames": int(len(ph))}


def corpus_videos(media_dir: Path) -> dict[str, Path]:
    """Human-made corpus videos: `<id>.mp4` in the media folder with no provenance sidecar
    (generated and edited items always get one, see provenance.py)."""
    media_dir = Path(media_dir)
    if not media_dir.is_dir():
        return {}
    return {p.stem: p for p in sorted(media_dir.glob("*.mp4")) if not p.with_name(p.name + ".provenance.json").exists()}


def build_corpus_index(settings) -> int:
    """Hash new or changed corpus videos; run after `corpus build` (check_result does it lazily too)."""
    index = CorpusHashes(Path(settings.data_dir) / "fidelity" / "frame_hashes.npz")
    return index.update(corpus_videos(settings.media_dir))
