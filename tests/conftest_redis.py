"""A throwaway Redis server for the work-queue tests: Debian's `redis-server` (scripts/apt.sh
installs it) on a free loopback port, no persistence, stopped at the end of the session.
A missing `redis-server` FAILS the tests that need it; GENEREC_TEST_REDIS=0 skips them on purpose.
Import the fixture into a test module to use it."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    if os.environ.get("GENEREC_TEST_REDIS") == "0":
        pytest.skip("Redis tests disabled by GENEREC_TEST_REDIS=0")
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server not found: `bash scripts/apt.sh` (make install runs it) or apt-get install redis-server; "
                    "GENEREC_TEST_REDIS=0 skips these tests", pytrace=False)
    folder, port = tempfile.mkdtemp(prefix="generec-redis-"), free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start", pytrace=False)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
