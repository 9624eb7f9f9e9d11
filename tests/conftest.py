"""Shared fixtures: fast settings (model-free backends), synthetic media, and a copy of the real corpus."""
from __future__ import annotations

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
    if (REAL_DATA / "cache" / "llm").exists():   # the LLM's evaluated long prompts (written once, never changed): linked
        shutil.copytree(REAL_DATA / "cache" / "llm", d / "cache" / "llm", copy_function=os.link)
    return d


@pytest.fixture(scope="session")
def real_settings(real_data_dir) -> Settings:
    return Settings(data_dir=real_data_dir, threads=1)


@pytest.fixture(scope="session")
def real_app(real_settings):
    from generec.app import GeneRec

    return GeneRec(real_settings)
