"""Three minutes of the soak (tests/e2e/soak): a service `kill -9`ed every ~20 s while backups
are requested every few seconds; afterwards every invariant holds. NATS and PostgreSQL are left
alone here (`make soak SOAK_FLAGS=--kill-servers` kills them too)."""

import pytest

from tests.e2e.soak import SoakConfig, soak

pytestmark = pytest.mark.e2e


def test_three_minutes_of_killed_services_lose_no_backup(tmp_path):
    report = soak(SoakConfig(minutes=3), tmp_path)
    print(report.table())
    assert report.holds, report.table()
    assert sum(report.chaos.per_target().values()) >= 6, "the chaos killed too little to prove anything"
