"""Schemathesis hooks for test_openapi_conformance: the fuzzer may do anything an admin may do,
except lock the test itself out. It never edits or deletes the account it is logged in as (its id
in LIFEBOAT_FUZZ_PROTECTED_USER): a random password, role or status there would end the run."""

import os

import schemathesis

PROTECTED = int(os.environ.get("LIFEBOAT_FUZZ_PROTECTED_USER", "0"))


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):  # type: ignore[no-untyped-def]
    return not (path_parameters and path_parameters.get("user_id") == PROTECTED)
