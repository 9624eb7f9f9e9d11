"""Regenerates the README's settings table and module map (first docstring line of every module).

Run `python scripts/readme.py` after adding a setting or a module; a test fails when the
README is out of date.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def settings_table() -> str:
    from generec.config import Settings

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for env, default, doc in Settings.table():
        if env == "GENEREC_DATA_DIR":
            default = "./data"
        elif env == "GENEREC_THREADS":
            default = "free cores"
        rows.append(f"| `{env}` | `{default}` | {doc} |")
    return "\n".join(rows)


def module_map() -> str:
    rows = ["| module | what it owns |", "|---|---|"]
    files = [ROOT / "app.py"] + sorted((ROOT / "generec").rglob("*.py"))
    for f in files:
        doc = ast.get_docstring(ast.parse(f.read_text())) or ""
        first = doc.strip().splitlines()[0] if doc.strip() else "(no docstring)"
        rows.append(f"| `{f.relative_to(ROOT)}` | {first} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for name, body in (("settings", settings_table()), ("modules", module_map())):
        text = re.sub(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", f"<!-- {name}:start -->\n{body}\n<!-- {name}:end -->", text, flags=re.S)
    return text


if __name__ == "__main__":
    readme = ROOT / "README.md"
    readme.write_text(render(readme.read_text()))
    print("README.md tables regenerated")
