import numpy as np

from generec.recsys.index import VectorIndex


def _unit(rows):
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_search_add_remove_and_persist(tmp_path):
    idx = VectorIndex(3)
    idx.add(["a", "b", "c"], _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]]))
    assert [i for i, _ in idx.search(_unit([[0.9, 0.1, 0]])[0], k=2)] == ["a", "b"]
    assert idx.remove(["a"]) == 1 and "a" not in idx and len(idx) == 2
    assert idx.search(_unit([[1, 0, 0]])[0], k=1)[0][0] != "a"
    idx.add(["b"], _unit([[1, 0, 0]]))          # re-adding replaces, no duplicate
    assert len(idx) == 2 and idx.search(_unit([[1, 0, 0]])[0], k=1)[0][0] == "b"
    idx.save(tmp_path / "t.faiss")
    back = VectorIndex.load(tmp_path / "t.faiss")
    assert len(back) == 2 and np.allclose(back.vector("b"), [1, 0, 0])
    assert back.vector("zzz") is None and back.vectors(["zzz", "c"]).shape == (1, 3)


def test_empty_index_answers_nothing():
    assert VectorIndex(4).search(np.ones(4, np.float32), k=5) == []
