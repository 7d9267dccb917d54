"""Wait on a condition in a plain (non-Qt, non-async) test: poll it, return its first truthy value."""
import time


def wait_until(cond, timeout: float = 30.0, what: str = "condition", interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout} s")
