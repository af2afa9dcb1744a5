"""Three minutes of the soak (tests/e2e/soak): a service `kill -9`ed every ~20 s, and the embedded
NATS and PostgreSQL in turn every ~60 s, while backups are requested every few seconds; afterwards
every invariant holds."""

import pytest

from tests.e2e.soak import SoakConfig, soak

pytestmark = pytest.mark.e2e


def test_three_minutes_of_killed_services_and_servers_lose_no_backup(tmp_path):
    report = soak(SoakConfig(minutes=3, kill_servers=True), tmp_path)
    print(report.table())
    assert report.holds, report.table()
    kills = report.chaos.per_target()
    assert sum(kills.values()) >= 6, "the chaos killed too little to prove anything"
    assert kills["nats"] + kills["postgres"] >= 2, "the embedded servers were not killed"
