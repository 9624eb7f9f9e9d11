"""A throwaway Redis server for the work-queue tests: Debian's `redis-server` (scripts/apt.sh
installs it) on a free loopback port, no persistence, stopped at the end of the session.
A missing `redis-server` FAILS the tests that need it; GENEREC_TEST_REDIS=0 skips them on purpose.
Import the fixture into a test module to use it."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def redis_url():
    if os.environ.get("GENEREC_TEST_REDIS") == "0":
        pytest.skip("Redis tests disabled by GENEREC_TEST_REDIS=0")
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server not found: `bash scripts/apt.sh` (make install runs it) or apt-get install redis-server; "
                    "GENEREC_TEST_REDIS=0 skips these tests", pytrace=False)
    from generec.bench.scale import start_redis

    folder = Path(tempfile.mkdtemp(prefix="generec-redis-"))
    proc, url = start_redis(folder)
    try:
        yield url.rsplit("/", 1)[0]   # tests pick their own database number
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
