"""One catalog, several processes: what one process adds, the others see, and nobody's additions
are overwritten. Run on both vector backends: FAISS files in a shared data dir, and PostgreSQL
with pgvector (a real server; see conftest_pg)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from conftest_pg import pg_server  # noqa: F401
from generec.config import ROOT, Settings
from generec.recsys.catalog import Catalog
from generec.store import open_store
from generec.types import Item

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from generec.config import Settings
    from generec.recsys.catalog import Catalog
    from generec.store import open_store
    from generec.types import Item
    data, url, prefix, n = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = Settings(data_dir=data, database_url=url, embedder="hash", image_features="colour", threads=1)
    store = open_store(s.db_url)
    cat = Catalog(s, store)
    for k in range(n):
        cat.add([Item(id=f"{prefix}{k}", title=f"{prefix} number {k}", tags=[prefix], cover_path="cover.png",
                      licence="CC0")])
    print("added", n)
""")


@pytest.fixture(params=["faiss", "pgvector"])
def shared(request, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(data / "cover.png")
    url = ""
    server = None
    if request.param == "pgvector":
        server = request.getfixturevalue("pg_server")
        url = server.fresh_database()
    s = Settings(data_dir=data, database_url=url, embedder="hash", image_features="colour", threads=1)
    assert s.vector_backend == request.param
    store = open_store(s.db_url)
    yield s, store
    store.close()
    if server is not None:
        server.drop_database(url)


def _writer(s: Settings, prefix: str, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(s.data_dir), s.database_url, prefix, str(n)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_an_item_another_process_adds_is_seen_here(shared):
    s, store = shared
    here = Catalog(s, store)
    assert "other0" not in here.text_index
    out, err = _writer(s, "other", 1).communicate(timeout=180)
    assert "added 1" in out, err
    assert here.refresh() is True
    assert "other0" in here.text_index and "other0" in here.image_index
    fresh = Catalog(s, store)
    assert np.allclose(here.text_index.vector("other0"), fresh.text_index.vector("other0"))
    assert here.refresh() is False            # nothing new since


def test_two_processes_adding_at_once_lose_nothing(shared):
    s, store = shared
    here = Catalog(s, store)
    other = _writer(s, "them", 12)
    for k in range(12):
        here.add([Item(id=f"us{k}", title=f"us number {k}", tags=["us"], cover_path="cover.png", licence="CC0")])
    out, err = other.communicate(timeout=300)
    assert "added 12" in out, err
    everyone = {f"us{k}" for k in range(12)} | {f"them{k}" for k in range(12)}
    fresh = Catalog(s, store)
    assert everyone <= set(fresh.text_index.ids.values()) and everyone <= set(fresh.image_index.ids.values())
    here.refresh()
    assert everyone <= set(here.text_index.ids.values())


def test_a_removal_elsewhere_is_seen_here(shared):
    s, store = shared
    here = Catalog(s, store)
    here.add([Item(id="gone", title="soon gone", cover_path="cover.png", licence="CC0")])
    there = Catalog(s, store)     # a second copy, as another process would hold it
    assert "gone" in there.text_index
    there.remove("gone")
    assert here.refresh() is True and "gone" not in here.text_index and "gone" not in here.image_index
