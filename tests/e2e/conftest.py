"""The e2e tests share one whole stack per module (see tests.support.stack)."""

from collections.abc import Iterator

import pytest

from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("lifeboat-data")
    with running_stack(data_dir, data_dir.parent / f"{data_dir.name}-output.log") as running:
        yield running
