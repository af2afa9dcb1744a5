"""Fixtures for every test come from plugins: the support package's servers and databases, and the
integration tests' stacks (backup, engines, retention), so no test module imports a fixture."""

pytest_plugins = [
    "tests.support.fixtures",
    "tests.integration.backup_fixtures",
    "tests.integration.engine_fixtures",
    "tests.integration.retention_fixtures",
]
