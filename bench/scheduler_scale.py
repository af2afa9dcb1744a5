"""The scheduler at scale: 100 000 schedules loaded, and 10 000 schedules due in the same minute.

    .venv/bin/python bench/scheduler_scale.py [--loaded 100000] [--due 10000] [--watch 15]

A benchmark, not a test: it prints a table and writes the numbers to bench/results/scheduler_scale.json,
and exits 0 whether or not a target is met (non-zero only when something fails).

- The servers are private ones (tests.support.servers: a nats-server with JetStream and an
  embedded PostgreSQL, on ports and in a temp dir of their own), with the streams provisioned as
  `lifeboat up` does. Each part gets a fresh database whose `scheduler` schema is migrated by
  libs.db.migrate beforehand; both databases are dropped and the servers removed at the end, also
  on Ctrl-C or an error. Scheduler processes run as users run them, `python -m lifeboat run
  scheduler`, with the default settings (no LIFEBOAT_SCHEDULER_* variable is passed on: the tick
  is 1 s, 500 due schedules are claimed per transaction, the outbox relay publishes 100 rows per
  transaction); their output is kept in bench/results/scheduler_scale.log.
- Part 1, 100 000 schedules loaded: rows are COPYed into scheduler.schedules (then ANALYZEd, as
  autovacuum would soon do): a mix of cron expressions (daily, hourly, every 15 minutes, every 6
  hours, weekly, monthly, weekdays, ...) in eight time zones, one in ten with interval_hours
  instead, one in twenty disabled. Each next_fire_at is timing.next_fire of the schedule after
  now + 10 minutes, so it is a real fire time of the schedule and nothing comes due while this part
  runs (checked: it must record no fire). Then one scheduler process is spawned: its start-up time
  runs from the spawn to the first answer to an `lb.rpc.scheduler.ping` (tried every 20 ms), and
  its RSS (that process alone, psutil) is sampled every 50 ms from the spawn to --watch seconds
  after start-up, during which it ticks (checked: last_check_at keeps moving). Peak is the highest
  sample; steady is the median of the samples of the last 5 s. Target: both below 300 MB.
- Part 2, 10 000 schedules due in the same minute, on the real clock: two scheduler processes are
  started (as in production: one holds the lease and fires; both relay the outbox), and once both
  answer pings and the lease is held, an ordered JetStream consumer (DeliverPolicy NEW) is opened
  on stream EVENTS for `lb.evt.scheduler.v1.schedule_fired`. The minute boundary at least 5 s
  ahead is chosen and the 10 000 rows are COPYed with next_fire_at = that boundary: daily, weekly
  and monthly cron expressions that match it in the same eight zones (24 distinct timings). For
  every event received, lag = its JetStream stored timestamp (msg.metadata.timestamp) minus the
  event's fire_at; the target is p99 below 2 s, and all 10 000 must arrive (distinct fire keys,
  at most 60 s after the boundary). Where the time goes is read back from the database: when
  the tick's transaction that claimed a fire began (fires.started_at), and when the relay's
  transaction that published it began (outbox.published_at); plus when this bench received it,
  and the CPU seconds each scheduler process used from 1 s before the boundary to the last event.
- The machine's load average is printed at the start and at the boundary: the targets assume an
  otherwise idle machine, and every process here (PostgreSQL, NATS, the schedulers, this bench)
  shares its CPUs.
"""

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import nats.errors
from harness import RESULTS, ROOT, BenchError, loadavg, machine
from harness.report import write_json
from scheduler_load.parts import STEADY_SECONDS, part_due, part_loaded
from scheduler_load.processes import Stack
from scheduler_load.report import report

from libs.bus.streams import provision_streams
from tests.support.servers import test_servers

OUTPUT = RESULTS / "scheduler_scale.json"
LOG_COPY = RESULTS / "scheduler_scale.log"


async def run(stack: Stack, args: argparse.Namespace, data: dict[str, Any]) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await provision_streams(stack.servers.nats.url)
        if args.loaded:
            data["loaded"] = await part_loaded(stack, args.loaded, args.watch)
        if args.due:
            data["due"] = await part_due(stack, args.due)
    finally:
        await stack.stop_all()
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await stack.drop_databases()


@contextlib.contextmanager
def reaped(stack_holder: list[Stack]) -> Iterator[None]:
    """A last resort for scheduler processes left behind by an interrupted clean-up."""
    try:
        yield
    finally:
        for stack in stack_holder:
            for process in stack.processes:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loaded", type=int, default=100_000, help="schedules in part 1 (0 skips it)")
    parser.add_argument(
        "--due", type=int, default=10_000, help="schedules due at one minute in part 2 (0 skips)"
    )
    parser.add_argument("--watch", type=float, default=15.0, help="seconds to sample RSS after start-up")
    args = parser.parse_args()
    if args.loaded < 0 or args.due < 0 or args.watch < STEADY_SECONDS:
        parser.error(f"--loaded and --due must be >= 0 and --watch >= {STEADY_SECONDS:.0f}")
    started = datetime.now(UTC)
    data: dict[str, Any] = {
        "started_at": started.isoformat(),
        "machine": machine(),
        "load_average_at_start": loadavg(),
        "errors": [],
    }
    code = 1
    holder: list[Stack] = []
    try:
        with test_servers() as servers, open(servers.root / "schedulers.log", "ab") as logs, reaped(holder):
            stack = Stack(servers, logs)
            holder.append(stack)
            try:
                asyncio.run(run(stack, args, data))
                code = 0
            except (asyncio.CancelledError, KeyboardInterrupt):
                print("\ninterrupted: cleaning up", file=sys.stderr)
                code = 130
            except (BenchError, OSError, asyncpg.PostgresError, nats.errors.Error) as exc:
                data["errors"].append(str(exc))
                print(f"\nerror: {exc}", file=sys.stderr)
            except Exception as exc:
                data["errors"].append(repr(exc))
                traceback.print_exc()
            finally:
                logs.flush()
                with contextlib.suppress(OSError):
                    RESULTS.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(servers.root / "schedulers.log", LOG_COPY)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        code = 130
    if code == 130:
        return code
    data["finished_at"] = datetime.now(UTC).isoformat()
    report(data.get("loaded"), data.get("due"), data)
    write_json(OUTPUT, data)
    if code != 0:
        print(f"the schedulers' output: {LOG_COPY.relative_to(ROOT)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
