"""The conformance transcripts reuse the end-to-end fixtures and client (tests/e2e)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from server_harness import configure, module_server, server, skip_for_backend, start_server  # noqa: E402,F401


def pytest_configure(config):
    configure(config)


def pytest_runtest_setup(item):
    skip_for_backend(item)
