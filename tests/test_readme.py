"""The README's tables are generated from the code: they must match it."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_tool():
    spec = importlib.util.spec_from_file_location("readme_tool", ROOT / "scripts" / "readme.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make demo", "make test"]


def test_readme_tables_are_current():
    text = (ROOT / "README.md").read_text()
    assert _readme_tool().render(text) == text, "run `python scripts/readme.py`"


def test_every_module_opens_with_a_docstring():
    assert "(no docstring)" not in _readme_tool().module_map()
