"""A view's connections to the store, made in one place and undone on close: (signal, slot) pairs."""
from __future__ import annotations

from typing import Any, Iterable


def disconnect_all(pairs: Iterable[tuple[Any, Any]]) -> None:
    """Disconnect every (signal, slot); one already gone with its sender is no error."""
    for signal, slot in pairs:
        try:
            signal.disconnect(slot)
        except (RuntimeError, TypeError):
            pass
