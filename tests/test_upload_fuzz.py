"""Malformed uploads through the real chat turn (issue 11, "Bad input").

Hypothesis builds broken files from small valid ones made here (JPEG, PNG, GIF, WebP, BMP, MP4,
WAV; MOV, MKV and TIFF for bombs): cut short, bytes flipped, header fields that lie, huge claimed dimensions, decompression
bombs, zero bytes, random bytes, wrong extensions and path-like names. Each goes alone through
`GeneRec.turn` on a three-video corpus (the model-free settings of `fast_settings`, keyword
planner). Per file: nothing escapes; either one Problem names the file and says what to do, and
no table row, item, or file in the data dir changes, or the damage left a usable file, which is
used like any other. Either way the next text turn still shows items. The outcomes per category
go to `upload_fuzz_counts.json` in pytest's base temp dir (and are printed at the end).
"""
from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import tempfile
import time
import wave
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings as fuzz, strategies as st
from PIL import Image

from conftest import make_video
from generec.config import Settings
from generec.events import Problem, ShowItem, Step
from generec.media import ffmpeg, label
from generec.store.schema import TABLES
from generec.types import Item

USER = "fuzz"
USED = {"Looked at your picture", "Heard you", "Watched your video"}
ADVICE = ("send", "attach", "try", "record", "type")
COUNTS: Counter = Counter()
CATEGORIES = ("truncated", "byte flips", "lying header", "huge dimensions", "decompression bomb",
              "zero bytes", "random bytes", "wrong extension", "path-like name")
EXT = {"jpg": ".jpg", "png": ".png", "gif": ".gif", "webp": ".webp", "bmp": ".bmp", "mp4": ".mp4", "wav": ".wav"}
KINDS = tuple(EXT)
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


# -- small valid files, made here -------------------------------------------------------------
def _picture(fmt: str, **kw) -> bytes:
    a = np.zeros((32, 48, 3), np.uint8)
    a[..., 0], a[..., 2] = np.arange(48, dtype=np.uint8) * 5, 180
    im = Image.fromarray(a)
    buf = io.BytesIO()
    (im.convert("P") if fmt == "GIF" else im).save(buf, fmt, **kw)
    return buf.getvalue()


def _wav(samples: np.ndarray, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def _video(ext: str, *args: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"b.{ext}"
        subprocess.run([ffmpeg(), "-loglevel", "error", "-f", "lavfi", "-i", "color=c=red:s=64x48:d=0.5:r=12", *args, str(out)], check=True)
        return out.read_bytes()


@lru_cache(maxsize=None)
def base(kind: str) -> bytes:
    """One small valid file of each kind. The sound is silence: it is decoded like any other, and
    the speech model (seconds per call here) only runs when a mutation makes a noise."""
    if kind == "mp4":   # H.264 + AAC, index at the end as most cameras write it
        return _video("mp4", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:d=0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-shortest")
    if kind == "mov":   # raw frames, whose size only the sample description gives
        return _video("mov", "-s", "16x16", "-c:v", "rawvideo", "-pix_fmt", "rgb24")
    if kind == "mkv":
        return _video("mkv", "-c:v", "libx264", "-pix_fmt", "yuv420p")
    if kind == "wav":
        return _wav(np.zeros(8000))
    if kind == "tif":
        return _picture("TIFF")
    return _picture({"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP"}[kind],
                    **({"lossless": True} if kind == "webp" else {}))


@lru_cache(maxsize=None)
def zeros_z(mb: int) -> bytes:
    """`mb` megabytes of zero bytes, deflated (about a thousandth of the size)."""
    return zlib.compress(bytes(mb << 20), 9)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(w: int, h: int, idat_mb: int = 20) -> bytes:
    """A PNG whose header says w×h RGB and whose pixel data inflates to `idat_mb` MB of zeros."""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zeros_z(idat_mb)) + _chunk(b"IEND", b""))


def png_with_chunk(kind: bytes, payload: bytes) -> bytes:
    png = base("png")
    return png[:33] + _chunk(kind, payload) + png[33:]


# -- header fields, by kind: (name, anchor, offset from it, struct format) ---------------------
# The anchor is the file's start (None), the first occurrence of a tag, or a tag after another tag.
FIELDS = {
    "png": [("width", None, 16, ">I"), ("height", None, 20, ">I"), ("bit depth", None, 24, "B"),
            ("colour type", None, 25, "B"), ("interlace", None, 28, "B"), ("IHDR length", None, 8, ">I")],
    "jpg": [("height", b"\xff\xc0", 5, ">H"), ("width", b"\xff\xc0", 7, ">H"), ("precision", b"\xff\xc0", 4, "B"),
            ("components", b"\xff\xc0", 9, "B"), ("SOF length", b"\xff\xc0", 2, ">H"), ("DQT length", b"\xff\xdb", 2, ">H")],
    "gif": [("screen width", None, 6, "<H"), ("screen height", None, 8, "<H"), ("flags", None, 10, "B"),
            ("frame width", "frame", 5, "<H"), ("frame height", "frame", 7, "<H"), ("LZW code size", "frame", 10, "B")],
    "bmp": [("data offset", None, 10, "<I"), ("width", None, 18, "<I"), ("height", None, 22, "<I"),
            ("bits per pixel", None, 28, "<H"), ("compression", None, 30, "<I"), ("header size", None, 14, "<I")],
    "webp": [("RIFF size", None, 4, "<I"), ("chunk size", None, 16, "<I"), ("VP8L dimensions", None, 21, "<I")],
    "wav": [("RIFF size", None, 4, "<I"), ("format", None, 20, "<H"), ("channels", None, 22, "<H"),
            ("sample rate", None, 24, "<I"), ("byte rate", None, 28, "<I"), ("block align", None, 32, "<H"),
            ("bits per sample", None, 34, "<H"), ("data size", None, 40, "<I")],
    "mp4": [("movie timescale", b"mvhd", 16, ">I"), ("movie duration", b"mvhd", 20, ">I"), ("track duration", b"tkhd", 24, ">I"),
            ("track width", b"tkhd", 80, ">H"), ("track height", b"tkhd", 84, ">H"), ("media timescale", b"mdhd", 16, ">I"),
            ("media duration", b"mdhd", 20, ">I"), ("coded width", (b"avc1", b"stsd"), 28, ">H"),
            ("coded height", (b"avc1", b"stsd"), 30, ">H"), ("moov size", b"moov", -4, ">I"),
            ("first sample size", b"stsz", 16, ">I"), ("first chunk offset", b"stco", 12, ">I")],
}


def where(data: bytes, anchor) -> int:
    if anchor is None:
        return 0
    if anchor == "frame":   # a GIF's first image descriptor, after the header and global colour table
        return data.index(b"\x2c", 13 + ((3 << ((data[10] & 7) + 1)) if data[10] & 0x80 else 0))
    tag, after = anchor if isinstance(anchor, tuple) else (anchor, None)
    i = data.find(tag, data.find(after) if after else 0)
    assert i >= 0, anchor
    return i


def put(data: bytes, at: int, fmt: str, value: int) -> bytes:
    n = struct.calcsize(fmt)
    return data[:at] + struct.pack(fmt, value & ((1 << 8 * n) - 1)) + data[at + n:]


def lie(kind: str, field: str, value: int, data: bytes | None = None) -> bytes:
    """`data` (the valid file of `kind` by default) with one header field set to `value`."""
    data = base(kind) if data is None else data
    _, anchor, offset, fmt = next(f for f in FIELDS[kind] if f[0] == field)
    data = put(data, where(data, anchor) + offset, fmt, value)
    return put(data, 29, ">I", zlib.crc32(data[12:29])) if kind == "png" else data   # a PNG lie keeps a valid checksum


def huge(kind: str, w: int, h: int) -> bytes:
    """A small valid file whose header claims w×h pixels (WebP's header holds at most 16384)."""
    if kind == "webp":   # VP8L: 14 bits width-1, 14 bits height-1, then alpha and version bits
        bits = struct.unpack("<I", base("webp")[21:25])[0]
        return put(base("webp"), 21, "<I", (bits & ~0xFFFFFFF) | (min(w, 16384) - 1) | ((min(h, 16384) - 1) << 14))
    if kind == "mov":
        i = where(base("mov"), (b"raw ", b"stsd"))
        return put(put(base("mov"), i + 28, ">H", w), i + 30, ">H", h)
    pairs = {"png": ("width", "height"), "jpg": ("width", "height"), "bmp": ("width", "height"),
             "gif": ("screen width", "screen height", "frame width", "frame height")}[kind]
    data = base(kind)
    for field in pairs:
        data = lie(kind, field, h if "height" in field else w, data)
    return data


def bomb(recipe: tuple) -> tuple[str, bytes]:
    """(extension, content) of one decompression bomb: little on disk, enormous once decoded."""
    what, a, b = recipe
    if what == "png pixels":        # 20 KB of deflate that inflates to 20 MB, in a picture claiming gigapixels
        return ".png", png_claiming(a, b)
    if what == "png text":          # a compressed text or colour-profile chunk that inflates to 64 MB
        kind = (b"zTXt", b"iCCP", b"iTXt")[a % 3]
        head = {b"zTXt": b"Comment\0\0", b"iCCP": b"icc\0\0", b"iTXt": b"Comment\0\1\0\0\0"}[kind]
        return ".png", png_with_chunk(kind, head + zeros_z(64))
    if what == "tiff as png":       # TIFF is not read at all, whatever it claims
        data, entry = base("tif"), struct.pack("<HHII", 256, 4, 1, 48)   # ImageWidth, LONG, 1, 48
        assert entry in data
        return ".png", data.replace(entry, struct.pack("<HHII", 256, 4, 1, a), 1)
    if what == "slow wav":          # 8000 samples at a few per second: hours of sound to resample
        return ".wav", lie("wav", "sample rate", a)
    if what == "long mkv":          # a Matroska header claiming `a` seconds (ffmpeg believes it; mp4's are checked)
        data = base("mkv")
        i = where(data, b"\x44\x89\x88") + 3        # Segment Info > Duration, an 8-byte float in milliseconds
        return ".mkv", data[:i] + struct.pack(">d", a * 1000.0) + data[i + 8:]
    if what == "gif screen":        # a GIF whose canvas alone would be gigabytes
        return ".gif", huge("gif", a, b)
    raise AssertionError(what)


# -- the app ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A three-video corpus with the settings of conftest's `fast_settings` and the keyword planner."""
    from generec.app import GeneRec

    root = tmp_path_factory.mktemp("fuzz")
    settings = Settings(data_dir=root / "data", embedder="hash", image_features="colour", threads=1).with_(llm="rules")
    app = GeneRec(settings)
    media = settings.media_dir
    corpus = [("sea", "Blue sea", "Calm blue waves", ["blue", "navy"]), ("fire", "Red fire", "A warm red glow", ["red", "orange"]),
              ("forest", "Green forest", "Quiet green trees", ["green", "darkgreen"])]
    items = []
    for key, title, desc, colours in corpus:
        make_video(media / f"{key}.mp4", colours, seconds=1.0)
        Image.new("RGB", (160, 120), colours[0]).save(media / f"{key}.jpg")
        items.append(Item(id=key, title=title, description=desc, tags=colours, media_path=f"media/{key}.mp4",
                          cover_path=f"media/{key}.jpg", duration_s=2.0, licence="CC0-1.0"))
    app.catalog.add(items)
    app.user(USER, create=True)
    yield app, root / "uploads"
    out = Path(tmp_path_factory.getbasetemp()) / "upload_fuzz_counts.json"
    out.write_text(json.dumps(dict(sorted(COUNTS.items())), indent=1))
    print(f"\nupload fuzz counts ({sum(COUNTS.values())} examples) -> {out}\n{out.read_text()}")


def snapshot(app) -> dict:
    data = app.settings.data_dir
    files = {str(p.relative_to(data)): p.stat().st_size for p in data.rglob("*")
             if p.is_file() and not p.name.startswith("generec.db")}
    return {"rows": {t: app.store.count(t) for t in TABLES}, "items": sorted(i.id for i in app.store.list_items()), "files": files}


def write(updir: Path, name: str, data: bytes) -> Path:
    updir.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=updir)) / name
    path.write_bytes(data)
    return path


def push(world, category: str, name: str, data: bytes | None, path: str | None = None, record: bool = True) -> tuple[str, list[str]]:
    """One upload alone through a turn, then a text turn; returns the outcome and the problems."""
    app, updir = world
    path = path or str(write(updir, name, data))
    before = snapshot(app)
    t0 = time.perf_counter()
    evs = list(app.turn(USER, "", [path], session="fuzz"))
    problems = [e.text for e in evs if isinstance(e, Problem)]
    used = [e for e in evs if isinstance(e, Step) and e.title in USED]
    if problems:
        assert not used and len(problems) == 1, evs
        assert label(path) in problems[0], (label(path), problems)
        assert any(w in problems[0].lower() for w in ADVICE), problems
        assert "something went wrong" not in problems[0], problems     # every failure was foreseen
        assert not any(isinstance(e, ShowItem) for e in evs)
        assert snapshot(app) == before
        outcome = "refused"
    else:   # the damage left a usable file: used like any upload, and it adds no item
        assert used, evs
        assert snapshot(app)["items"] == before["items"]
        outcome = "used"
    assert time.perf_counter() - t0 < 60
    if record:
        COUNTS[f"{category}/{outcome}"] += 1
    after = list(app.turn(USER, "something calm and blue", session="fuzz"))
    assert any(isinstance(e, ShowItem) for e in after), after
    return outcome, problems


# -- strategies ---------------------------------------------------------------------------------
kinds = st.sampled_from(KINDS)
u32 = st.one_of(st.sampled_from([0, 1, 2, 255, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0xFFFFFFFF]), st.integers(0, 2**32 - 1))
big_side = st.integers(7100, 100_000)           # two of these make more than MAX_PIXELS
ODD_NAMES = ["..jpg", "...png", ".jpg", "-i.mp4", "-y.wav", "concat:a.mp4|b.mp4", "file:x.png", "http:evil.mp4",
             "a\nb.png", "a\rb.jpg", "tab\t.gif", "\u202egpj.exe.jpg", "名前.png", "😀.jpg", "café.wav", "caf\udce9.jpg",
             "x" * 240 + ".png", "%2e%2e%2fetc%2fpasswd.jpg", "..%2F..%2Fetc%2Fpasswd.jpg", "$(touch pwned).jpg",
             "`id`.mp4", "a;rm -rf b.mp4", "<img src=x onerror=alert(1)>.png", "CON.jpg", " .jpg", "x.jpg.", "x.JPG",
             "x.mp4.exe", "x.jpg ", "passwd.jpg", "..\\..\\windows\\win.ini.png"]
names = st.one_of(
    st.sampled_from(ODD_NAMES),
    st.builds(lambda stem, ext: stem + ext,
              st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=60),
              st.sampled_from(list(EXT.values()) + [".txt", ".tif", "", ".svg"])).filter(
        lambda n: n not in (".", "..") and len(os.fsencode(n)) <= 250))


def _fuzz(n: int):
    return fuzz(max_examples=n, deadline=None, database=None)


@_fuzz(60)
@given(kinds, st.floats(0, 1, exclude_max=True))
def test_truncated(world, kind, frac):
    data = base(kind)
    push(world, "truncated", "cut" + EXT[kind], data[:max(1, int(len(data) * frac))])


@_fuzz(60)
@given(kinds, st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8))
def test_byte_flips(world, kind, flips):
    data = bytearray(base(kind))
    span = 44 if kind == "wav" else len(data)    # past its header a WAV is raw samples: any bytes are a sound
    for where, xor in flips:
        data[int(where * span)] ^= xor
    push(world, "byte flips", "flip" + EXT[kind], bytes(data))


@_fuzz(70)
@given(st.sampled_from([(k, f[0]) for k, fs in FIELDS.items() for f in fs]), u32)
def test_lying_header(world, field, value):
    kind, name = field
    push(world, "lying header", "lie" + EXT[kind], lie(kind, name, value))


@_fuzz(45)
@given(st.sampled_from(["png", "jpg", "gif", "bmp", "webp", "mov"]), big_side, big_side)
def test_huge_dimensions(world, kind, w, h):
    w, h = (min(w, 65535), min(h, 65535)) if kind in ("jpg", "gif", "mov") else (w, h)
    assert push(world, "huge dimensions", "big." + kind, huge(kind, w, h))[0] == "refused"


@_fuzz(50)
@given(st.one_of(st.tuples(st.just("png pixels"), big_side, big_side),
                 st.tuples(st.just("png text"), st.integers(0, 2), st.just(0)),
                 st.tuples(st.just("tiff as png"), st.integers(10**5, 2**32 - 1), st.just(0)),
                 st.tuples(st.just("slow wav"), st.integers(1, 13), st.just(0)),
                 st.tuples(st.just("long mkv"), st.floats(601, 1e12), st.just(0)),
                 st.tuples(st.just("gif screen"), st.integers(7100, 65535), st.integers(7100, 65535))))
def test_decompression_bombs(world, recipe):
    ext, data = bomb(recipe)
    t0 = time.perf_counter()
    outcome, _ = push(world, "decompression bomb", "bomb" + ext, data)
    assert outcome == "refused" and time.perf_counter() - t0 < 20, recipe


@_fuzz(40)
@given(st.sampled_from(sorted(set(EXT.values()) | {".mov", ".mkv", ".webm", ".mp3", ".m4a", ".jpeg", ".txt", ""})),
       st.sampled_from(["empty", "x", "...", "voice note", "名前"]))
def test_zero_bytes(world, ext, stem):
    assert push(world, "zero bytes", stem + ext, b"")[0] == "refused"


MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"RIFF\x00\x10\x00\x00WAVEfmt ",
         b"RIFF\x00\x10\x00\x00WEBPVP8L", b"\x00\x00\x00\x18ftypisom", b"\x1a\x45\xdf\xa3", b"ID3\x04", b"fLaC", b"OggS"]


@_fuzz(60)
@given(st.sampled_from(sorted(set(EXT.values()) | {".mkv", ".webm", ".mp3", ".ogg", ".flac", ".m4a"})),
       st.sampled_from(MAGIC), st.binary(min_size=1, max_size=4096))
def test_random_bytes(world, ext, magic, noise):
    push(world, "random bytes", "noise" + ext, magic + noise)


@_fuzz(50)
@given(kinds, st.sampled_from(sorted(set(EXT.values()) | {".txt", ".tif", ".svg", ".exe", ".mkv", ".mp3", ""})))
def test_wrong_extension(world, kind, ext):
    if ext == EXT[kind]:
        ext = ".txt"
    outcome, _ = push(world, "wrong extension", "renamed" + ext, base(kind))
    if kind == "jpg" and ext in (".mp4", ".mkv", ".wav", ".mp3"):
        assert outcome == "refused"     # a picture is never taken for a video or a sound


@_fuzz(70)
@given(names, st.sampled_from(["valid", "noise", "empty", "traversal"]))
def test_path_like_names(world, name, content):
    if content == "traversal":   # the name at the end of a path that climbs out of the upload folder
        push(world, "path-like name", name, None, path=str(world[1] / "a" / "b" / ".." / ".." / ".." / "etc" / name))
        return
    kind = {e: k for k, e in EXT.items()}.get(Path(name).suffix.lower())
    data = {"valid": base(kind) if kind else b"plain text", "noise": os.urandom(256), "empty": b""}[content]
    outcome, problems = push(world, "path-like name", name, data)
    if problems:
        assert len(problems[0]) < 400 and "\n" not in problems[0] and "\r" not in problems[0]


# -- one named case per category, with the message it must get ---------------------------------
JUNK = bytes(range(256)) * 4
CASES = [
    ("empty.jpg", lambda: b"", r"empty\.jpg: the file is empty \(0 bytes\); attach it again"),
    ("empty.wav", lambda: b"", r"the file is empty"),
    ("half.png", lambda: base("png")[:60], r"half\.png: the picture could not be decoded .*send another picture"),
    ("half.jpg", lambda: base("jpg")[:400], r"could not be decoded"),
    ("half.mp4", lambda: base("mp4")[: len(base("mp4")) // 2], r"half\.mp4: no readable video stream .*re-export it as mp4"),
    ("header-only.wav", lambda: base("wav")[:44], r"header-only\.wav: the recording could not be decoded .*record again"),
    ("flipped.png", lambda: put(base("png"), 50, "B", base("png")[50] ^ 0xFF), r"could not be decoded"),
    ("rate0.wav", lambda: lie("wav", "sample rate", 0), r"could not be decoded"),
    ("long.mkv", lambda: bomb(("long mkv", 10_000, 0))[1], r"long\.mkv: 10000 s is longer than the 600 s limit; send a shorter video"),
    ("huge.png", lambda: huge("png", 100_000, 100_000), r"huge\.png: the picture claims to be .* pixels, more than the 50 megapixels"),
    ("huge.jpg", lambda: huge("jpg", 65535, 65535), r"more than the 50 megapixels"),
    ("huge.mov", lambda: huge("mov", 8000, 8000), r"huge\.mov: its frames claim to be 8000×8000 pixels"),
    ("huge.webp", lambda: huge("webp", 16384, 16384), r"more than the 50 megapixels"),
    ("huge.bmp", lambda: huge("bmp", 9000, 9000), r"claims to be 9000×9000 pixels"),
    ("warns.png", lambda: png_claiming(10_000, 10_000, 1), r"claims to be 10000×10000 pixels"),   # Pillow only warns here
    ("bomb.png", lambda: png_claiming(50_000, 50_000), r"more than the 50 megapixels"),
    ("text.png", lambda: bomb(("png text", 0, 0))[1], r"could not be decoded"),
    ("screen.gif", lambda: huge("gif", 65535, 65535), r"more than the 50 megapixels"),
    ("tiff.png", lambda: bomb(("tiff as png", 10**9, 0))[1], r"could not be decoded"),
    ("hours.wav", lambda: bomb(("slow wav", 1, 0))[1], r"hours\.wav: the recording is longer than the 600 s limit"),
    ("noise.mp4", lambda: JUNK, r"no readable video stream"),
    ("noise.jpg", lambda: JUNK, r"could not be decoded"),
    ("noise.wav", lambda: JUNK, r"could not be decoded"),
    ("photo.mp4", lambda: base("jpg"), r"photo\.mp4: no readable video stream"),
    ("photo.wav", lambda: base("jpg"), r"could not be decoded"),
    ("clip.jpg", lambda: base("mp4"), r"could not be decoded"),
    ("notes.txt", lambda: b"hello", r"notes\.txt: I can't use \.txt files; send a picture"),
    ("a\nb.png", lambda: JUNK, r"^a\?b\.png: "),
    ("\u202egpj.exe.jpg", lambda: JUNK, r"^\?gpj\.exe\.jpg: "),
    ("caf\udce9.jpg", lambda: JUNK, r"^caf\?\.jpg: "),
    ("名前 🎬.png", lambda: JUNK, r"^名前 🎬\.png: "),
    ("x" * 240 + ".png", lambda: JUNK, r"^x{40}…x{15}\.png: "),
    ("-i.mp4", lambda: JUNK, r"^-i\.mp4: no readable video stream"),
    ("concat:a.mp4|b.mp4", lambda: JUNK, r"no readable video stream"),
]


@pytest.mark.parametrize("name, make, message", CASES, ids=[label(c[0]) for c in CASES])
def test_named_cases(world, name, make, message):
    data = make()
    assert len(data) < 70_000    # every bomb here is small on disk (bomb.png: 20 KB claiming 7.5 GB of pixels)
    outcome, problems = push(world, "regression", name, data, record=False)
    assert outcome == "refused" and re.search(message, problems[0]), problems


def test_odd_names_on_good_files_are_used_and_stored_safely(world):
    app, updir = world
    for name in ("caf\udce9.jpg", "-i.mp4", "a\nb.png", "concat:a.mp4|b.mp4"):
        kind = Path(name).suffix[1:]
        outcome, _ = push(world, "regression", name, base(kind), record=False)
        assert outcome == "used", name


def test_names_that_climb_out_are_not_followed(world, monkeypatch):
    """As a path, a climbing name is only looked up where it points: there is no picture there, and
    /etc/passwd itself is not a type the app reads."""
    app, updir = world
    monkeypatch.chdir(tempfile.mkdtemp(dir=updir))
    for name, message in (("../../etc/passwd.jpg", "passwd.jpg: the upload did not arrive"),
                          ("../" * 12 + "etc/passwd", "passwd: I can't use this kind of files"),
                          ("..\\..\\etc\\passwd.jpg", "the upload did not arrive")):
        _, problems = push(world, "regression", "", None, path=name, record=False)
        assert message in problems[0], problems


@pytest.mark.parametrize("listing", ["ffconcat version 1.0\nfile ok.mp4\n", "#EXTM3U\n#EXTINF:1,\nok.mp4\n#EXT-X-ENDLIST\n"])
def test_a_file_that_names_other_files_is_not_followed(world, listing):
    """A concat list or playlist dressed as a video: ffmpeg would play the file it names."""
    app, updir = world
    folder = Path(tempfile.mkdtemp(dir=updir))
    (folder / "ok.mp4").write_bytes(base("mp4"))
    for ext in (".mp4", ".mkv", ".m3u8.mp4"):
        (folder / f"list{ext}").write_text(listing)
        _, problems = push(world, "regression", "", None, path=str(folder / f"list{ext}"), record=False)
        assert "no readable video stream" in problems[0]


def test_pipes_folders_and_devices_are_not_read(world):
    app, updir = world
    folder = Path(tempfile.mkdtemp(dir=updir))
    os.mkfifo(folder / "voice.wav")          # reading it would wait forever
    (folder / "pic.jpg").mkdir()
    for path in (folder / "voice.wav", folder / "pic.jpg", Path("/dev/zero"), folder / "missing.mp4"):
        t0 = time.perf_counter()
        _, problems = push(world, "regression", "", None, path=str(path), record=False)
        assert "the upload did not arrive" in problems[0] and time.perf_counter() - t0 < 10


def test_a_bad_file_does_not_spoil_a_good_one(world):
    app, updir = world
    bad, good = write(updir, "bad.jpg", JUNK), write(updir, "good.png", base("png"))
    before = app.store.count("messages")
    evs = list(app.turn(USER, "", [str(bad), str(good)], session="mixed"))
    assert [e.text[:8] for e in evs if isinstance(e, Problem)] == ["bad.jpg:"]
    assert any(isinstance(e, Step) and e.title == "Looked at your picture" for e in evs)
    assert any(isinstance(e, ShowItem) for e in evs) and app.store.count("messages") > before


def test_fuzz_covered_every_category_with_500_examples():
    ran = {k.split("/")[0] for k in COUNTS}
    if ran != set(CATEGORIES):
        pytest.skip(f"only part of the fuzz ran: {sorted(ran)}")
    assert sum(COUNTS.values()) >= 500, COUNTS
