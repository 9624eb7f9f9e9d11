"""C2PA Content Credentials: signed into created/edited videos and covers, read back by `c2pa.Reader`.

Videos are ffmpeg's `testsrc2` pattern (a watermark needs texture), a couple of seconds long.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

import pytest

c2pa = pytest.importorskip("c2pa")

from generec.fidelity import credentials, gate, pipeline, provenance  # noqa: E402
from generec.fidelity.base import Context  # noqa: E402
from generec.cli.fidelity import verify_main  # noqa: E402
from generec.fidelity.verify import verify  # noqa: E402
from generec.media import ffmpeg  # noqa: E402
from generec.types import Item  # noqa: E402

CREATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
EDITED = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
SCRIPT = {"scenes": [{"narration": "A colourful test pattern."}]}


def textured(path: Path, seconds: float = 2.0, size: str = "320x240") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={size}:r=24",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def cover_of(video: Path, out: Path) -> Path:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-ss", "0.5", "-i", str(video), "-frames:v", "1", str(out)], check=True)
    return out


def store_of(path: Path) -> tuple[dict, dict]:
    """(the whole report, the active manifest) as c2pa.Reader gives them."""
    with c2pa.Reader(str(path)) as r:
        store = json.loads(r.json())
    return store, store["manifests"][store["active_manifest"]]


def failures(store: dict) -> set[str]:
    return {f["code"] for f in store["validation_results"]["activeManifest"]["failure"]}


def actions(manifest: dict) -> list[dict]:
    return next(a["data"]["actions"] for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")


def assertion(manifest: dict, label: str) -> dict:
    return next(a["data"] for a in manifest["assertions"] if a["label"] == label)


SOURCES = [Item("pattern", "Pattern", licence="CC-BY-4.0", attribution="pattern by Ana"),
           Item("sky", "Sky", licence="CC0-1.0", attribution="sky by Ben")]


@pytest.fixture
def ctx(fast_settings):
    return Context(fast_settings, user="maya", request="a colourful test pattern")


@pytest.fixture
def created(tmp_path, ctx):
    media = textured(tmp_path / "made.mp4")
    cover = cover_of(media, tmp_path / "made.jpg")
    item = Item(id="ai-made", title="Test pattern", description="A colourful test pattern", origin="ai_created", owner="maya",
                visibility="private")
    item.provenance["licence_reason"] = pipeline.inherit_licence(item, SOURCES).reason
    rep = pipeline.finish(item, media, SCRIPT, SOURCES, ctx, cover=cover)
    assert rep.allowed and not rep.held, rep.summary()
    return item, media, cover


def test_created_video_and_cover_carry_valid_credentials(created):
    item, media, cover = created
    for path in (media, cover):
        store, m = store_of(path)
        assert store["validation_state"] in ("Valid", "Trusted")
        assert failures(store) <= {"signingCredential.untrusted"}           # self-made root: reported, not fatal
        assert actions(m)[0]["action"] == "c2pa.created" and actions(m)[0]["digitalSourceType"] == CREATED
        ing = {i["title"]: (i["relationship"], i["metadata"]["org.generec.source"]["licence"]) for i in m["ingredients"]}
        assert ing == {"Pattern": ("componentOf", "CC-BY-4.0"), "Sky": ("componentOf", "CC0-1.0")}
        assert assertion(m, "org.generec.item")["item_id"] == "ai-made"
        assert assertion(m, "org.generec.generator")["name"] == "generec" and assertion(m, "org.generec.generator")["version"]
        assert assertion(m, "org.generec.checks")["allowed"] is True
    # the app's own summary stays where other code reads it
    assert item.provenance["label"] == "AI-generated" and item.provenance["manifest"] == "made.mp4.provenance.json"
    assert item.provenance["c2pa"]["digital_source_type"] == CREATED and len(item.provenance["c2pa"]["files"]) == 2
    assert "signature" not in item.provenance and "timings" in item.provenance


def test_edited_video_declares_composite_and_its_parent(tmp_path, ctx):
    media = textured(tmp_path / "edit.mp4")
    item = Item(id="ai-edit", title="Pattern, brighter", origin="ai_edited", owner="maya", visibility="private", parent_id="pattern")
    pipeline.inherit_licence(item, SOURCES[:1])
    assert pipeline.finish(item, media, None, SOURCES[:1], ctx, component="editor").allowed
    store, m = store_of(media)
    assert store["validation_state"] in ("Valid", "Trusted") and failures(store) <= {"signingCredential.untrusted"}
    steps = actions(m)
    assert [a["action"] for a in steps] == ["c2pa.opened", "c2pa.edited"] and steps[1]["digitalSourceType"] == EDITED
    assert [(i["title"], i["relationship"], i["metadata"]["org.generec.source"]["id"]) for i in m["ingredients"]] == \
        [("Pattern", "parentOf", "pattern")]
    assert verify(media, ctx.settings)["c2pa"]["digital_source_type"] == EDITED


COVER_CHECKS = ["nsfw", "script_safety", "stereotypes", "privacy", "licence", "watermark"]


def test_cover_only_edit_seals_through_the_same_path(tmp_path, ctx, monkeypatch):
    calls = []
    real = provenance.seal
    monkeypatch.setattr(provenance, "seal", lambda *a, **k: calls.append([Path(f).name for f in a[1]]) or real(*a, **k))
    src = textured(tmp_path / "src.mp4")
    original = src.read_bytes()
    cover = cover_of(src, tmp_path / "thumb.png")
    item = Item(id="ai-thumb", title="Pattern cover", origin="ai_edited", owner="maya", visibility="private", parent_id="pattern",
                media_path=str(src))
    rep = gate.seal(item, None, SOURCES[:1], ctx, cover=cover, component="editor")
    assert rep.allowed and not rep.held, rep.summary()
    assert [(c.name, c.status) for c in rep.checks] == [(n, "pass") for n in COVER_CHECKS]   # a picture's checks, no video's
    assert rep.get("watermark").reason == "watermark present in the cover"
    video = textured(tmp_path / "v.mp4")
    other = Item(id="ai-v", title="Pattern", origin="ai_created", owner="maya", visibility="private")
    pipeline.inherit_licence(other, [])
    assert pipeline.finish(other, video, SCRIPT, [], ctx).allowed
    assert calls == [["thumb.png"], ["v.mp4"]]                 # one sealing function for covers and videos
    store, m = store_of(cover)
    assert store["validation_state"] in ("Valid", "Trusted") and actions(m)[-1]["digitalSourceType"] == EDITED
    assert verify(cover, ctx.settings)["watermark"] is True
    assert src.read_bytes() == original and not provenance.sidecar(src).exists()   # the source video is not ours to change


def test_refused_cover_is_deleted_and_its_video_kept(tmp_path, ctx):
    src = textured(tmp_path / "src.mp4")
    original = src.read_bytes()
    cover = cover_of(src, tmp_path / "thumb.jpg")
    item = Item(id="ai-thumb", title="Everyone knows women can't drive", origin="ai_edited", owner="maya", visibility="private",
                parent_id="pattern", media_path=str(src))
    rep = gate.seal(item, None, SOURCES[:1], ctx, cover=cover, component="editor")
    assert not rep.allowed and [c.name for c in rep.checks] == COVER_CHECKS and rep.get("stereotypes").status == "fail"
    assert not cover.exists() and src.read_bytes() == original
    assert item.provenance["checks"]["allowed"] is False and "c2pa" not in item.provenance


def test_tampered_media_fails_validation(created, tmp_path, ctx):
    _, media, cover = created
    for path in (media, cover):
        raw = bytearray(path.read_bytes())
        bad = tmp_path / f"tampered{path.suffix}"
        at = len(raw) * 3 // 4                                 # inside the picture data, not the manifest
        raw[at:at + 16] = bytes(b ^ 0x5A for b in raw[at:at + 16])
        bad.write_bytes(raw)
        store, _ = store_of(bad)
        assert store["validation_state"] == "Invalid"
        assert failures(store) & {"assertion.bmffHash.mismatch", "assertion.dataHash.mismatch"}
        res = verify(bad, ctx.settings)
        assert res["manifest_found"] and not res["manifest_valid"] and res["c2pa"]["validation_state"] == "Invalid"
        assert any("changed after signing" in r for r in res["reasons"])


def test_stripped_file_keeps_the_watermark_but_not_the_credentials(created, tmp_path, ctx):
    from PIL import Image

    _, media, cover = created
    side = provenance.sidecar(media)
    assert side.exists()                                        # the readable copy is there, and changes nothing
    stripped = tmp_path / "stripped.mp4"
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(media), "-map", "0", "-c", "copy",
                    "-map_metadata", "0", str(stripped)], check=True)   # a remux drops the C2PA box, keeps the frames
    provenance.sidecar(stripped).write_text(side.read_text())   # a copied sidecar does not make it valid
    res = verify(stripped, ctx.settings)
    assert res["watermark"] is True and res["manifest_valid"] is False and res["manifest_found"] is False
    assert res["c2pa"]["validation_state"] is None and any("no Content Credentials" in r for r in res["reasons"])
    with Image.open(cover) as im:
        im.save(tmp_path / "resaved.jpg", quality=95)           # re-saving drops the JPEG's APP11 segments
    res = verify(tmp_path / "resaved.jpg", ctx.settings)
    assert res["watermark"] is True and res["manifest_valid"] is False


def test_private_keys_are_owner_only_and_outside_served_folders(created, ctx):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    data = Path(ctx.settings.data_dir)
    keys = data / "keys"
    assert oct(keys.stat().st_mode & 0o777) == "0o700"
    for name in (credentials.LEAF_KEY, credentials.CA_KEY):
        key = keys / name
        assert oct(key.stat().st_mode & 0o777) == "0o600"
        for served in (data / "media", data / "public", data / "fidelity"):
            assert served.resolve() not in key.resolve().parents
    assert not (data / "fidelity" / "provenance.key").exists()
    pub = provenance.public_chain(ctx.settings)
    assert pub == data / "public" / "provenance-chain.pem" and pub.stat().st_mode & 0o044 == 0o044
    text = pub.read_text()
    assert "PRIVATE KEY" not in text
    leaf, ca = x509.load_pem_x509_certificates(text.encode())
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca and leaf.issuer == ca.subject
    pub.unlink()
    assert provenance.public_chain(data).read_text() == text      # made again from the same chain


def test_verify_json_reports_watermark_and_c2pa_apart(created, ctx, capsys):
    _, media, cover = created
    for path in (media, cover):
        assert verify_main([str(path), "--json"], ctx.settings) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["watermark"] is True and out["manifest_valid"] is True and out["label"] == "AI-generated"
        c = out["c2pa"]
        assert c["validation_state"] in ("Valid", "Trusted") and "signingCredential.untrusted" in c["failures"]
        assert c["digital_source_type"] == CREATED and c["signed_here"] is True
        assert {(i["id"], i["licence"]) for i in c["ingredients"]} == {("pattern", "CC-BY-4.0"), ("sky", "CC0-1.0")}


def test_a_valid_manifest_from_another_install_is_not_ours(created, tmp_path):
    from generec.config import Settings

    _, media, _ = created
    elsewhere = Settings(data_dir=tmp_path / "elsewhere", embedder="hash", image_features="colour", threads=1)
    credentials.ensure(elsewhere)
    res = verify(media, elsewhere)
    assert res["manifest_valid"] and res["c2pa"]["signed_here"] is False
    assert any("not this install's certificate" in r for r in res["reasons"])


def test_publish_reads_the_sources_from_the_credentials(created, ctx):
    item, media, _ = created
    item.media_path = str(media)
    path, sources = gate.signed_sources(item, ctx.settings)
    assert path == media and [(s.id, s.licence) for s in sources] == [("pattern", "CC-BY-4.0"), ("sky", "CC0-1.0")]


def test_signing_takes_under_half_a_second(tmp_path, fast_settings):
    media = textured(tmp_path / "big.mp4", seconds=8, size="480x854")
    cover = cover_of(media, tmp_path / "big.jpg")
    item = Item(id="ai-big", title="Big", origin="ai_created", owner="maya", visibility="private")
    gen = {"name": "generec", "version": "test", "component": "creator", "models": {}}
    credentials.ensure(fast_settings)                            # the one-off chain is made at first start, not per item
    times = []
    for _ in range(3):
        t = time.perf_counter()
        provenance.seal(item, [media, cover], SOURCES, {"allowed": True, "checks": {}}, gen, fast_settings)
        times.append(time.perf_counter() - t)
    print(f"seal (mp4 {media.stat().st_size // 1024} KB + cover): median {statistics.median(times) * 1000:.0f} ms")
    assert statistics.median(times) < 0.5
    store, _ = store_of(media)                                  # re-signing replaces the manifest; still valid
    assert store["validation_state"] in ("Valid", "Trusted")
