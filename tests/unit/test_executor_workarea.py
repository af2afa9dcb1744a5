"""Job folders of a killed executor (credential files and all) are removed by the next executor
to start; those of an executor still running beside it are not."""

import subprocess
import sys
from pathlib import Path

from services.executor.workarea import WorkArea

# An executor's part: take a work area, start a job that writes a credential file, then wait.
HOLDER = """
import sys, time
from pathlib import Path
from services.executor.workarea import WorkArea
area = WorkArea(Path(sys.argv[1]))
with area.job_folder() as job:
    (job / ".pgpass").write_text("127.0.0.1:5432:*:postgres:secret\\n")
    print(job, flush=True)
    time.sleep(60)
"""


def _executor_in_a_job(root: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(root)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_the_next_executor_removes_a_killed_ones_job_folder_and_keeps_a_live_ones(tmp_path: Path):
    root = tmp_path / "work"
    killed, killed_job = _executor_in_a_job(root)
    alive, alive_job = _executor_in_a_job(root)
    try:
        killed.kill()
        killed.wait()
        assert (killed_job / ".pgpass").exists(), "kill -9 leaves the job folder behind"

        area = WorkArea(root)
        removed = area.sweep()

        assert removed == [killed_job.parent.name]
        assert not killed_job.parent.exists() and not (root / f"{killed_job.parent.name}.lock").exists()
        assert (alive_job / ".pgpass").exists(), "a running executor's job folder was removed"
        with area.job_folder() as own:
            assert own.parent == area.folder and own.stat().st_mode & 0o777 == 0o700
        assert not own.exists()
    finally:
        alive.kill()
        alive.wait()


def test_job_folders_of_the_old_layout_are_removed(tmp_path: Path):
    root = tmp_path / "work"
    left = root / "job-x1y2z3"
    left.mkdir(parents=True)
    (left / ".pgpass").write_text("secret")
    area = WorkArea(root)
    assert area.sweep() == ["job-x1y2z3"] and not left.exists()
    assert sorted(p.name for p in root.iterdir()) == sorted([area.folder.name, f"{area.folder.name}.lock"])
