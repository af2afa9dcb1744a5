"""What every benchmark shares: the repository's paths, the error that fails a run, logging, the
stack (`lifeboat up`), RSS sampling, medians and percentiles, and the report.

Benchmarks run as scripts (`python bench/X.py`), so this package puts the repository first on
`sys.path` before anything imports Lifeboat: the benchmark measures this tree's code, and finds
the stack helpers the e2e tests use (`tests.support.stack`).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path[:2]:
    sys.path.insert(1, str(ROOT))

from harness.common import MB, RESULTS, BenchError, loadavg, log, machine  # noqa: E402

__all__ = ["MB", "RESULTS", "ROOT", "BenchError", "loadavg", "log", "machine"]
