"""Start the chat app on a free loopback port against a given data dir, and stop it again.

Two ways: `InProcessApp` (app.build + launch(prevent_thread_lock=True) inside this process,
so tests can open a Store on the same files) and `SubprocessApp` (`python app.py` as its own
process, for start-up time and memory). Both are context managers and always clean up.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `app.py` lives at the top of the work tree
    sys.path.insert(0, str(ROOT))


def private_copy(src: Path, dst: Path) -> Path:
    """A data dir of our own made from `src` (e.g. the real_data_dir fixture): consistent database
    copy, index, media as real files (so whatever the app generates lands here and Gradio serves the
    media whatever the working directory), model cache linked."""
    from generec.bench.app import copy_data_dir

    return copy_data_dir(Path(src), Path(dst))


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of GET url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def wait_http_ok(url: str, deadline_s: float, alive=lambda: True, every: float = 0.1) -> bool:
    """Poll url until it answers 200 (True), the deadline passes or alive() turns False (False)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if http_status(url, timeout=1.0) == 200:
            return True
        if not alive():
            return False
        time.sleep(every)
    return False


def app_env(data_dir: Path, port: int, threads: int = 1) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "GENEREC_DATA_DIR": str(data_dir), "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
        "GENEREC_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false",
    })
    return env


class InProcessApp:
    """`with InProcessApp(settings) as srv:` -> srv.url, srv.demo, srv.settings (port filled in)."""

    def __init__(self, settings, **launch_kw):
        self.settings = settings
        self.launch_kw = launch_kw
        self.demo = None
        self.url = ""

    def start(self) -> "InProcessApp":
        import app as app_module

        if not self.settings.port or self.settings.port == 7860:
            self.settings = self.settings.with_(port=free_port(), host="127.0.0.1")
        self.demo = app_module.launch(self.settings, prevent_thread_lock=True, quiet=True, **self.launch_kw)
        self.url = f"http://127.0.0.1:{self.settings.port}/"
        if not wait_http_ok(self.url, 30):
            self.stop()
            raise RuntimeError(f"the app did not answer on {self.url}")
        return self   # `launch` served the page once the models were warm

    def stop(self) -> None:
        if self.demo is not None:
            self.demo.close(verbose=False)
            self.demo = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SubprocessApp:
    """`python app.py` on a free port against data_dir; `.ready_s` is start-to-first-HTTP-200.
    `env`: more variables for the app's environment (None removes one)."""

    def __init__(self, data_dir: Path, port: int | None = None, threads: int = 1, log_path: Path | None = None,
                 ready_timeout_s: float = 180.0, env: dict[str, str | None] | None = None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.threads = threads
        self.log_path = log_path
        self.ready_timeout_s = ready_timeout_s
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}/"
        self.ready_s: float | None = None
        self._log = None

    def start(self) -> "SubprocessApp":
        self._log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        t0 = time.perf_counter()
        env = app_env(self.data_dir, self.port, self.threads)
        for k, v in self.env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=str(ROOT), env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        ok = wait_http_ok(self.url, self.ready_timeout_s, alive=lambda: self.proc.poll() is None)
        if not ok:
            code = self.proc.poll()
            self.stop()
            raise RuntimeError(f"`python app.py` never answered on {self.url} (exit code {code}; log: {self.log_path})")
        self.ready_s = time.perf_counter() - t0
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, grace_s: float = 10.0) -> None:
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)  # its own session: only the app and its children
            except ProcessLookupError:
                pass
            try:
                p.wait(grace_s)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(5)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
