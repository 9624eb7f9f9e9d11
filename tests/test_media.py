import pytest

from generec.media import MediaError, frame_quality, load_image, normalise, probe, read_frames


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
    frames = read_frames(video_factory("c.mp4", ["red", "blue"], seconds=1.0), n=2, width=256)
    (t0, t1), (f0, f1) = frames.times, frames.images()
    assert t0 < 1.0 < t1 and f0.size == (256, 192)
    r, g, b = f0.resize((1, 1)).getpixel((0, 0))
    assert r > 200 and b < 60
    r, g, b = f1.resize((1, 1)).getpixel((0, 0))
    assert b > 200 and r < 60


def test_frames_at_a_steady_rate_over_a_window(video_factory):
    path = video_factory("w.mp4", ["red", "blue", "green"], seconds=1.0)
    frames = read_frames(path, fps=4, start=0.5, length=1.0, width=64)
    assert frames.pixels.shape == (4, 48, 64, 3) and frames.fps == 4
    assert list(frames.times) == [0.5, 0.75, 1.0, 1.25]
    assert frames.pixels[0, ..., 0].mean() > 200 and frames.pixels[-1, ..., 2].mean() > 200   # red, then blue
    whole = read_frames(path, fps=2, width=32)
    assert len(whole) == 6 and whole.pixels[-1, ..., 1].mean() > 100                          # to the end: green


def test_spread_frames_come_alike_from_one_pass_or_from_seeks(video_factory, monkeypatch):
    import generec.media as media

    path = video_factory("s.mp4", ["red", "blue", "green"], seconds=1.0)
    one_pass = read_frames(path, n=3, width=32)
    monkeypatch.setattr(media, "SEEK_S", 1.0)     # a 3 s video is now "long": one seek per frame
    seeks = read_frames(path, n=3, width=32)
    assert list(one_pass.times) == list(seeks.times) == [0.5, 1.5, 2.5]
    assert [int(f.mean(axis=(0, 1)).argmax()) for f in seeks.pixels] == [0, 2, 1]            # red, blue, green
    assert abs(one_pass.pixels.astype(int) - seeks.pixels).max() < 8


def test_a_video_filmed_upright_is_read_upright(video_factory, tmp_path):
    import subprocess

    from generec.media import ffmpeg

    turned = tmp_path / "turned.mp4"   # stored 160x120 with a display rotation, as phones record
    subprocess.run([ffmpeg(), "-loglevel", "error", "-display_rotation", "90", "-i", str(video_factory("p.mp4", ["red"], seconds=0.5)),
                    "-c", "copy", str(turned)], check=True)
    info = probe(turned)
    assert (info.width, info.height) == (120, 160)
    assert read_frames(turned, n=1, width=60, info=info).pixels.shape == (1, 80, 60, 3)


def test_i420_frames_are_limited_range_bt601(video_factory):
    frames = read_frames(video_factory("y.mp4", ["white", "black"], seconds=1.0, size="160x120"), n=2, layout="i420")
    assert frames.pixels.shape == (2, 180, 160)                       # Y (120 rows) over U and V (30 rows each)
    y_white, y_black = frames.pixels[0, :120].mean(), frames.pixels[1, :120].mean()
    assert abs(y_white - 235) < 3 and abs(y_black - 16) < 3 and abs(frames.pixels[0, 120:].mean() - 128) < 3


def test_frame_size_follows_the_aspect_ratio_and_is_bounded(video_factory, tmp_path):
    tall = video_factory("t.mp4", ["red"], seconds=0.5, size="40x400")
    assert read_frames(tall, n=1, width=64).pixels.shape == (1, 256, 26, 3)   # never taller than four widths
    assert read_frames(tall, n=1, width=64, height=64).pixels.shape == (1, 64, 64, 3)
    assert read_frames(tall, n=1).pixels.shape == (1, 400, 40, 3)              # the source's own size
    with pytest.raises(MediaError, match="t.mp4: frames of .* more than the 50 megapixels"):
        read_frames(tall, n=1, width=8000)
    import subprocess

    from generec.media import ffmpeg

    whole = tmp_path / "whole.mp4"           # index first (faststart), so a file cut short still probes
    subprocess.run([ffmpeg(), "-loglevel", "error", "-i", str(tall), "-c", "copy", "-movflags", "+faststart", str(whole)], check=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[:1200])
    assert probe(cut).width == 40
    with pytest.raises(MediaError, match="cut.mp4: no frame could be decoded .* try another or re-export it as mp4"):
        read_frames(cut, n=2)


def test_frame_reads_are_bounded_in_time(video_factory, monkeypatch):
    import generec.media as media

    path = video_factory("slow.mp4", ["red"], seconds=0.5)
    info = probe(path)
    monkeypatch.setattr(media, "MAX_READ", 10 * 160 * 120 * 3)    # ten frames' worth of memory
    with pytest.raises(MediaError, match="slow.mp4: .* more than I decode at once"):
        read_frames(path, fps=24, info=info)
    assert len(read_frames(path, fps=4, info=info)) <= 10
    monkeypatch.setattr(media, "FRAME_S", 1e-4)
    with pytest.raises(MediaError, match="slow.mp4: reading it took longer than"):
        read_frames(path, n=1, info=info)


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


def test_names_in_messages_are_printable_and_short():
    from generec.media import label

    assert label("/up/a\nb.png") == "a?b.png" and label("caf\udce9.jpg") == "caf?.jpg"
    assert label("/up/\u202egpj.exe") == "?gpj.exe" and label("../../etc/passwd.jpg") == "passwd.jpg"
    long = label("/up/" + "x" * 300 + ".png")
    assert len(long) == 60 and long.endswith("x.png") and "…" in long


def _png_header(w: int, h: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(bytes(1 << 20))) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("w, h", [(8000, 8000), (10_000, 10_000), (100_000, 100_000)])
def test_a_picture_is_sized_before_it_is_decoded(tmp_path, w, h):
    big = tmp_path / "big.png"
    big.write_bytes(_png_header(w, h))   # 1 KB on disk; gigabytes of pixels if decoded
    with pytest.raises(MediaError, match="big.png: the picture claims to be .* more than the 50 megapixels"):
        load_image(big)


def test_only_plain_picture_formats_are_parsed(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "t.tif")
    (tmp_path / "t.png").write_bytes((tmp_path / "t.tif").read_bytes())   # TIFF (or EPS, PSD...) named .png
    with pytest.raises(MediaError, match="could not be decoded"):
        load_image(tmp_path / "t.png")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "real.png")
    (tmp_path / "png.jpg").write_bytes((tmp_path / "real.png").read_bytes())   # a plain format, misnamed, is fine
    assert load_image(tmp_path / "png.jpg").size == (8, 8)


def test_ffmpeg_opens_only_the_file_it_is_given(video_factory, tmp_path):
    src = video_factory("ok.mp4", ["red"], seconds=0.5)
    (src.parent / "list.mp4").write_text("ffconcat version 1.0\nfile ok.mp4\n")   # names another file
    from PIL import Image

    Image.new("RGB", (64, 48)).save(src.parent / "photo.mp4", "JPEG")            # a still, not a video
    for name in ("list.mp4", "photo.mp4"):
        with pytest.raises(MediaError, match=f"{name}: no readable video stream"):
            probe(src.parent / name)
    odd = src.parent / "-i concat:x|y.mp4"        # an option- or protocol-like name is still just a file
    odd.write_bytes(src.read_bytes())
    assert probe(odd).width == 160 and len(read_frames(odd, n=1)) == 1


def test_ffmpeg_runs_are_bounded_in_time(video_factory, monkeypatch):
    import generec.media as media

    monkeypatch.setattr(media, "PROBE_S", 1e-4)
    with pytest.raises(MediaError, match="a.mp4: reading it took longer than"):
        probe(video_factory("a.mp4", ["red"], seconds=0.5))


def test_audio_is_decoded_no_further_than_the_limit(tmp_path):
    import time
    import wave

    import numpy as np

    from generec.media import read_audio

    def wav(name: str, rate: int, n: int):
        with wave.open(str(tmp_path / name), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
            w.writeframes((np.sin(np.arange(n) / 5) * 8000).astype("<i2").tobytes())
        return tmp_path / name
    assert abs(read_audio(wav("a.wav", 8000, 8000), max_s=10).size - 16000) < 100   # 1 s, resampled to 16 kHz
    t0 = time.perf_counter()
    with pytest.raises(MediaError, match="slow.wav: the recording is longer than the 60 s limit"):
        read_audio(wav("slow.wav", 1, 8000), max_s=60)   # a header saying 1 Hz: 8000 samples last 2 h 13 min
    assert time.perf_counter() - t0 < 10
    (tmp_path / "photo.wav").write_bytes(_png_header(8, 8))
    with pytest.raises(MediaError, match="photo.wav: the recording could not be decoded"):
        read_audio(tmp_path / "photo.wav", max_s=60)
