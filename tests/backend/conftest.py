"""Backend test fixtures: ``backend`` is a real ``python -m backend`` process on a loopback port."""
import pytest

from tests.helpers.backend_proc import start_backend


@pytest.fixture
def backend(tmp_path):
    proc = start_backend(tmp_path)
    try:
        yield proc
    finally:
        proc.stop()
