"""A check the backend runs every few seconds for as long as it runs, surviving its own errors."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(interval: float, check: Callable[[], Awaitable[object]], what: str) -> None:
    """Await ``check()`` every ``interval`` seconds until cancelled; an error is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            await check()
        except Exception:
            log.exception("%s failed; trying again", what)
