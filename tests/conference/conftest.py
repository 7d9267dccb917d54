from tests.backend_client.qt_async import qloop  # noqa: F401  (fixture for the panel tests)
