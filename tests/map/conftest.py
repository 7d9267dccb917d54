"""Map test fixtures: a real pseudo-terminal pair and the qasync loop recipe."""
import pytest

from tests.backend_client.qt_async import qloop  # noqa: F401 - fixture
from tests.helpers.pty import PtyPair


@pytest.fixture
def pty_pair(tmp_path):
    pair = PtyPair(tmp_path / "pty")
    pair.start()
    try:
        yield pair
    finally:
        pair.stop()
