"""Test support: the servers, services, whole stacks, credentials and data the tests (and the
benchmarks) run against. Lives with the tests, never in the installed package.

Loaded as a pytest plugin (`tests/conftest.py`): `tests.support.fixtures` gives every test the
session's servers and a fresh database; the other modules are imported where they are needed.
"""
