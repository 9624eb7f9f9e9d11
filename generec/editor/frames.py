"""Judging which frames of a video are usable: black, blurred, or in a transition.

The frames come from `media.read_frames` (one ffmpeg pass into a raw RGB pipe, evenly timed);
shot detection, thumbnail candidates and clip descriptions all read that stream. The
judgements are relative to the video itself, so a flat animation is not called blurred just
because it has few edges.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..media import Frames


def luma(rgb: np.ndarray) -> np.ndarray:
    """(n, h, w) float32 grey levels from (n, h, w, 3) RGB."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def sharpness(grey: np.ndarray) -> np.ndarray:
    """Variance of a 4-neighbour Laplacian per frame: low when the frame is blurred."""
    g = grey.astype(np.float32)
    lap = 4 * g[:, 1:-1, 1:-1] - g[:, :-2, 1:-1] - g[:, 2:, 1:-1] - g[:, 1:-1, :-2] - g[:, 1:-1, 2:]
    return lap.reshape(len(g), -1).var(axis=1)


@dataclass
class Usability:
    black: np.ndarray       # bool per frame: nothing visible (all dark, or all washed out)
    blurred: np.ndarray     # bool: much softer than this video's typical frame
    transition: np.ndarray  # bool: at a cut, or mid-fade/dissolve (unlike both neighbours)
    sharp: np.ndarray       # Laplacian variance per frame

    @property
    def usable(self) -> np.ndarray:
        return ~(self.black | self.blurred | self.transition)


def judge(frames: Frames, cuts: list[float], diffs: np.ndarray) -> Usability:
    """`cuts` are shot-boundary times and `diffs[i]` the change from frame i-1 to i (see shots)."""
    rgb = frames.pixels[:, ::2, ::2]          # half resolution is plenty for these judgements
    grey = luma(rgb.astype(np.float32))
    # Black = (almost) no bright pixel anywhere: a dark visualiser with glowing particles is
    # content, and brightness is the strongest channel, so saturated blue is not "dark".
    # Washed out = (almost) no pixel that is not near-white.
    black = ((rgb.max(axis=3) >= 40).reshape(len(rgb), -1).mean(axis=1) < 0.01) | \
            ((rgb.min(axis=3) <= 235).reshape(len(rgb), -1).mean(axis=1) < 0.01)
    sharp = sharpness(grey)
    typical = float(np.median(sharp[~black])) if (~black).any() else 0.0
    # Only meaningful when the video has texture at all; flat colour fields have none to lose.
    blurred = sharp < 0.3 * typical if typical > 20 else np.zeros(len(grey), bool)
    step = 1.0 / frames.fps
    transition = np.zeros(len(grey), bool)
    for c in cuts:  # the frame at a cut and the one before it may be half-old, half-new
        transition |= np.abs(frames.times - c) < 0.5 * step + 1e-6
        transition |= np.abs(frames.times - (c - step)) < 1e-6
    if len(diffs) > 2:
        nxt = np.append(diffs[1:], 0.0)
        level = max(float(np.median(diffs)) * 4, 0.08)
        transition |= (diffs > level) & (nxt > level)  # differs from both neighbours: a fade or wipe
    return Usability(black, blurred, transition, sharp)
