"""Fixtures for the end-to-end tests; they live in server_harness.py so that
tests/conformance can share them.

    server          a fresh ximssd per test (extra settings: @pytest.mark.server_settings({...}))
    start_server    factory: start_server({"ximss.login_timeout": 2}) -> XimssServer;
                    start_server(share_store_with=first) -> a second node on first's store
    module_server   one ximssd shared by a module's tests

XIMSSD_BIN selects the binary (default build/ximssd). XIMSS_TRACE=1 prints the traffic.
XIMSSD_TEST_BACKEND=postgres runs the servers on PostgreSQL (pg_support.py); tests marked
@pytest.mark.sqlite_only / @pytest.mark.postgres_only run on that backend only.
"""

from server_harness import configure, module_server, server, skip_for_backend, start_server  # noqa: F401


def pytest_configure(config):
    configure(config)


def pytest_runtest_setup(item):
    skip_for_backend(item)
