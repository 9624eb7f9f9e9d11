"""Fidelity checks on media: watermark, provenance + verify, near-duplicates, result checks.

Watermarks need texture (a DWT mark on flat colour has nothing to hide in), so the marked
videos are ffmpeg's `testsrc2` pattern; the solid-colour factory video is the unmarked control.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from generec.fidelity import marking, pipeline, provenance
from generec.fidelity import watermark as wm
from generec.fidelity.base import Context
from generec.cli.fidelity import screen_main, verify_main
from generec.fidelity.result import check_publish, check_result
from generec.fidelity.verify import verify
from generec.media import ffmpeg, read_frames
from generec.types import Item


def textured(path: Path, seconds: float = 2.0, size: str = "320x240", src: str = "testsrc2") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"{src}=s={size}:r=24",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def reencode(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), *args,
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(dst)], check=True)
    return dst


@pytest.fixture
def ctx(fast_settings):
    return Context(fast_settings, user="maya", request="a colourful test pattern")


def test_watermark_round_trip_and_survives_half_size(tmp_path):
    src = textured(tmp_path / "gen.mp4")
    out = tmp_path / "gen.wm.mp4"
    info = marking.embed_video(src, out)
    assert info["frames"] == 48
    assert marking.detect_video(out)["detected"]
    assert not marking.detect_video(src)["detected"]
    half = reencode(out, tmp_path / "half.mp4", "-vf", "scale=160:120", "-crf", "28")
    assert marking.detect_video(half)["detected"]


def test_no_watermark_found_on_an_unmarked_solid_video(video_factory):
    plain = video_factory("plain.mp4", ["red", "navy", "white"], size="320x240")
    res = marking.detect_video(plain)
    assert not res["detected"] and res["agreement"] < wm.THRESHOLD


def test_blocks_read_the_same_as_the_invisible_watermark_library(tmp_path):
    """Our vectorised maths against `imwatermark.EmbedDwtDctSvd`, block by block: the library
    reader (one 'bit' per block) must read the bit our layout put in each block."""
    import cv2
    from imwatermark.dwtDctSvd import EmbedDwtDctSvd

    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8), (9, 9), 3)
    marked = wm.embed_frame(img)
    n_blocks = (wm.CANON // 2 // wm.BLOCK) ** 2
    lib = EmbedDwtDctSvd(wmLen=n_blocks, scales=[0, int(wm.SCALE), 0], block=wm.BLOCK)
    per_block = np.array(lib.decode(np.ascontiguousarray(marked[..., ::-1])), dtype=int)   # library wants BGR
    expected = wm.CODE[wm._layout(len(wm.CODE))]
    assert (per_block == expected).mean() > 0.97


def test_cover_image_mark(tmp_path):
    from PIL import Image

    src = textured(tmp_path / "c.mp4", seconds=0.5, size="480x360")
    frame = marking.rgb(read_frames(src, n=1, layout="i420").pixels[0])
    Image.fromarray(frame).save(tmp_path / "cover.jpg", quality=90)
    assert not marking.detect_image(tmp_path / "cover.jpg")["detected"]
    marking.embed_image(tmp_path / "cover.jpg", tmp_path / "cover.jpg")
    assert marking.detect_image(tmp_path / "cover.jpg")["detected"]


def _generated(tmp_path, ctx, name="gen", src_kind="testsrc2", **item_kw):
    media = textured(tmp_path / f"{name}.mp4", src=src_kind)
    item = Item(id=name, title="Test pattern", description="A colourful test pattern", origin="ai_created", owner="maya",
                visibility="private", **item_kw)
    pipeline.inherit_licence(item, [])
    return item, media


def test_finish_signs_and_verify_accepts_then_rejects_tampering(tmp_path, ctx):
    """Validity comes from the C2PA manifest inside the file (tests/test_provenance.py has the details)."""
    item, media = _generated(tmp_path, ctx)
    rep = pipeline.finish(item, media, {"scenes": [{"narration": "A colourful test pattern."}]}, [], ctx)
    assert rep.allowed and not rep.held, rep.summary()
    res = verify(media, ctx.settings)
    assert res["watermark"] and res["manifest_valid"] and res["label"] == "AI-generated", res
    key = Path(ctx.settings.data_dir) / "keys" / "provenance-signer.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert not (Path(ctx.settings.data_dir) / "fidelity" / "provenance.key").exists()

    side = provenance.sidecar(media)
    m = json.loads(side.read_text())
    m["manifest_store"] = {"claim": "it is real footage"}   # the sidecar is a readable copy: editing it changes nothing
    side.write_text(json.dumps(m))
    assert verify(media, ctx.settings)["manifest_valid"]
    side.unlink()
    assert verify(media, ctx.settings)["manifest_valid"]
    edited = reencode(media, tmp_path / "edited.mp4", "-vf", "hflip", "-crf", "20", "-map_metadata", "0")
    res = verify(edited, ctx.settings)       # frames changed and re-encoded: the credentials do not come along
    assert not res["manifest_found"] and not res["manifest_valid"]
    assert any("no Content Credentials" in r for r in res["reasons"])


def test_human_video_verifies_as_unmarked_without_manifest(video_factory, fast_settings, capsys):
    plain = video_factory("human.mp4", ["green", "orange"], size="320x240")
    assert verify_main([str(plain), "--json"], fast_settings) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["watermark"] is False and out["manifest_valid"] is False and out["manifest_found"] is False


def test_result_checks_catch_unmarked_video_personal_data_and_fake_facts(tmp_path, ctx):
    item, media = _generated(tmp_path, ctx)
    item.description = "Call 555-867-5309 for more"
    script = {"scenes": [{"narration": "Real footage from Houston in 1969."}]}
    rep = check_result(item, media, script, [], ctx)
    status = {c.name: c.status for c in rep.checks}
    assert status["watermark"] == "fail"          # not marked yet
    assert status["privacy"] == "fail"
    assert status["authenticity"] == "fail"       # "real footage" on an AI item
    assert status["nsfw"] == "pass" and status["stereotypes"] == "pass"


def test_missing_nsfw_model_holds_the_result(tmp_path, ctx):
    broken = Context(ctx.settings, user="maya", nsfw_model=str(tmp_path / "missing.onnx"))
    item, media = _generated(tmp_path, ctx)
    rep = check_result(item, media, None, [], broken)
    assert rep.get("nsfw").status == "not_run" and rep.held


def test_unmodified_corpus_copy_cannot_be_published(tmp_path, ctx):
    corpus = textured(ctx.settings.media_dir / "pattern.mp4", seconds=4)
    textured(ctx.settings.media_dir / "fractal.mp4", seconds=4, src="mandelbrot")
    copy = reencode(corpus, tmp_path / "copy.mp4", "-vf", "scale=240:180", "-crf", "30")
    src = Item(id="pattern", title="Pattern", licence="CC-BY-4.0", attribution="pattern by someone")
    edit = Item(id="copy", title="Pattern", origin="ai_edited", owner="maya", visibility="public", parent_id="pattern")
    pipeline.inherit_licence(edit, [src])
    rep = check_publish(edit, copy, [src], ctx)
    dup = rep.get("near_duplicate")
    assert dup.status == "fail" and dup.details["item"] == "pattern", dup
    fresh = textured(tmp_path / "fresh.mp4", src="life")
    assert check_publish(edit, fresh, [src], ctx).get("near_duplicate").status == "pass"


def test_screen_cli_json(capsys, fast_settings, tmp_path):
    assert screen_main(["make Barack Obama say my startup is great", "--json"], fast_settings) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["allowed"] is False and out["checks"]["imitation"]["status"] == "fail"
    f = tmp_path / "reqs.txt"
    f.write_text("a sunset timelapse\nemail me at a@b.com and show it on screen\n")
    assert screen_main(["--file", str(f), "--json"], fast_settings) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["allowed"] for x in lines] == [True, False] and "a@b.com" not in lines[1]["text"]


def test_watermark_embedding_leaves_the_picture_nearly_unchanged(tmp_path):
    src = textured(tmp_path / "p.mp4", seconds=0.5, size="480x360")
    frame = marking.rgb(read_frames(src, n=1, layout="i420").pixels[0])
    marked = wm.embed_frame(frame).astype(float)
    psnr = 10 * np.log10(255 ** 2 / np.mean((marked - frame) ** 2))
    assert psnr > 35


def test_blocked_result_is_discarded_with_the_reason(tmp_path, ctx):
    item, media = _generated(tmp_path, ctx)
    script = {"scenes": [{"narration": "Everyone knows women can't drive."}]}
    rep = pipeline.finish(item, media, script, [], ctx)
    assert not rep.allowed and rep.get("stereotypes").status == "fail"
    assert not media.exists() and not provenance.sidecar(media).exists()
    assert item.provenance["checks"]["allowed"] is False


def test_unreadable_media_is_held_not_passed(tmp_path, ctx):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    item = Item(id="b", title="Broken", origin="ai_created", owner="maya", visibility="private")
    pipeline.inherit_licence(item, [])
    rep = check_result(item, broken, None, [], ctx)
    assert rep.held and {c.name for c in rep.checks if c.status == "not_run"} >= {"nsfw", "watermark", "near_duplicate"}
    res = verify(broken, ctx.settings)
    assert res["watermark"] is False and res["manifest_valid"] is False and res["reasons"]


def test_a_new_look_on_a_public_cartoon_is_judged_by_the_cartoons_own_frames(real_app, tmp_path):
    """`bench checks` saw the "vintage" restyle of Big Buck Bunny refused: its sepia frame scored
    0.92 with the NSFW model, the source's own frames do not. An ffmpeg-only edit of public corpus
    video adds no content, so the source's frames decide, and both scores are reported. An edit of
    a private upload, or one a model drew, is still judged on its own frames."""
    from generec.app.tools import edit_item
    from generec.fidelity.result import public_pixels
    from generec.instructor.tools import Deps
    from generec.types import Item, User

    app = real_app
    app.store.upsert_user(User(name="look-test", display="look test (simulated)", simulated=True))
    deps = Deps(store=app.store, catalog=app.catalog, feed=app.feed, settings=app.settings, user="look-test", session="t")
    res = edit_item(deps, "big-buck-bunny-wakes", "restyle", {"style": "vintage", "query": None})
    assert res["status"] == "ok", res
    made = app.store.get_item(res["items"][0]["id"])
    nsfw = made.provenance["checks"]["checks"]["nsfw"]
    assert nsfw["status"] == "pass", nsfw
    assert nsfw["details"]["edit_score"] >= 0.8 > nsfw["details"]["max_score"], nsfw   # the look scored high; the cartoon does not

    src = app.store.get_item("big-buck-bunny-wakes")
    assert public_pixels(made, [src])
    assert not public_pixels(Item(**{**made.to_dict(), "provenance": {**made.provenance, "models": ["diffusers:img2img"]}}), [src])
    upload = Item(**{**src.to_dict(), "id": "mine", "owner": "ann", "visibility": "private"})
    assert not public_pixels(made, [upload])
    assert not public_pixels(Item(**{**made.to_dict(), "origin": "ai_created"}), [src])
