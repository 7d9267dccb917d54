"""Fixtures for the dispatch tests: a real PTY pair (socat), a backend with the radio gateway simulator."""
import pytest

from tests.helpers.pty import PtyPair


@pytest.fixture
def pty_pair(tmp_path):
    pair = PtyPair(tmp_path / "pty")
    pair.start()
    try:
        yield pair
    finally:
        pair.stop()
