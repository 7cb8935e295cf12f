"""Fixtures for the end-to-end tests; they live in server_harness.py so that
tests/conformance can share them.

    server          a fresh ximssd per test (extra settings: @pytest.mark.server_settings({...}))
    start_server    factory: start_server({"ximss.login_timeout": 2}) -> XimssServer
    module_server   one ximssd shared by a module's tests

XIMSSD_BIN selects the binary (default build/ximssd). XIMSS_TRACE=1 prints the traffic.
"""

from server_harness import configure, module_server, server, start_server  # noqa: F401


def pytest_configure(config):
    configure(config)
