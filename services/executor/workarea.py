"""The executor's job folders (credential files, staging) live under `<data>/work/<owner>/`, one
owner per executor process. The owner holds an exclusive flock on `<owner>.lock` for its whole
life, and the kernel drops it when the process dies, even by `kill -9`. So a starting executor
tells the folders of dead executors from those of live ones sharing the data dir, and removes
the dead ones': a killed job's credential files do not outlive their executor.

The lock file is locked before it gets its name and before the folder exists, so an owner
without a held lock is always a dead one."""

import contextlib
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

LOCK_SUFFIX = ".lock"


def _held_by_someone(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class WorkArea:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        owner = f"executor-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        pending = root / f".{owner}{LOCK_SUFFIX}.new"  # not yet a lock any sweeper looks at
        self._lock_fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        os.replace(pending, root / f"{owner}{LOCK_SUFFIX}")
        self.root = root
        self.folder = root / owner
        self.folder.mkdir(mode=0o700)

    def sweep(self) -> list[str]:
        """Remove what dead executors left; the names of the folders removed."""
        removed = []
        for entry in sorted(self.root.iterdir()):
            lock = self.root / f"{entry.name}{LOCK_SUFFIX}"
            if entry == self.folder or not entry.is_dir() or _held_by_someone(lock):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(entry.name)
        for lock in self.root.glob(f"*{LOCK_SUFFIX}"):
            if not (self.root / lock.name.removesuffix(LOCK_SUFFIX)).exists() and not _held_by_someone(lock):
                lock.unlink(missing_ok=True)
        return removed

    @contextlib.contextmanager
    def job_folder(self) -> Iterator[Path]:
        """A private (0700) folder for one job, removed afterwards."""
        path = Path(tempfile.mkdtemp(prefix="job-", dir=self.folder))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
