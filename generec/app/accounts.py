"""Who may act as whom: sign-in accounts, the profiles an account owns, and its own data.

The server decides the account (from the sign-in, or the one local owner on loopback); a
request may only *choose among that account's profiles*: its own profile (named like the
account) or its private try-out copy of a persona (`<account>--<persona>`). The persona
itself is never written to, so the next visitor meets it unchanged. Passwords are stored as
salted Argon2id hashes (argon2-cffi); this module is the only one that sees a password.
"""
from __future__ import annotations

import re
from pathlib import Path

LOCAL_OWNER = "owner"       # the one person of a loopback-bound app (no sign-in)
COPY = "--"                 # <account>--<persona>
NAMES = {   # kind -> (pattern, what a person is told when a name does not fit)
    "account": (re.compile(r"^[a-z0-9](?:[a-z0-9_]|-(?!-)){0,19}$"), "1–20 letters, digits, '_' or single '-'"),
    "profile": (re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$"), "1–32 letters, digits, '-' or '_'"),
}


class AccessError(PermissionError):
    """A request for something its account may not touch; the message says what to do."""


class UserError(ValueError):
    """Input a person can fix; the message tells them how."""


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - installed by requirements.txt
        raise RuntimeError("sign-in needs argon2-cffi: pip install argon2-cffi==25.1.0") from exc
    return PasswordHasher()


def checked_name(name: str, kind: str = "profile") -> str:
    """`name` lower-cased and trimmed, or UserError saying what a usable account / profile name is."""
    pattern, rule = NAMES[kind]
    n = (name or "").strip().lower()
    if not pattern.match(n):
        raise UserError(f"“{str(name)[:40]}” is not a usable {kind} name: use {rule}")
    return n


def clean_name(name: str) -> str:
    return checked_name(name, "profile")


class Accounts:
    """Sign-in accounts over the store's `accounts` table."""

    def __init__(self, store):
        self.store = store
        self._dummy = None

    def add(self, name: str, password: str) -> str:
        n = checked_name(name, "account")
        taken = self.store.get_user(n)
        if n.startswith("ml-") or (taken is not None and taken.simulated and self.store.account_hash(n) is None):
            raise ValueError(f"“{n}” is the name of a persona or corpus profile; choose another account name")
        if len(password or "") < 8:
            raise ValueError("a password needs at least 8 characters")
        self.store.add_account(n, _hasher().hash(password))
        return n

    def remove(self, name: str) -> bool:
        return self.store.remove_account(checked_name(name, "account"))

    def names(self) -> list[str]:
        return self.store.list_accounts()

    def check(self, name: str, password: str) -> bool:
        """True when the password is this account's; unknown names cost the same time."""
        from argon2.exceptions import InvalidHashError, VerificationError

        ph = _hasher()
        try:
            n = checked_name(name, "account")
            stored = self.store.account_hash(n)
        except ValueError:
            stored = None
        if stored is None:
            self._dummy = self._dummy or ph.hash("not-a-real-password")
            stored, n = self._dummy, None
        try:
            return ph.verify(stored, password or "") and n is not None
        except (VerificationError, InvalidHashError):
            return False


# -- profiles an account owns ----------------------------------------------------------------
def copy_name(account: str, persona: str) -> str:
    return f"{account}{COPY}{persona}"


def owns(account: str, user: str | None) -> bool:
    """Is `user` one of `account`'s profiles (its own, or one of its persona copies)?"""
    return bool(user) and (user == account or user.startswith(account + COPY))


def profiles_of(store, account: str) -> list[str]:
    return [u.name for u in store.list_users() if owns(account, u.name)]


def resolve_profile(app, account: str, choice: str | None, personas: list[dict], label: str | None = None) -> str:
    """The user name a request from `account` acts as, given the profile it picked.

    Blank or the account's own name: its own profile (made on first use). A persona's name:
    the account's try-out copy of that persona (copied on first use). Anything else is
    refused: a request cannot act as another person, whatever it names. Messages name the
    profile as `label` (what the person picked), when given."""
    from ..types import User

    pick = (choice or "").strip().lower()
    said = (label if label is not None else pick)[:40]
    if pick in ("", account) or owns(account, pick):
        name = pick or account
        if name == account and app.store.get_user(account) is None:
            app.store.upsert_user(User(name=account, display=account))
        if app.store.get_user(name) is None:
            raise AccessError(f"there is no profile “{said}” of yours; pick one from the Profile list")
        return name
    persona = next((p for p in personas if p["name"] == pick), None)
    if persona is None:
        raise AccessError(f"“{said}” is not one of your profiles; pick your own or a persona from the Profile list")
    name = copy_name(account, pick)
    if app.store.get_user(name) is None:
        try:
            app.store.copy_user(pick, name, f"{persona.get('display') or pick} · your try-out copy")
        except KeyError:
            raise AccessError(f"the persona “{pick}” is not in this corpus yet; build the corpus first") from None
    return name


def profile_label(user: str) -> str:
    """The persona or extra profile a user name stands for (the account's own: its name)."""
    return user.split(COPY, 1)[1] if COPY in user else user


# -- a person's own data ---------------------------------------------------------------------
def export_data(app, account: str) -> dict:
    """Everything stored about the account's profiles, ready for json.dumps."""
    names = profiles_of(app.store, account)
    data = app.store.user_data(names)
    return {"account": account, "profile_names": names, **data}


def erase_data(app, account: str) -> dict[str, int]:
    """Delete every profile of the account, their history and their private items (rows,
    vectors and files). The sign-in itself stays (remove it with `generec users remove`)."""
    names = profiles_of(app.store, account)
    owned = app.store.user_data(names)["items"]
    files = 0
    for row in owned:
        for rel in (row.get("media_path"), row.get("cover_path")):
            if not rel:
                continue
            p = app.catalog.path(rel)
            for f in (p, p.with_name(p.name + ".provenance.json")):
                if _inside(f, app.settings.data_dir) and f.is_file():
                    f.unlink()
                    files += 1
    app.catalog.remove(*(row["id"] for row in owned))
    counts = app.store.erase_users(names)
    counts["files"] = files
    return counts


def _inside(path: Path, root: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except OSError:
        return False
