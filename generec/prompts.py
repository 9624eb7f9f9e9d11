"""Prompt templates: Jinja files in `prompts/`, rendered with StrictUndefined so a missing
variable is an error at once rather than an empty hole in what the model reads."""
from __future__ import annotations

from functools import lru_cache

from .config import ROOT


@lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / "prompts")), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def render(name: str, **variables) -> str:
    return _env().get_template(name).render(**variables).strip()
