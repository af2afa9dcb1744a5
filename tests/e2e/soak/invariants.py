"""What must hold after the chaos and a quiet period, each check a named verdict with the
evidence when it fails. The storage checks read the local destination's directory directly:
artifacts appear there only by rename, temp files live in `.tmp/`, an executor's job folders in
`work/<executor>/job-*` (`work/job-*` before)."""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libs.storage.local import TMP_DIR
from tests.e2e.soak.api import SoakApi

RUNNING = ("pending", "in_progress")
FINISHED = ("completed", "failed")
PAGE = 500


@dataclass(frozen=True)
class Verdict:
    name: str
    holds: bool
    detail: str = ""


def check(name: str, failures: Iterable[object]) -> Verdict:
    found = list(failures)
    shown = ", ".join(str(f) for f in found[:10]) + (f" … ({len(found)} in all)" if len(found) > 10 else "")
    return Verdict(name, not found, shown)


def backups_of(api: SoakApi, database_ids: list[int]) -> list[dict[str, Any]]:
    """Every backup of these databases, as the catalog has them."""
    found: list[dict[str, Any]] = []
    for database_id in database_ids:
        offset = 0
        while True:
            params = {"database_id": database_id, "limit": PAGE, "offset": offset}
            page = api.call_until("GET", "/backups", 60, params=params).json()
            found += page["items"]
            offset += len(page["items"])
            if not page["has_more"]:
                break
    return found


def wait_until_settled(api: SoakApi, database_ids: list[int], timeout: float) -> list[dict[str, Any]]:
    """The backups once none is pending or in progress, or as they are after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = backups_of(api, database_ids)
        if not any(b["status"] in RUNNING for b in found) or time.monotonic() > deadline:
            return found
        time.sleep(2)


def verify_all(api: SoakApi, backup_ids: list[int], timeout: float) -> dict[int, bool | None]:
    """POST /backups/{id}/verify for each; whether each verified (None: no result in time)."""
    before = {}
    for backup_id in backup_ids:
        before[backup_id] = api.call_until("GET", f"/backups/{backup_id}", 60).json()["verification_date"]
        api.call_until("POST", f"/backups/{backup_id}/verify", 60, json={})
    results: dict[int, bool | None] = dict.fromkeys(backup_ids)
    deadline = time.monotonic() + timeout
    waiting = set(backup_ids)
    while waiting and time.monotonic() < deadline:
        for backup_id in sorted(waiting):
            backup = api.call_until("GET", f"/backups/{backup_id}", 60).json()
            if backup["verification_date"] != before[backup_id]:
                results[backup_id] = bool(backup["verified"])
                waiting.discard(backup_id)
        time.sleep(1)
    return results


def storage_verdicts(data_dir: Path, backups: list[dict[str, Any]]) -> list[Verdict]:
    store = data_dir / "backups"
    files = {
        p.relative_to(store).as_posix()
        for p in store.rglob("*")
        if p.is_file() and p.relative_to(store).parts[0] != TMP_DIR
    }
    expected = set()
    for backup in backups:
        if backup["status"] == "completed":
            expected |= {backup["blob_name"], backup["blob_name"] + ".manifest.json"}
    temp = sorted(p.name for p in (store / TMP_DIR).glob("*")) if (store / TMP_DIR).is_dir() else []
    work = sorted(p.relative_to(data_dir).as_posix() for p in (data_dir / "work").rglob("job-*"))
    return [
        check("one artifact + manifest per completed backup, none other", sorted(files - expected)),
        check("no artifact of a completed backup missing", sorted(expected - files)),
        check("no temp file left in storage", temp),
        check("no job folder left by an executor", work),
    ]


def backup_verdicts(
    accepted: list[int], backups: list[dict[str, Any]], verified: dict[int, bool | None]
) -> list[Verdict]:
    listed = {b["id"] for b in backups}
    return [
        check("every accepted backup is in the catalog", sorted(set(accepted) - listed)),
        check(
            "every backup completed or failed after the quiet period",
            [f"{b['id']}:{b['status']}" for b in backups if b["status"] not in FINISHED],
        ),
        check(
            "every failed backup has an error_cause",
            [b["id"] for b in backups if b["status"] == "failed" and not b["error_cause"]],
        ),
        check(
            "every completed backup verifies",
            [f"{i}:{'no result' if ok is None else 'failed'}" for i, ok in verified.items() if not ok],
        ),
    ]
