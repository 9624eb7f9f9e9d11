"""Shared fixtures: fast settings (model-free backends), synthetic media, and a copy of the real corpus."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from generec.config import ROOT, Settings  # noqa: E402

REAL_DATA = Path(os.environ.get("GENEREC_DATA_DIR", ROOT / "data"))


@pytest.fixture(scope="session", autouse=True)
def fitted_screen_of_the_built_corpus():
    """Tests in fresh data dirs reuse the learned request screen the corpus build fitted (same key,
    same model) instead of refitting it for minutes."""
    from generec.fidelity import semantic

    semantic.SHARED_CACHE = REAL_DATA / "fidelity"
    yield
    semantic.SHARED_CACHE = None


@pytest.fixture
def fast_settings(tmp_path) -> Settings:
    """Real code paths with model-free embedders, in a fresh data dir."""
    return Settings(data_dir=tmp_path / "data", embedder="hash", image_features="colour", threads=1)


def make_video(path: Path, colours: list[str], seconds: float = 1.0, size: str = "160x120", audio: bool = False, tone_hz: int = 440) -> Path:
    """Solid-colour shots, one after another (known cuts), optionally with a sine tone."""
    from generec.media import ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    args = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
    for c in colours:
        args += ["-f", "lavfi", "-i", f"color=c={c}:s={size}:d={seconds}:r=24"]
    n = len(colours)
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds * n}"]
    filt = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    args += ["-filter_complex", filt, "-map", "[v]"]
    if audio:
        args += ["-map", f"{n}:a", "-c:a", "aac"]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(args, check=True)
    return path


@pytest.fixture
def video_factory(tmp_path):
    def _make(name: str, colours: list[str], **kw) -> Path:
        return make_video(tmp_path / "videos" / name, colours, **kw)
    return _make


def with_built_models(d: Path) -> Path:
    """A fresh data dir `d` that reads the built corpus's joined models and the LLM's evaluated long
    prompts (linked, not copied; written once, never changed): otherwise each such dir joins the
    1.1 GB GGUF again and reads the planner's and the judge's prompts from scratch (about 40 s)."""
    d.mkdir(parents=True, exist_ok=True)
    if (REAL_DATA / "models").is_dir() and not (d / "models").exists():
        (d / "models").symlink_to((REAL_DATA / "models").resolve())
    if (REAL_DATA / "cache" / "llm").exists() and not (d / "cache" / "llm").exists():
        shutil.copytree(REAL_DATA / "cache" / "llm", d / "cache" / "llm", copy_function=os.link)
    return d


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory) -> Path:
    """A private copy of the built corpus: the database (backup API), the index and the media as
    real files, so tests with the real models never write into the developer's data dir. Only the
    model cache (read-only, large) is linked."""
    if not (REAL_DATA / "generec.db").exists():
        pytest.fail(f"no built corpus in {REAL_DATA}: run `make corpus` (make test does it first)")
    from generec.bench.app import copy_data_dir

    d = copy_data_dir(REAL_DATA, tmp_path_factory.mktemp("realdata"))
    if (REAL_DATA / "fidelity").exists():   # fitted request screen and frame hashes: keyed caches, minutes to rebuild
        shutil.copytree(REAL_DATA / "fidelity", d / "fidelity")
    return with_built_models(d)


@pytest.fixture(scope="session")
def real_settings(real_data_dir) -> Settings:
    return Settings(data_dir=real_data_dir, threads=1)


@pytest.fixture(scope="session")
def real_app(real_settings):
    from generec.app import GeneRec

    return GeneRec(real_settings)


def door_corpus(settings: Settings, passwords: dict[str, str], length_s: float = 1.0, covers: bool = False):
    """The corpus the door's tests share: two public clips (dog-park, blue-sea), alice's private
    AI-made one (alice-made), real files stored as `length_s` long, an account per password, and
    the simulated persona maya. Returns the app (its store still open)."""
    from PIL import Image

    from generec.app import GeneRec
    from generec.app.accounts import Accounts
    from generec.types import Item, User

    app = GeneRec(settings)
    media = settings.media_dir
    (media / "created").mkdir(parents=True, exist_ok=True)
    for name, colour in (("dog", "green"), ("sea", "blue")):
        make_video(media / f"{name}.mp4", [colour])
        if covers:
            Image.new("RGB", (64, 64), colour).save(media / f"{name}.jpg")
    make_video(media / "created" / "alice-made.mp4", ["red"])
    cover = (lambda name: f"media/{name}.jpg") if covers else (lambda name: "")
    for n, pw in passwords.items():
        app.store.upsert_user(User(name=n, display=n))
        Accounts(app.store).add(n, pw)
    app.store.upsert_user(User(name="maya", display="maya", simulated=True))
    app.catalog.add([Item(id="dog-park", title="Dog playing in the park", tags=["animals", "dog"], media_path="media/dog.mp4",
                          cover_path=cover("dog"), duration_s=length_s),
                     Item(id="blue-sea", title="Blue sea waves", tags=["sea", "calm"], media_path="media/sea.mp4",
                          cover_path=cover("sea"), duration_s=length_s),
                     Item(id="alice-made", title="Alice's private video", origin="ai_created", owner="alice", visibility="private",
                          media_path="media/created/alice-made.mp4", duration_s=length_s)])
    return app


@contextlib.contextmanager
def door_app(data: Path, build):
    """The real app with sign-in (accounts) on a free loopback port, in this process, over a data dir
    that `build(data, settings)` fills first; yields (url, settings, demo) and closes the app."""
    import app as app_module
    from app_server import free_port

    settings = Settings(data_dir=data, embedder="hash", image_features="colour", llm="rules", threads=1,
                        auth="accounts", port=free_port(), host="127.0.0.1")
    build(data, settings)
    demo = app_module.launch(settings, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/", settings, demo
    finally:
        demo.close(verbose=False)
