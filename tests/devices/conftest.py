"""Fixtures for device tests: a real pseudo-terminal pair (socat) standing in for a serial cable."""
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
