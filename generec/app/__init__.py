"""The application layer: GeneRec as one object, split by job.

wiring (`GeneRec`: settings, store, catalog, feed, LLM, warm-up) · turn (a chat turn and its
stored messages) · people (profiles, feedback, publishing, personas) · accounts (sign-in, which
profiles an account owns, its own data) · tools (the editor and creator as the instructor's tools)
· present (an item as a chat event: media, badge, checks) · uploads (attachments into features).
Domain packages never import this one; the UI, the command line and the benchmarks do.
"""
from .accounts import AccessError, UserError, clean_name
from .people import seed_personas
from .wiring import GeneRec

__all__ = ["AccessError", "GeneRec", "UserError", "clean_name", "seed_personas"]
