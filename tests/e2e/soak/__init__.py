"""The soak: the whole stack under `lifeboat up`, backups requested every few seconds while
processes are `kill -9`ed at random, then, after a quiet period, the invariants — every backup
completed (and verifies) or failed with a cause, none stuck, one artifact + manifest per
completed backup and nothing else, no temp files or job folders left, the audit chain valid,
no 5xx other than 503 from the API, every killed process restarted.

Run as `python -m tests.e2e.soak --minutes N [--kill-servers]` (`make soak`); tests/e2e/test_soak.py
runs it for 3 minutes. Loopback only; every loop is bounded by the clock."""

import asyncio
import contextlib
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.soak import invariants
from tests.e2e.soak.api import Answers, SoakApi
from tests.e2e.soak.chaos import Chaos
from tests.e2e.soak.invariants import Verdict
from tests.e2e.soak.workload import Requests, register, sources
from tests.support.stack import running_stack, wait_healthy


@dataclass(frozen=True)
class SoakConfig:
    minutes: float = 10
    kill_every: float = 20  # seconds between service kills (±25%)
    kill_servers: bool = False  # also the embedded NATS and PostgreSQL, in turn
    server_kill_every: float = 60
    backup_every: float = 3
    quiet_seconds: float = 180  # how long backups may take to settle once the kills stop
    seed: int = 9


@dataclass
class Report:
    config: SoakConfig
    requests: Requests
    chaos: Chaos
    answers: Answers
    backups: list[dict] = field(default_factory=list)
    verified: dict[int, bool | None] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    settled_after: float = 0.0

    @property
    def holds(self) -> bool:
        return all(v.holds for v in self.verdicts)

    def table(self) -> str:
        status = Counter(b["status"] for b in self.backups)
        causes = Counter(b["error_cause"] or "none" for b in self.backups if b["status"] == "failed")
        kills = self.chaos.per_target()
        restarts = [k.back_after for k in self.chaos.kills if k.back_after is not None]
        rows = [
            ("minutes of kills", f"{self.config.minutes:g} (seed {self.config.seed})"),
            ("backups requested", len(self.requests.accepted) + sum(self.requests.refused.values())),
            ("  accepted (202)", len(self.requests.accepted)),
            ("  refused", _counts(self.requests.refused)),
            ("backups in the catalog", len(self.backups)),
            ("  completed", status["completed"]),
            ("  taken over (attempts > 1)", sum(1 for b in self.backups if b["attempts"] > 1)),
            ("  failed, by cause", _counts(causes)),
            ("  other", _counts(Counter({s: n for s, n in status.items() if s not in invariants.FINISHED}))),
            ("verifications passed", f"{sum(1 for ok in self.verified.values() if ok)}/{len(self.verified)}"),
            ("kills", f"{sum(kills.values())}: {_counts(kills)}"),
            ("restarts", f"{len(restarts)}" + (f", slowest {max(restarts):.1f}s" if restarts else "")),
            ("settled after kills stopped", f"{self.settled_after:.0f}s"),
            ("API answers", _counts(self.answers.counts)),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        lines += ["", "invariants:"]
        lines += [
            f"  {'ok  ' if v.holds else 'FAIL'} {v.name}{'' if v.holds else ': ' + v.detail}"
            for v in self.verdicts
        ]
        return "\n".join(lines)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counter.items())) or "0"


def soak(config: SoakConfig, root: Path | None = None) -> Report:
    """The soak in `root` (a temporary folder if None), on a stack of its own."""
    if root is None:
        with tempfile.TemporaryDirectory(prefix="lifeboat-soak-") as temp:
            return soak(config, Path(temp))
    return asyncio.run(_soak(config, root))


async def _soak(config: SoakConfig, root: Path) -> Report:
    async with sources(root / "sqlite") as found:
        # the soak's SQLite files are where an admin would allow them
        settings = {"LIFEBOAT_SQLITE_ROOTS": str(root / "sqlite")}
        with running_stack(root / "data", root / "output.log", settings) as stack:
            answers = Answers()
            api = SoakApi(stack, answers)
            database_ids = register(api, found)
            rng = random.Random(config.seed)
            chaos = Chaos(stack, rng, config.kill_every, config.kill_servers, config.server_kill_every)
            requests = Requests()
            report = Report(config, requests, chaos, answers)
            await asyncio.to_thread(_chaos, report, SoakApi(stack, answers), database_ids)
            started = time.monotonic()
            chaos.wait_for_restarts(60)
            with contextlib.suppress(TimeoutError):  # the verdicts below say what is wrong
                wait_healthy(stack.base_url, config.quiet_seconds)
            try:
                report.backups = invariants.wait_until_settled(api, database_ids, config.quiet_seconds)
                report.settled_after = time.monotonic() - started
                completed = [b["id"] for b in report.backups if b["status"] == "completed"]
                report.verified = invariants.verify_all(api, completed, 120 + 2 * len(completed))
                report.verdicts = _verdicts(report, api, stack.data_dir)
            except AssertionError as exc:  # the stack did not come back: report what is known
                report.verdicts = [
                    Verdict("the API answers after the quiet period", False, str(exc)[:300]),
                    invariants.check("no 5xx but 503 from the API", answers.server_errors),
                    _restarted(chaos),
                ]
            api.close()
            return report


def _chaos(report: Report, api: SoakApi, database_ids: list[int]) -> None:
    """Requests and kills side by side until the configured minutes are over."""
    until = time.monotonic() + report.config.minutes * 60
    stop = threading.Event()
    requester = threading.Thread(
        target=report.requests.run, args=(api, database_ids, report.config.backup_every, until, stop)
    )
    requester.start()
    try:
        report.chaos.run(until, stop)
    finally:
        stop.set()
        requester.join()
        api.close()


def _verdicts(report: Report, api: SoakApi, data_dir: Path) -> list[Verdict]:
    chain = api.call_until("GET", "/audit/verify", 120).json()
    return [
        *invariants.backup_verdicts(report.requests.accepted, report.backups, report.verified),
        *invariants.storage_verdicts(data_dir, report.backups),
        invariants.check(
            "audit chain valid", [] if chain["valid"] else [f"broken at {chain['first_broken_id']}"]
        ),
        invariants.check("no 5xx but 503 from the API", report.answers.server_errors),
        _restarted(report.chaos),
        invariants.check("some backups completed", [] if report.verified else ["none did"]),
    ]


def _restarted(chaos: Chaos) -> Verdict:
    return invariants.check(
        "every killed process restarted", [f"{k.target} (pid {k.pid})" for k in chaos.down()]
    )
