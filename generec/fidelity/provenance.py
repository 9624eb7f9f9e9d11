"""Signed provenance manifests: beside the file (FILE.provenance.json) and inside the mp4.

A manifest says who made the media and from what: generator and model versions, source
items with their licences, the check report, and a content hash. It is signed with
HMAC-SHA256 under a key created once in `<data>/fidelity/provenance.key` (mode 0600).

The content hash covers the *encoded packets* (ffmpeg's hash muxer over `-c copy`), not the
file bytes, because writing the manifest into the mp4's metadata changes the file but not
its packets. Re-encoding, cutting or editing frames changes the packets; editing the
manifest breaks the signature; either way `verify` says invalid.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ..media import MediaError, ffmpeg

SCHEMA = "generec.provenance/1"


def sidecar(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".provenance.json")


def load_key(data_dir: Path) -> bytes:
    """The signing key; created on first use, readable by the owner only."""
    path = Path(data_dir) / "fidelity" / "provenance.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def media_hash(path: Path) -> str:
    """sha256 over the encoded packets of every stream (independent of container metadata)."""
    path = Path(path)
    if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    res = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0", "-c", "copy",
                          "-f", "hash", "-hash", "sha256", "-"], capture_output=True, text=True)
    if res.returncode != 0 or "SHA256=" not in res.stdout:
        raise MediaError(f"{path.name}: could not hash the media ({res.stderr.strip()[-120:] or 'unreadable'})")
    return res.stdout.strip().split("SHA256=")[-1]


def _canonical(manifest: dict) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(manifest: dict, key: bytes) -> dict:
    out = dict(manifest)
    out["signature"] = {"alg": "HMAC-SHA256", "key_id": hashlib.sha256(key).hexdigest()[:12],
                        "value": hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()}
    return out


def signature_ok(manifest: dict, key: bytes) -> bool:
    sig = manifest.get("signature") or {}
    want = hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()
    return sig.get("alg") == "HMAC-SHA256" and hmac.compare_digest(str(sig.get("value", "")), want)


def build(item, media: Path, sources: list, checks: dict, generator: dict[str, Any], cover: Path | None = None) -> dict:
    """The unsigned manifest for an item's media (and cover)."""
    m = {"schema": SCHEMA, "item_id": item.id, "origin": item.origin, "label": badge(item.origin),
         "generator": generator, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
         "licence": item.licence, "attribution": item.attribution,
         "sources": [{"id": s.id, "licence": s.licence, "attribution": s.attribution} for s in sources],
         "checks": checks, "media": {"file": Path(media).name, "sha256_packets": media_hash(media)},
         "watermark": {"method": "dwtDctSvd", "canonical_grid": 256}}
    if cover is not None and Path(cover).exists():
        m["cover"] = {"file": Path(cover).name, "sha256": media_hash(cover)}
    return m


def badge(origin: str) -> str:
    """The visible label shown beside an item in the chat."""
    return {"ai_created": "AI-generated", "ai_edited": "AI-edited"}.get(origin, "")


def write(media: Path, manifest: dict, key: bytes) -> dict:
    """Sign, write the sidecar, and copy the manifest into the mp4's `comment` tag (-c copy)."""
    signed = sign(manifest, key)
    text = json.dumps(signed, sort_keys=True, ensure_ascii=False)
    media = Path(media)
    fd, tmp = tempfile.mkstemp(suffix=media.suffix, dir=media.parent)
    os.close(fd)
    try:
        res = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(media), "-map", "0", "-c", "copy",
                              "-metadata", f"comment={text}", "-movflags", "+faststart", tmp], capture_output=True, text=True)
        if res.returncode != 0:
            raise MediaError(f"{media.name}: could not write the manifest into the file ({res.stderr.strip()[-160:]})")
        os.replace(tmp, media)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    sidecar(media).write_text(text)
    return signed


def embedded(media: Path) -> dict | None:
    """The manifest stored in the mp4's comment tag, if any."""
    res = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(media), "-f", "ffmetadata", "-"],
                         capture_output=True, text=True, errors="replace")
    lines = res.stdout.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("comment="):
            continue
        raw = line[len("comment="):]
        while raw.endswith("\\") and i + 1 < len(lines):   # an escaped newline continues the value
            i += 1
            raw = raw[:-1] + "\n" + lines[i]
        # ffmetadata escapes '=', ';', '#', '\' with a backslash.
        text = re.sub(r"\\(.)", r"\1", raw)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return {"_unreadable": True}
    return None
