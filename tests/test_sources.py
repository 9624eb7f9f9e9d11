"""Source fetching on archives built here: a real .deb (dpkg-deb -b), a wheel zip and an sdist tar."""
import io
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from generec.corpus.sources import (SourceUnavailable, _archive_of, extract_deb, extract_from_archive,
                                    fetch_source)

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not installed")


def build_deb(tmp: Path, package: str, files: dict[str, bytes]) -> Path:
    tree = tmp / f"{package}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <t@example.org>\n"
        "Description: test package\n")
    for rel, data in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    deb = tmp / f"{package}_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(deb)], check=True, capture_output=True)
    return deb


@needs_dpkg
def test_extract_deb_unpacks_once(tmp_path):
    deb = build_deb(tmp_path, "demo-clips", {"usr/share/demo/a.mp4": b"AAAA"})
    root = extract_deb(deb, tmp_path / "root" / "demo-clips")
    clip = root / "usr/share/demo/a.mp4"
    assert clip.read_bytes() == b"AAAA"
    clip.write_bytes(b"changed")  # a second call must reuse the tree, not unpack again
    extract_deb(deb, root)
    assert clip.read_bytes() == b"changed"


@needs_dpkg
def test_fetch_deb_from_cache_and_missing_path(tmp_path):
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    # Placed where `apt-get download` would leave it, so no network is needed.
    shutil.move(build_deb(tmp_path, "demo-clips", {"usr/share/demo/a.mp4": b"AAAA"}), cache / "debs")
    got = fetch_source({"kind": "deb", "package": "demo-clips", "path": "/usr/share/demo/a.mp4"}, cache)
    assert got == cache / "root" / "demo-clips" / "usr/share/demo/a.mp4"
    assert got.read_bytes() == b"AAAA"
    with pytest.raises(SourceUnavailable, match=r"'demo-clips' has no file '/usr/share/demo/missing.mp4'"):
        fetch_source({"kind": "deb", "package": "demo-clips", "path": "/usr/share/demo/missing.mp4"}, cache)


@needs_dpkg
def test_corrupt_deb_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad_1.0_all.deb"
    bad.write_bytes(b"not an ar archive")
    with pytest.raises(SourceUnavailable, match="could not be unpacked"):
        extract_deb(bad, tmp_path / "root" / "bad")
    assert not (tmp_path / "root" / "bad").exists()


def make_wheel(wheels: Path) -> Path:
    wheels.mkdir(parents=True, exist_ok=True)
    whl = wheels / "demo_video-2.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr("demo_video/data/clip.mp4", b"wheel-bytes")
        zf.writestr("demo_video/__init__.py", "")
    return whl


def test_fetch_pypi_reads_member_out_of_wheel(tmp_path):
    make_wheel(tmp_path / "wheels")
    src = {"kind": "pypi", "package": "demo-video", "version": "2.0", "path": "demo_video/data/clip.mp4"}
    got = fetch_source(src, tmp_path)
    assert got == tmp_path / "pypi" / "demo-video" / "demo_video/data/clip.mp4"
    assert got.read_bytes() == b"wheel-bytes"


def test_missing_member_names_archive_and_path(tmp_path):
    whl = make_wheel(tmp_path / "wheels")
    with pytest.raises(SourceUnavailable) as e:
        extract_from_archive(whl, "demo_video/data/nope.mp4", tmp_path / "out")
    assert str(e.value) == "demo_video-2.0-py3-none-any.whl has no file 'demo_video/data/nope.mp4'"


def test_sdist_member_found_under_its_top_folder(tmp_path):
    sdist = tmp_path / "demo-video-2.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo("demo-video-2.0/data/clip.mp4")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"sdist"))
    out = extract_from_archive(sdist, "data/clip.mp4", tmp_path / "out")
    assert out.read_bytes() == b"sdist"


def test_archive_names_match_exact_version_only():
    assert _archive_of(Path("scikit_video-1.1.11-py2.py3-none-any.whl"), "scikit-video", "1.1.11")
    assert _archive_of(Path("scikit-video-1.1.11.tar.gz"), "Scikit_Video", "1.1.11")
    assert not _archive_of(Path("scikit_video-1.1.1-py2.py3-none-any.whl"), "scikit-video", "1.1.11")
    assert not _archive_of(Path("scikit_image-1.1.11-py3-none-any.whl"), "scikit-video", "1.1.11")


def test_file_and_bad_sources(tmp_path):
    clip = tmp_path / "local.mp4"
    clip.write_bytes(b"x")
    assert fetch_source({"kind": "file", "path": str(clip)}, tmp_path) == clip
    with pytest.raises(SourceUnavailable, match="does not exist"):
        fetch_source({"kind": "file", "path": str(tmp_path / "gone.mp4")}, tmp_path)
    with pytest.raises(SourceUnavailable, match="unknown source kind 'ftp'"):
        fetch_source({"kind": "ftp", "package": "x", "path": "y"}, tmp_path)
    with pytest.raises(SourceUnavailable, match="may not contain '..'"):
        fetch_source({"kind": "pypi", "package": "x", "version": "1", "path": "../../etc/passwd"}, tmp_path)
    with pytest.raises(SourceUnavailable, match="pinned 'version'"):
        fetch_source({"kind": "pypi", "package": "x", "path": "y"}, tmp_path)
