"""`python -m tests.e2e.soak --minutes N [--kill-servers]`: the soak on a stack of its own;
prints the counts and the invariants, exits 1 if any invariant fails."""

import argparse
import sys
from pathlib import Path

from tests.e2e.soak import SoakConfig, soak


def main() -> int:
    defaults = SoakConfig()
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.soak", description=__doc__)
    parser.add_argument(
        "--minutes", type=float, default=defaults.minutes, help="how long processes are killed"
    )
    parser.add_argument(
        "--kill-every", type=float, default=defaults.kill_every, help="seconds between service kills"
    )
    parser.add_argument(
        "--kill-servers", action="store_true", help="also kill -9 the embedded NATS and PostgreSQL, in turn"
    )
    parser.add_argument("--server-kill-every", type=float, default=defaults.server_kill_every)
    parser.add_argument(
        "--backup-every", type=float, default=defaults.backup_every, help="seconds between backups"
    )
    parser.add_argument("--quiet-seconds", type=float, default=defaults.quiet_seconds)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="of the random kills")
    parser.add_argument("--dir", type=Path, help="keep data, logs and artifacts here (default: a temp dir)")
    args = parser.parse_args()
    config = SoakConfig(
        minutes=args.minutes,
        kill_every=args.kill_every,
        kill_servers=args.kill_servers,
        server_kill_every=args.server_kill_every,
        backup_every=args.backup_every,
        quiet_seconds=args.quiet_seconds,
        seed=args.seed,
    )
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    report = soak(config, args.dir)
    print(report.table(), flush=True)
    return 0 if report.holds else 1


if __name__ == "__main__":
    sys.exit(main())
