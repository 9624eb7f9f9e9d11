import pytest

from generec.media import MediaError, frame_quality, load_image, normalise, probe, sample_frames


def test_probe_and_normalise_keep_audio(video_factory, tmp_path):
    src = video_factory("a.mp4", ["red", "blue"], seconds=1.0, size="320x240", audio=True)
    info = probe(src)
    assert 1.8 < info.duration_s < 2.3 and (info.width, info.height) == (320, 240) and info.has_audio
    out = normalise(src, tmp_path / "out" / "a.mp4", max_side=160)
    assert out.has_audio and max(out.width, out.height) <= 160 and out.width % 2 == 0
    assert not list((tmp_path / "out").glob("*.mp4.*")) and not [p for p in (tmp_path / "out").iterdir() if p.name != "a.mp4"]


def test_silent_video_stays_silent(video_factory, tmp_path):
    out = normalise(video_factory("s.mp4", ["green"]), tmp_path / "s.mp4")
    assert not out.has_audio


def test_frames_follow_the_shots(video_factory):
    frames = sample_frames(video_factory("c.mp4", ["red", "blue"], seconds=1.0), n=2)
    (t0, f0), (t1, f1) = frames
    assert t0 < 1.0 < t1
    r, g, b = f0.resize((1, 1)).getpixel((0, 0))
    assert r > 200 and b < 60
    r, g, b = f1.resize((1, 1)).getpixel((0, 0))
    assert b > 200 and r < 60


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100])
def test_corrupt_or_empty_files_get_a_clear_message(tmp_path, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(MediaError, match="bad.mp4: (the file is empty|no readable video stream)"):
        probe(bad)
    with pytest.raises(MediaError):
        normalise(bad, tmp_path / "o" / "bad.mp4")
    assert not (tmp_path / "o" / "bad.mp4").exists()


def test_black_frames_score_below_textured_ones():
    from PIL import Image
    import numpy as np

    black = Image.new("RGB", (64, 64))
    noise = Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype("uint8"))
    assert frame_quality(black) == 0.0 < frame_quality(noise)


def test_images_are_checked(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(MediaError, match="not an image type"):
        load_image(tmp_path / "x.txt")
    (tmp_path / "x.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(MediaError, match="could not be decoded"):
        load_image(tmp_path / "x.png")
