"""Creative assets the creator draws on besides corpus footage: OpenMoji icons and still photos.

OpenMoji (CC-BY-SA-4.0) comes from the npm registry: `ensure_openmoji` runs `npm pack
openmoji@17.0.0` once into the data dir's cache and unpacks it, so `npm` must be on the
machine. `IconIndex` embeds each icon's annotation and tags with the text embedder (cached
per embedder), so a scene's visual description finds its icons by cosine similarity.
`stills()` lists the few photos that installed Python packages ship (scikit-learn,
scikit-image), each with a hand-written description; missing packages are skipped.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

OPENMOJI = "openmoji@17.0.0"
OPENMOJI_LICENCE = "CC-BY-SA-4.0"
# Logos and letter tiles say nothing about a scene; skin-tone variants only repeat their base icon.
_SKIP_SUBGROUPS = {"brand", "regional-indicator"}


class AssetMissing(RuntimeError):
    """An asset source could not be fetched or read; the message says what to install or run."""


def ensure_openmoji(cache_dir: Path) -> Path:
    """The unpacked `package/` folder of OpenMoji under `cache_dir`, fetched with npm once."""
    root = Path(cache_dir) / "openmoji-17.0.0"
    pkg = root / "package"
    if (pkg / "data" / "openmoji.json").exists():
        return pkg
    npm = shutil.which("npm")
    if npm is None:
        raise AssetMissing("OpenMoji icons need `npm` (Node.js) to fetch the openmoji package: install nodejs/npm")
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        res = subprocess.run([npm, "pack", OPENMOJI, "--silent", "--pack-destination", tmp],
                             capture_output=True, text=True, timeout=300)
        tgz = next(Path(tmp).glob("openmoji-*.tgz"), None)
        if res.returncode != 0 or tgz is None:
            raise AssetMissing(f"`npm pack {OPENMOJI}` failed: {(res.stderr or res.stdout).strip()[-200:]}")
        out = Path(tmp) / "unpacked"
        with tarfile.open(tgz) as tar:
            tar.extractall(out, filter="data")
        # Rename into place only when complete, so an interrupted fetch is retried next time.
        if root.exists():
            shutil.rmtree(root)
        os.replace(out, root)
    return pkg


@dataclass
class Icon:
    hexcode: str
    annotation: str
    tags: str
    group: str
    author: str

    def text(self) -> str:
        return f"{self.annotation}. {self.tags}".strip(". ")


def load_icons(pkg: Path) -> list[Icon]:
    rows = json.loads((pkg / "data" / "openmoji.json").read_text())
    out = []
    for r in rows:
        if r.get("skintone") or r["group"] == "component" or r.get("subgroups") in _SKIP_SUBGROUPS:
            continue
        if r["annotation"].startswith("no ") or "prohibited" in r["annotation"]:
            continue  # "no bicycles" is a sign forbidding the very thing a scene asks to show
        if not (pkg / "color" / "svg" / f"{r['hexcode']}.svg").exists():
            continue
        tags = ", ".join(t for t in (r.get("tags", ""), r.get("openmoji_tags", "")) if t)
        out.append(Icon(r["hexcode"], r["annotation"], tags, r["group"], r.get("openmoji_author", "")))
    return out


class IconIndex:
    """Icons plus one L2-normalised text vector each; built once per embedder, then loaded."""

    def __init__(self, pkg: Path, icons: list[Icon], vectors: np.ndarray):
        self.pkg, self.icons, self.vectors = pkg, icons, vectors

    @classmethod
    def open(cls, cache_dir: Path, embedder) -> "IconIndex":
        pkg = ensure_openmoji(cache_dir)
        icons = load_icons(pkg)
        tag = hashlib.blake2b(f"{embedder.name}|{len(icons)}".encode(), digest_size=6).hexdigest()
        cached = Path(cache_dir) / f"openmoji-index-{tag}.npy"
        if cached.exists():
            vectors = np.load(cached)
        else:
            vectors = embedder.encode([i.text() for i in icons]).astype(np.float32)
            tmp = cached.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, cached)
        return cls(pkg, icons, vectors)

    def search(self, query_vec: np.ndarray, k: int = 5) -> list[tuple[Icon, float]]:
        scores = self.vectors @ query_vec
        top = np.argsort(-scores)[:k]
        return [(self.icons[i], float(scores[i])) for i in top]

    def image(self, icon: Icon, size: int = 512) -> Image.Image:
        """The icon as RGBA, rendered from SVG once per size and cached as PNG beside the index."""
        png = self.pkg.parent / "png" / f"{icon.hexcode}-{size}.png"
        if not png.exists():
            try:
                import cairosvg
            except ImportError as exc:
                raise AssetMissing("rendering OpenMoji needs cairosvg (pip install cairosvg; apt libcairo2)") from exc
            png.parent.mkdir(parents=True, exist_ok=True)
            tmp = png.with_suffix(".tmp.png")
            cairosvg.svg2png(url=str(self.pkg / "color" / "svg" / f"{icon.hexcode}.svg"), write_to=str(tmp),
                             output_width=size, output_height=size)
            os.replace(tmp, png)
        with Image.open(png) as im:
            return im.convert("RGBA")

    @staticmethod
    def attribution(icon: Icon) -> str:
        by = f" by {icon.author}" if icon.author else ""
        return f"OpenMoji “{icon.annotation}”{by} (openmoji.org, CC BY-SA 4.0)"


@dataclass
class Still:
    id: str
    path: Path
    description: str
    licence: str
    attribution: str


# Descriptions written by looking at the pictures; a file not listed here is not offered.
_KNOWN_STILLS = {
    ("sklearn", "china.jpg"): "a Chinese temple pagoda roof among green trees under a clear sky",
    ("sklearn", "flower.jpg"): "a close-up of a pink flower with yellow pollen",
    ("skimage", "astronaut.png"): "an astronaut in a white space suit in front of the American flag",
    ("skimage", "coffee.png"): "a cup of coffee on a saucer, seen from above",
    ("skimage", "chelsea.png"): "a ginger tabby cat looking to the side",
    ("skimage", "rocket.jpg"): "a rocket on the launch pad before lift-off",
    ("skimage", "motorcycle_left.png"): "a red motorcycle parked indoors",
    ("skimage", "hubble_deep_field.jpg"): "deep space full of distant galaxies and stars",
    ("skimage", "coins.png"): "old coins on a table, black and white",
}
_PACKAGE_DIRS = {"sklearn": ("sklearn", "datasets/images", "BSD-3-Clause"), "skimage": ("skimage", "data", "BSD-3-Clause")}


def stills() -> list[Still]:
    import importlib.util

    out = []
    for (pkg, name), desc in _KNOWN_STILLS.items():
        module, sub, licence = _PACKAGE_DIRS[pkg]
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(list(spec.submodule_search_locations)[0]) / sub / name
        if path.exists():
            out.append(Still(f"{pkg}:{name}", path, desc, licence, f"{name} from the {module} package ({licence})"))
    return out
