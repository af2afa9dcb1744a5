"""Confined files: SQLite databases (backup sources and restore targets) live only under the
directories an admin names in LIFEBOAT_SQLITE_ROOTS.

Invariants: a path is confined when it is absolute and the directory that holds it is a root or
below one, after `..` and (where the files are, `follow_symlinks`) symlinks are resolved; the
refusal is one fixed sentence, so it never tells whether anything exists at a path outside.
"""

import os
from collections.abc import Iterable
from pathlib import Path

ROOTS_VARIABLE = "LIFEBOAT_SQLITE_ROOTS"
OUTSIDE_ROOTS = f"SQLite files must be inside the directories {ROOTS_VARIABLE} names; this path is not"


def confined(path: str, roots: Iterable[Path], *, follow_symlinks: bool) -> Path | None:
    """`path` resolved, if it lies under one of `roots`; None otherwise. Without
    `follow_symlinks` the check is lexical, for a service that does not see the files."""
    if not path or "\x00" in path or not Path(path).is_absolute():
        return None
    if follow_symlinks:
        resolved = Path(path).resolve()
        bounds = [Path(root).resolve() for root in roots]
    else:
        resolved = Path(os.path.normpath(path))
        bounds = [Path(os.path.normpath(root)) for root in roots]
    if any(resolved != root and resolved.parent.is_relative_to(root) for root in bounds):
        return resolved
    return None
