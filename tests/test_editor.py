"""The AI editor on synthetic videos whose right answer is known by construction.

Solid-colour shots give exact cuts and colours; the `colour` image backend makes a colour's
feature its own nearest neighbour; espeak-ng gives real speech for captions.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generec.editor import EditContext, EditError, EditRequest, run_edit
from generec.media import ffmpeg, probe, read_frames
from generec.models.vision import load_image_features
from generec.shots import detect_shots
from generec.types import Item

COLOUR = load_image_features("colour")


def feature(colour: str) -> np.ndarray:
    return COLOUR.analyse([Image.new("RGB", (64, 64), colour)]).features[0]


def source_item(path: Path, item_id: str = "src-video") -> Item:
    return Item(id=item_id, title="Source video", media_path=str(path), licence="CC-BY-4.0", attribution="by Someone")


def frame_at(path: Path, t: float) -> np.ndarray:
    info = probe(path)
    return read_frames(path, n=1, start=t, length=0.0, info=info).pixels[0].astype(np.float32)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def ctx(fast_settings, tmp_path) -> EditContext:
    return EditContext(fast_settings, tmp_path / "out")


def test_shot_detection_finds_the_cuts(video_factory):
    path = video_factory("shots.mp4", ["red", "navy", "green", "white", "orange", "black"], seconds=1.5)
    fps = 6.0
    shots = detect_shots(path, probe(path), fps=fps)
    found = [s.start for s in shots[1:]]
    assert len(found) == 5
    assert np.abs(np.array(found) - np.array([1.5, 3.0, 4.5, 6.0, 7.5])).max() <= 1 / fps + 1e-6
    one = video_factory("one.mp4", ["teal"], seconds=3)
    assert len(detect_shots(one, probe(one), fps=fps)) == 1


def test_thumbnail_picks_the_frame_nearest_the_taste(video_factory, ctx):
    path = video_factory("thumb.mp4", ["red", "black", "blue", "green"], seconds=1.5)
    item = source_item(path)
    made = run_edit("thumbnail", EditRequest(path, item, user="ann", taste=feature("blue")), ctx)
    assert len(made) == 1 and made[0].parent_id == "src-video" and made[0].origin == "ai_edited"
    assert 3.0 <= made[0].provenance["frame_time_s"] < 4.5         # inside the blue shot
    cover = np.asarray(Image.open(ctx.out_dir / Path(made[0].cover_path).name), dtype=float).mean(axis=(0, 1))
    assert cover[2] > 150 and cover[0] < 60 and cover[1] < 60       # the saved cover really is blue
    assert made[0].media_path == str(path) and made[0].licence == "CC-BY-4.0" and "by Someone" in made[0].attribution

    # A taste closer to black than to blue: a plain argmax would pick the black shot.
    taste = 0.8 * feature("black") + 0.2 * feature("blue")
    taste /= np.linalg.norm(taste)
    assert feature("black") @ taste > feature("blue") @ taste
    made = run_edit("thumbnail", EditRequest(path, item, user="ann", taste=taste, instruction="add the title"), ctx)
    assert 3.0 <= made[0].provenance["frame_time_s"] < 4.5         # black frames are skipped
    titled = np.asarray(Image.open(ctx.out_dir / Path(made[0].cover_path).name), dtype=float)
    plain = np.asarray(Image.open(made[0].provenance["variants"]["plain_cover"]), dtype=float)
    h = titled.shape[0]
    assert np.abs(titled[-h // 4:] - plain[-h // 4:]).mean() > 10      # the title is drawn at the bottom
    assert np.abs(titled[: h // 3] - plain[: h // 3]).mean() < 2


def test_clip_follows_the_taste_and_renders_5_to_30_s(video_factory, ctx):
    colours = ["red", "green", "yellow", "blue", "orange", "purple", "white", "gray"]
    path = video_factory("long.mp4", colours, seconds=3.0)
    req = EditRequest(path, source_item(path, "long-one"), user="ann", instruction="one clip", taste=feature("blue"))
    made = run_edit("clip", req, ctx)
    assert len(made) == 1
    clip = made[0]
    info = probe(ctx.out_dir / Path(clip.media_path).name)
    assert 5.0 <= info.duration_s <= 30.5 and clip.parent_id == "long-one" and clip.visibility == "private"
    p = clip.provenance["params"]
    assert p["start_s"] <= 9.0 and p["end_s"] >= 12.0                 # the blue shot (9-12 s) is in it
    assert (ctx.out_dir / Path(clip.cover_path).name).exists()


def test_restyle_noir_speed_and_vertical(video_factory, ctx):
    path = video_factory("style.mp4", ["red", "blue"], seconds=1.0, size="320x180", audio=True)
    noir = run_edit("restyle", EditRequest(path, instruction="make it noir"), ctx)[0]
    out = ctx.out_dir / Path(noir.media_path).name
    for t in (0.5, 1.5):
        f = frame_at(out, t)
        assert np.abs(f - f.mean(axis=2, keepdims=True)).max() < 8      # grey: channels agree
    assert probe(out).has_audio
    fast = run_edit("restyle", EditRequest(path, instruction="2x speed"), ctx)[0]
    assert abs(probe(ctx.out_dir / Path(fast.media_path).name).duration_s - 1.0) < 0.15
    tall = run_edit("restyle", EditRequest(path, instruction="vertical for tiktok"), ctx)[0]
    assert tall.height == 180 and abs(tall.width / tall.height - 9 / 16) < 0.03
    with pytest.raises(EditError, match="could not tell"):
        run_edit("restyle", EditRequest(path, instruction="make it better"), ctx)


@pytest.fixture
def speech_video(tmp_path) -> Path:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    wav, out = tmp_path / "speech.wav", tmp_path / "speech.mp4"
    subprocess.run(["espeak-ng", "-w", str(wav), "Music brings people together. Share your songs with the world."], check=True)
    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=navy:s=320x240:d=6:r=24", "-i", str(wav),
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)], check=True)
    return out


def test_caption_burns_subtitles_where_there_is_speech(speech_video, ctx):
    made = run_edit("caption", EditRequest(speech_video, instruction="make it funny"), ctx)[0]
    a, b = made.provenance["cue_times"][0]
    assert "song" in made.provenance["heard"].lower()
    out = ctx.out_dir / Path(made.media_path).name
    before, after = frame_at(speech_video, (a + b) / 2), frame_at(out, (a + b) / 2)
    h = before.shape[0]
    assert np.abs(after[-h // 4:] - before[-h // 4:]).mean() > 8     # text in the subtitle band
    assert np.abs(after[: h // 2] - before[: h // 2]).mean() < 3     # nothing drawn elsewhere
    assert made.provenance["rewrite"].startswith("template") and made.title != "speech"

    ctx.llm_text = lambda prompt: '{"title": "Songs unite us", "description": "A call to share music."}'
    again = run_edit("caption", EditRequest(speech_video, instruction="formal"), ctx)[0]
    assert (again.title, again.provenance["rewrite"]) == ("Songs unite us", "llm")


def test_caption_refuses_videos_without_speech(video_factory, ctx, tmp_path):
    mute = video_factory("mute.mp4", ["red"], seconds=2)
    with pytest.raises(EditError, match="no speech"):
        run_edit("caption", EditRequest(mute), ctx)
    silent = tmp_path / "silent.mp4"
    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=160x120:d=2:r=24", "-f", "lavfi",
                    "-i", "anullsrc=r=44100:cl=mono", "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(silent)], check=True)
    with pytest.raises(EditError, match="no speech"):
        run_edit("caption", EditRequest(silent), ctx)
    assert files_in(ctx.out_dir) == []


def test_bad_inputs_get_clear_messages_and_leave_nothing(video_factory, ctx, tmp_path):
    from generec.editor.hook import request_for
    from generec.store import open_store

    corrupt = tmp_path / "broken.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(EditError, match="corrupt"):
        run_edit("thumbnail", EditRequest(corrupt), ctx)
    ok = video_factory("ok.mp4", ["red", "blue"], seconds=1.5)
    with pytest.raises(EditError, match="longer than the 2 s limit"):
        run_edit("restyle", EditRequest(ok, instruction="noir"), EditContext(ctx.settings.with_(max_video_s=2.0), ctx.out_dir))
    with pytest.raises(EditError, match="MB limit"):
        run_edit("restyle", EditRequest(ok, instruction="noir"), EditContext(ctx.settings.with_(max_upload_mb=0), ctx.out_dir))
    with pytest.raises(EditError, match="unknown edit .* thumbnail, clip, restyle, caption"):
        run_edit("explode", EditRequest(ok), ctx)
    with pytest.raises(EditError, match="no item “nope”"):
        request_for(None, open_store(f"sqlite:///{tmp_path / 'db.sqlite'}"), "ann", item_id="nope")
    assert files_in(ctx.out_dir) == []


def test_a_failure_midway_removes_every_file_it_wrote(video_factory, ctx, monkeypatch):
    from generec.editor import clip

    path = video_factory("two.mp4", ["red", "green", "blue", "yellow", "white", "navy"], seconds=5.0)
    real_render, calls = clip.render, []

    def render_then_fail(src, start, end, dst, has_audio):
        calls.append(dst)
        real_render(src, start, end, dst, has_audio)
        if len(calls) == 2:
            raise EditError("disk full (simulated)")

    monkeypatch.setattr(clip, "render", render_then_fail)
    with pytest.raises(EditError, match="simulated"):
        run_edit("clip", EditRequest(path, instruction="two clips"), ctx)
    assert len(calls) == 2 and calls[0].exists() is False           # the first, finished clip is gone too
    assert files_in(ctx.out_dir) == []


def test_cli_prints_the_new_items(video_factory, tmp_path, monkeypatch, capsys):
    from generec.cli.editor import main

    monkeypatch.setenv("GENEREC_DATA_DIR", str(tmp_path / "data"))
    path = video_factory("cli.mp4", ["red", "blue"], seconds=1.5)
    assert main(["restyle", "--video", str(path), "--instruction", "vintage", "--out", str(tmp_path / "o"), "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 1 and Path(items[0]["media"]).exists() and items[0]["provenance"]["params"]["look"] == "vintage"
    assert main(["restyle", "--video", str(tmp_path / "missing.mp4"), "--instruction", "noir", "--out", str(tmp_path / "o")]) == 2
    assert "no such video" in capsys.readouterr().err


def tiny_img2img(folder: Path) -> Path:
    """A StableDiffusionImg2ImgPipeline with random weights (~1.5 M parameters), saved like a real one."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionImg2ImgPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab.update({c: len(vocab), c + "</w>": len(vocab) + 1})
    (folder / "tok").mkdir(parents=True)
    (folder / "tok" / "vocab.json").write_text(json.dumps(vocab))
    (folder / "tok" / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "tok" / "vocab.json"), str(folder / "tok" / "merges.txt"), model_max_length=77)
    unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
                                down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                                cross_attention_dim=32, attention_head_dim=8)
    vae = AutoencoderKL(block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2)
    text = CLIPTextModel(CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37,
                                        num_attention_heads=4, num_hidden_layers=2, vocab_size=len(vocab), max_position_embeddings=77))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionImg2ImgPipeline(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                                          safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder / "model")
    return folder / "model"


def test_restyle_through_a_diffusers_img2img_pipeline(video_factory, fast_settings, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    model = tiny_img2img(tmp_path / "tiny")
    path = video_factory("paint.mp4", ["red"], seconds=1.0, audio=True)
    ctx = EditContext(fast_settings, tmp_path / "out", img2img=str(model),
                      img2img_options={"size": 64, "steps": 2, "fps": 4, "guidance": 1.0, "strength": 0.6})
    made = run_edit("restyle", EditRequest(path, instruction="warm"), ctx)[0]
    out = ctx.out_dir / Path(made.media_path).name
    info = probe(out)
    assert (info.width, info.height, info.has_audio) == (160, 120, True)
    assert made.provenance["img2img"]["frames"] == 4 and made.provenance["models"] == [str(model)]
    red = np.array([255, 0, 0], dtype=np.float32)
    assert np.abs(frame_at(out, 0.5) - red).mean() > 20              # random weights repaint it: not the red source
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = EditContext(fast_settings, tmp_path / "out2", img2img=str(tmp_path / "no-model"), img2img_options={"size": 64, "fps": 4})
    with pytest.raises(EditError, match="image-to-image restyling: the diffusers model .* could not be loaded"):
        run_edit("restyle", EditRequest(path, instruction="warm"), missing)


def test_app_hook_uses_the_users_likes_and_adds_only_successful_edits(video_factory, fast_settings):
    from generec.app.tools import edit_item
    from generec.instructor.tools import Deps
    from generec.recsys.catalog import Catalog
    from generec.recsys.feed import Feed
    from generec.store import open_store
    from generec.types import Interaction, User

    store = open_store(fast_settings.db_url)
    catalog = Catalog(fast_settings, store)
    media = fast_settings.media_dir
    video = video_factory("corpus.mp4", ["red", "black", "blue", "green"], seconds=1.5)
    liked = video_factory("liked.mp4", ["blue"], seconds=1.0)
    media.mkdir(parents=True)
    for name, src in (("corpus", video), ("liked", liked)):
        shutil.copy(src, media / f"{name}.mp4")
    Image.new("RGB", (160, 120), "blue").save(media / "liked.jpg")
    Image.new("RGB", (160, 120), "red").save(media / "corpus.jpg")
    catalog.add([Item(id="corpus", title="Colours", media_path="media/corpus.mp4", cover_path="media/corpus.jpg", duration_s=6.0),
                 Item(id="liked", title="Blue", media_path="media/liked.mp4", cover_path="media/liked.jpg", duration_s=1.0)])
    store.upsert_user(User(name="ann"))
    store.record(Interaction("ann", "liked", "like"))
    deps = Deps(store=store, catalog=catalog, feed=Feed(catalog), settings=fast_settings, user="ann", session="t")

    original = (media / "corpus.mp4").read_bytes()
    res = edit_item(deps, "corpus", "thumbnail", {"style": None, "query": None})
    assert res["status"] == "ok"
    new = store.get_item(res["items"][0]["id"])
    # Fidelity (issue 7): the new cover is watermarked and signed; the corpus video is untouched.
    from generec.fidelity import verify

    assert (media / "corpus.mp4").read_bytes() == original
    v = verify(catalog.path(new.cover_path), fast_settings)
    assert v["watermark"] and v["manifest_valid"], v["reasons"]
    assert new.provenance["checks"]["allowed"] and new.provenance["label"] == "AI-edited"
    noir = edit_item(deps, "corpus", "restyle", {"style": "noir", "query": None})
    assert noir["status"] == "ok", noir
    v = verify(catalog.path(noir["items"][0]["media"]), fast_settings)
    assert v["watermark"] and v["manifest_valid"], v["reasons"]
    assert not verify(media / "corpus.mp4", fast_settings)["watermark"]
    # The source has no known licence, so its edit cannot be published (flat synthetic frames carry no
    # perceptual hash, so the near-duplicate rule is exercised in test_fidelity_media instead).
    from generec.fidelity.gate import publish

    with pytest.raises(ValueError):
        publish(new, "bob", fast_settings, store)
    rep = publish(new, "ann", fast_settings, store)
    assert not rep.allowed and rep.get("licence").status == "fail" and "publishing is blocked" in rep.get("licence").reason
    assert store.get_item(new.id).visibility == "private"
    assert new.parent_id == "corpus" and new.visibility == "private" and new.owner == "ann"
    assert 3.0 <= new.provenance["frame_time_s"] < 4.5                 # taste = the liked blue cover
    assert new.id in catalog.visible("ann") and new.id not in catalog.visible("bob")
    before = len(store.list_items(visible_to="ann"))
    bad = edit_item(deps, "corpus", "restyle", {"style": "make it better", "query": None})
    assert bad["status"] == "error" and "could not tell" in bad["message"]
    assert len(store.list_items(visible_to="ann")) == before
