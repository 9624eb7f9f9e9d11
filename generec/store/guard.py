"""Durable SQLite writes: the store's own hold on its database file, and a check before each write.

The danger: POSIX record locks belong to a process, and closing *any* descriptor of a file drops
all of that process's locks on it. In WAL mode every SQLite connection keeps a shared lock on the
database file, and that lock is all that stops another process's last connection from
checkpointing the write-ahead log and deleting it. Anything in our process that opens and closes
the database file (a web server sending it, shutil.copy, a stray sqlite3.connect) silently drops
those locks; another process may then delete the WAL, and every later commit of ours lands in a
deleted file: acknowledged, then gone after a restart. So no code outside the store opens the
database file (copies go through `Store.backup_to`), and the store defends itself twice:

1. Hold. A descriptor of the guard's own carries an open-file-description lock (Linux
   F_OFD_SETLK) on SQLite's shared-lock bytes. It belongs to that descriptor, not to the process,
   so a close() elsewhere cannot drop it, and while it is held no other process gets the exclusive
   lock needed to delete the WAL. It is only a read lock: readers, writers and checkpoints of other
   processes go on as before. One descriptor per file per process, shared by every Store on it.
2. Check. Before every write transaction the database file and its WAL must still be the files
   (device, inode) the store opened. If either was deleted or replaced (by hand, or on a system
   without OFD locks), the write raises StoreError, and so does every later one: nothing is
   acknowledged that a restart would lose. There is no automatic reconnect: SQLite shares one
   file state among all connections of a process, so a connection opened while an old one is still
   in use would pair the new WAL with the old wal-index. Restarting the app is the safe way back.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
import threading
import time
from pathlib import Path

log = logging.getLogger("generec.store")

# SQLite's shared-lock range on the database file (os_unix.c: SHARED_FIRST = PENDING_BYTE + 2,
# SHARED_SIZE = 510). A reader holds a read lock on it; deleting the WAL needs a write lock on it.
SHARED_FIRST, SHARED_SIZE = 0x40000000 + 2, 510


class StoreError(RuntimeError):
    """The store cannot promise that a write would last; the message says why and what to do."""


def file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _ofd_lock(fd: int, kind: int) -> bool:
    """Set (F_RDLCK) or clear (F_UNLCK) our OFD lock on the shared range; False where unsupported."""
    cmd = getattr(fcntl, "F_OFD_SETLK", None)
    if cmd is None:
        return False
    # struct flock on 64-bit Linux: short type, short whence, off_t start, off_t len, pid_t pid (0 for OFD)
    arg = struct.pack("hhqqi4x", kind, os.SEEK_SET, SHARED_FIRST, SHARED_SIZE, 0)
    for attempt in range(50):
        try:
            fcntl.fcntl(fd, cmd, arg)
            return True
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                return False
            if exc.errno not in (errno.EAGAIN, errno.EACCES) or attempt == 49:
                raise
            time.sleep(0.1)   # another process is finishing an exclusive step (its last close)
    return False


# (device, inode) -> [descriptor, how many guards use it]. Closing the descriptor would drop
# every traditional lock this process holds on the file, so it stays open until the last user goes.
_HELD: dict[tuple[int, int], list[int]] = {}
_HELD_LOCK = threading.Lock()


class FileGuard:
    def __init__(self, path: str | os.PathLike):
        self.db = Path(os.path.realpath(path))
        self.wal = Path(f"{self.db}-wal")
        self.files: tuple | None = None      # (db key, WAL key) as first opened
        self.holding = False                 # whether this guard counts as a user of the shared descriptor
        self.broken: str | None = None
        self._lock = threading.Lock()

    def opened(self, dbapi_conn) -> None:
        """Called for every new connection once it is in WAL mode; the first one records the files."""
        if self.files is not None:
            return
        with self._lock:
            if self.files is not None:
                return
            dbapi_conn.execute("SELECT count(*) FROM sqlite_master").fetchall()   # a read opens the WAL
            db = file_key(self.db)
            self.files = (db, file_key(self.wal))
            with _HELD_LOCK:
                held = _HELD.get(db)
                if held is None:
                    fd = os.open(self.db, os.O_RDONLY | os.O_CLOEXEC)
                    held = _HELD[db] = [fd, 0]
                    if not _ofd_lock(fd, fcntl.F_RDLCK):
                        log.warning("no open-file-description locks here: %s is guarded by checks only", self.db)
                held[1] += 1
            self.holding = True

    def check(self) -> None:
        """Raise StoreError unless the database file and its WAL are still the ones we opened."""
        if self.broken:
            raise StoreError(self.broken)
        if self.files is None:
            return
        db, wal = file_key(self.db), file_key(self.wal)
        if (db, wal) == self.files:
            return
        if db is None:
            what = "was deleted"
        elif db != self.files[0]:
            what = "was replaced by another file"
        elif wal is None:
            what = "lost its write-ahead log (another process deleted it)"
        else:
            what = "has a new write-ahead log (the one the app was writing to was deleted)"
        self.broken = (f"the database file changed under the app: {self.db} {what}. Writes are refused from "
                       "now on, so that none is acknowledged and then lost; restart the app.")
        log.error(self.broken)
        raise StoreError(self.broken)

    def close(self, dispose) -> None:
        """Let go of the file around `dispose()` (which closes the engine's connections): the OFD lock
        is cleared first, so the last connection may checkpoint and remove the WAL as SQLite does."""
        fd = None
        if self.holding:
            self.holding = False
            with _HELD_LOCK:
                held = _HELD.get(self.files[0])
                if held is not None:
                    held[1] -= 1
                    if held[1] == 0:
                        fd = _HELD.pop(self.files[0])[0]
                        _ofd_lock(fd, fcntl.F_UNLCK)
        try:
            dispose()
        finally:
            if fd is not None:
                os.close(fd)
