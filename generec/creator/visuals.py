"""The visuals stage: for each scene, the picture it shows and the look around it.

Candidates are corpus shots, packaged still photos and OpenMoji icons, all compared with the
scene's visual description in one text-embedding space. Real footage (and stills) are used
only when they truly match (`SHOT_MIN`, `STILL_MIN`): the corpus is small, and an unrelated
clip is worse than an honest icon over a procedural background. The viewer's taste (the
centroids of their liked and disliked items) shifts every score a little, and picks the
palette, so two people asking the same thing get different videos. Nothing is reused
within one video.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .assets import OPENMOJI_LICENCE, Icon, IconIndex, Still
from .background import EFFECTS, PALETTES
from .shots import Shot, ShotIndex

SHOT_MIN = 0.45     # MiniLM cosine between a scene description and a shot's text: true matches measured >= 0.46, near misses 0.40-0.43
STILL_MIN = 0.45
ICON_MIN = 0.25
EFFECT_MIN = 0.30
FOOTAGE_PRIOR = 0.05  # at equal relevance, real pictures beat icons
LIKE_W, IMAGE_W = 0.15, 0.10


@dataclass
class Taste:
    """What the viewer's history says, as unit vectors (None when there is no history)."""
    like_text: np.ndarray | None = None
    dislike_text: np.ndarray | None = None
    like_image: np.ndarray | None = None
    dislike_image: np.ndarray | None = None
    likes: list[str] = field(default_factory=list)
    avoids: list[str] = field(default_factory=list)

    def bias(self, text_rows: np.ndarray, image_rows: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(len(text_rows), np.float32)
        if self.like_text is not None:
            out += LIKE_W * (text_rows @ self.like_text)
        if self.dislike_text is not None:
            out -= LIKE_W * (text_rows @ self.dislike_text)
        if image_rows is not None and len(image_rows) and self.like_image is not None and image_rows.shape[1] == len(self.like_image):
            out += IMAGE_W * (image_rows @ self.like_image)
            if self.dislike_image is not None:
                out -= IMAGE_W * (image_rows @ self.dislike_image)
        return out


@dataclass
class Visual:
    kind: str                      # "shot", "still", "icon", "plain" or "generated"
    ref: str                       # item id, still id, icon hexcode, or model
    description: str
    relevance: float
    licence: str = ""
    attribution: str = ""
    shot: Shot | None = None
    still: Still | None = None
    icon: Icon | None = None
    extra_icons: list[Icon] = field(default_factory=list)
    palette: str = "night"
    effect: str | None = None
    image: object = None           # a PIL image made by a generator backend


class Library:
    """Everything a scene can show, with its vectors; built once per creation context."""

    def __init__(self, embedder, shots: ShotIndex | None = None, icons: IconIndex | None = None, stills: list[Still] = ()):
        self.embedder, self.shots, self.icons, self.stills = embedder, shots, icons, list(stills)
        self.still_vecs = embedder.encode([s.description for s in self.stills]) if self.stills else np.zeros((0, embedder.dim), np.float32)
        self.palette_names = list(PALETTES)
        self.palette_vecs = embedder.encode([PALETTES[p][1] for p in self.palette_names])
        self.effect_names = list(EFFECTS)
        self.effect_vecs = embedder.encode(list(EFFECTS.values()))

    def palette(self, topic_vec: np.ndarray, taste: Taste) -> str:
        s = self.palette_vecs @ topic_vec
        if taste.like_text is not None:
            s = s + 0.5 * (self.palette_vecs @ taste.like_text)
        return self.palette_names[int(np.argmax(s))]

    def effect(self, vec: np.ndarray) -> str | None:
        s = self.effect_vecs @ vec
        i = int(np.argmax(s))
        return self.effect_names[i] if s[i] >= EFFECT_MIN else None

    def choose(self, vec: np.ndarray, taste: Taste, used: set[str], palette: str, default_effect: str | None) -> Visual:
        """The best visual for one scene vector; `used` collects refs so a video never repeats one."""
        best: Visual | None = None
        best_score = -1e9
        if self.shots is not None and len(self.shots):
            rel = self.shots.text_vecs @ vec
            score = rel + taste.bias(self.shots.text_vecs, self.shots.image_vecs) + FOOTAGE_PRIOR
            for i in np.argsort(-score):
                sh = self.shots.shots[i]
                ref = f"{sh.item_id}@{sh.start:.2f}"
                if rel[i] < SHOT_MIN:
                    continue
                if ref not in used and sh.duration >= 1.0:
                    best, best_score = Visual("shot", ref, f"{sh.title}; {', '.join(sh.labels)}".strip("; "), float(rel[i]),
                                              sh.licence, sh.attribution, shot=sh), float(score[i])
                    break
        if len(self.stills):
            rel = self.still_vecs @ vec
            score = rel + taste.bias(self.still_vecs) + FOOTAGE_PRIOR
            for i in np.argsort(-score):
                st = self.stills[i]
                if rel[i] >= STILL_MIN and st.id not in used and score[i] > best_score:
                    best, best_score = Visual("still", st.id, st.description, float(rel[i]), st.licence, st.attribution,
                                              still=st), float(score[i])
                    break
        if self.icons is not None:
            rel = self.icons.vectors @ vec
            score = rel + taste.bias(self.icons.vectors)
            order = [i for i in np.argsort(-score)[:40] if self.icons.icons[i].hexcode not in used]
            if order and rel[order[0]] >= ICON_MIN and score[order[0]] > best_score:
                icon = self.icons.icons[order[0]]
                extra = [self.icons.icons[i] for i in order[1:6] if rel[i] >= ICON_MIN][:2]
                best = Visual("icon", icon.hexcode, icon.annotation, float(rel[order[0]]), OPENMOJI_LICENCE,
                              "; ".join(IconIndex.attribution(x) for x in [icon] + extra), icon=icon, extra_icons=extra)
        if best is None:
            best = Visual("plain", "gradient", "colour gradient with particles", 0.0)
        best.palette = palette
        best.effect = self.effect(vec) or default_effect
        used.add(best.ref)
        used.update(x.hexcode for x in best.extra_icons)
        return best
