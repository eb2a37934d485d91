"""A free port for the tests that start servers of their own (gunicorn, moto)."""

import socket

import pytest


def free_port(ports: range, taken=()) -> int:
    """Return a port of PORTS, none of TAKEN, that nobody listens on; fail the test when every one is in use.

    Each test file has a range of its own, so tests running side by side never reach for the same port.
    """
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"every port of {ports.start}–{ports.stop - 1} is taken")
