"""Procedural backgrounds: a slowly drifting colour gradient with particles (rain, snow, stars,
bokeh, bubbles, petals, confetti), for scenes no real footage fits.

Palettes and effects carry short descriptions so the creator can pick them by embedding the
scene text (and the viewer's tastes) against them. Everything is seeded, so one scene
renders the same on every run; particle positions are closed-form in t (no state to step).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

W, H = 480, 854

PALETTES = {  # name: (top, bottom, accent), description
    "night": (((12, 16, 48), (58, 28, 92), (255, 210, 120)), "night, dark, city lights, rain, moon, mysterious"),
    "sunset": (((255, 140, 66), (190, 60, 120), (255, 236, 180)), "sunset, warm, cozy, evening, romantic, summer"),
    "nature": (((40, 110, 70), (14, 60, 66), (220, 250, 170)), "nature, forest, plants, animals, birds, calm, fresh, garden"),
    "ocean": (((30, 110, 190), (6, 40, 90), (170, 235, 255)), "ocean, sea, water, sky, cool, winter, ice, swimming"),
    "neon": (((170, 20, 160), (30, 6, 70), (40, 255, 240)), "neon, music, party, abstract, psychedelic, energetic, dance, visualiser"),
    "pastel": (((255, 196, 214), (170, 200, 255), (255, 255, 255)), "soft, cute, playful, pastel, children, cartoon, happy"),
    "earth": (((150, 100, 60), (60, 38, 24), (250, 220, 160)), "history, vintage, old, desert, autumn, coffee, wood, food"),
    "lab": (((70, 84, 100), (24, 30, 40), (120, 220, 255)), "science, physics, experiment, technology, computer, school, robot"),
}
EFFECTS = {
    "rain": "rain, rainy, storm, wet streets, umbrella, drizzle",
    "snow": "snow, winter, cold, christmas, snowfall, ice",
    "stars": "night sky, stars, space, galaxy, planets, universe, moon",
    "bokeh": "city lights, glowing lights, evening, festive, cozy, soft focus",
    "bubbles": "underwater, ocean, sea, fish, bubbles, swimming",
    "petals": "flowers, petals, spring, autumn leaves, falling leaves, garden, wind",
    "confetti": "celebration, confetti, party, birthday, fun, dance, winning",
}


@dataclass
class Particles:
    kind: str
    pos: np.ndarray      # (n, 2) start positions in pixels
    vel: np.ndarray      # (n, 2) pixels per second
    size: np.ndarray     # (n,)
    phase: np.ndarray    # (n,) for sway and twinkle
    colour: list[tuple[int, int, int]]


def _counts(kind: str) -> int:
    return {"rain": 140, "snow": 90, "stars": 110, "bokeh": 16, "bubbles": 36, "petals": 40, "confetti": 90}.get(kind, 0)


def make_particles(kind: str, accent: tuple[int, int, int], seed: int) -> Particles:
    rng = np.random.default_rng(seed)
    n = _counts(kind)
    pos = rng.uniform([0, 0], [W, H], size=(n, 2))
    speed = {"rain": (40, 900), "snow": (10, 70), "stars": (0, 0), "bokeh": (4, -18), "bubbles": (8, -90),
             "petals": (30, 80), "confetti": (20, 160)}.get(kind, (0, 0))
    vel = np.stack([rng.uniform(-1, 1, n) * speed[0], rng.uniform(0.6, 1.2, n) * speed[1]], axis=1)
    size = {"rain": rng.uniform(10, 26, n), "snow": rng.uniform(1.5, 5, n), "stars": rng.uniform(0.8, 2.4, n),
            "bokeh": rng.uniform(18, 60, n), "bubbles": rng.uniform(4, 14, n), "petals": rng.uniform(4, 9, n),
            "confetti": rng.uniform(3, 7, n)}.get(kind, np.zeros(n))
    palette = [accent, (255, 255, 255), (255, 120, 160), (120, 200, 255), (255, 220, 90)]
    colour = [palette[i % len(palette)] if kind in ("confetti", "bokeh", "petals") else accent for i in range(n)]
    return Particles(kind, pos, vel, size, rng.uniform(0, 2 * np.pi, n), colour)


def gradient(top, bottom, seed: int, height: int = int(H * 1.3)) -> np.ndarray:
    """A vertical gradient taller than the frame (it drifts) with a soft light blob and vignette."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    g = np.asarray(top, np.float32) * (1 - y) + np.asarray(bottom, np.float32) * y
    g = np.broadcast_to(g, (height, W, 3)).copy()
    cy, cx = rng.uniform(0.2, 0.6) * height, rng.uniform(0.2, 0.8) * W
    yy, xx = np.mgrid[0:height, 0:W].astype(np.float32)
    blob = np.exp(-(((yy - cy) / (height * 0.35)) ** 2 + ((xx - cx) / (W * 0.6)) ** 2))[..., None]
    g = g + blob * 40.0
    vign = 1.0 - 0.35 * (((xx - W / 2) / (W / 2)) ** 2)[..., None]
    return np.clip(g * vign, 0, 255).astype(np.uint8)


_SPRITES: dict[tuple, Image.Image] = {}


def _bokeh_sprite(r: int, colour) -> Image.Image:
    key = (r, colour)
    if key not in _SPRITES:
        im = Image.new("RGBA", (r * 2 + 8, r * 2 + 8), (0, 0, 0, 0))
        ImageDraw.Draw(im).ellipse([4, 4, 4 + 2 * r, 4 + 2 * r], fill=(*colour, 90))
        _SPRITES[key] = im.filter(ImageFilter.GaussianBlur(3))
    return _SPRITES[key]


def draw_particles(frame: Image.Image, p: Particles, t: float) -> None:
    """Draw particles at time t onto an RGB frame, in place."""
    if not len(p.pos):
        return
    d = ImageDraw.Draw(frame)
    xy = p.pos + p.vel * t
    if p.kind in ("snow", "petals", "bubbles"):
        xy[:, 0] += 14 * np.sin(t * 1.3 + p.phase)
    xy[:, 0] %= W
    xy[:, 1] %= H
    for i, (x, y) in enumerate(xy):
        s, c = float(p.size[i]), p.colour[i]
        if p.kind == "rain":
            d.line([(x, y), (x + p.vel[i, 0] * 0.02, y + s)], fill=(190, 205, 235), width=1)
        elif p.kind == "snow":
            d.ellipse([x - s, y - s, x + s, y + s], fill=(245, 248, 255))
        elif p.kind == "stars":
            b = 0.55 + 0.45 * np.sin(t * 2.5 + p.phase[i])
            d.ellipse([x - s, y - s, x + s, y + s], fill=tuple(int(v * b) for v in (255, 250, 230)))
        elif p.kind == "bokeh":
            sprite = _bokeh_sprite(int(s), c)
            frame.paste(sprite, (int(x - s), int(y - s)), sprite)
        elif p.kind == "bubbles":
            d.ellipse([x - s, y - s, x + s, y + s], outline=(220, 245, 255), width=2)
        elif p.kind == "petals":
            d.ellipse([x - s, y - s * 0.5, x + s, y + s * 0.5], fill=c)
        elif p.kind == "confetti":
            a = t * 4 + p.phase[i]
            d.rectangle([x, y, x + s * abs(np.cos(a)) + 1, y + s], fill=c)


class Backdrop:
    """Gradient + particles for one scene; `frame(t)` returns a fresh RGB image."""

    def __init__(self, palette: str, effect: str | None, seed: int, duration: float):
        (top, bottom, accent), _ = PALETTES.get(palette, PALETTES["night"])
        self.accent = accent
        self.grad = gradient(top, bottom, seed)
        self.duration = max(duration, 0.1)
        self.particles = make_particles(effect, accent, seed + 1) if effect else None

    def frame(self, t: float) -> Image.Image:
        drift = int((self.grad.shape[0] - H) * min(1.0, t / self.duration))
        im = Image.fromarray(self.grad[drift:drift + H])
        if self.particles is not None:
            draw_particles(im, self.particles, t)
        return im
