"""The relay's users: token hashes pushed by the backend, who may get direct camera URLs, and the short wait
that lets a session opened a moment ago play at once instead of getting a 401 before the next push.

The backend long-polls ``GET /control/tokens/wait``; a request with a token the relay does not know sets
``wanted``, the poll answers, the backend pushes its token hashes at once, and the request looks again. With
no backend polling (a relay run alone) or too many waiting requests (a flood of bad tokens), an unknown
token is refused at once.
"""
from __future__ import annotations

import asyncio
import hashlib
import time

TOKEN_WAIT_S = 3.0  # an unknown token waits this long for the backend's next push
MAX_TOKEN_WAITERS = 64
LISTENING_S = 10.0  # the backend counts as polling this long after its last poll


class TokenBook:
    """{sha256 of token: user}, the users allowed direct RTSP URLs, and the unknown-token handshake.

    Attributes:
        direct_users: user names whose role may see camera credentials (empty: nobody, the default).
    """

    def __init__(self):
        self._tokens: dict[str, str] = {}
        self.direct_users: frozenset[str] = frozenset()
        self._pushed = asyncio.Event()  # set (and replaced) at every push
        self._wanted = asyncio.Event()  # a request came with an unknown token
        self._poll_at = -1e9
        self._waiters = 0

    def __len__(self) -> int:
        return len(self._tokens)

    def set_tokens(self, tokens: dict[str, str]) -> None:
        self._tokens = {k.lower(): v for k, v in tokens.items()}
        pushed, self._pushed = self._pushed, asyncio.Event()
        pushed.set()  # requests waiting for a new session's token look again

    async def user(self, token: str) -> str | None:
        """The user of ``token``; an unknown one waits for the backend's next push (see the module doc)."""
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest() if token else ""
        user = self._tokens.get(digest) if digest else None
        if user is None and digest and time.monotonic() - self._poll_at < LISTENING_S \
                and self._waiters < MAX_TOKEN_WAITERS:
            pushed = self._pushed
            self._waiters += 1
            self._wanted.set()
            try:
                await asyncio.wait_for(pushed.wait(), TOKEN_WAIT_S)
            except asyncio.TimeoutError:
                pass
            finally:
                self._waiters -= 1
            user = self._tokens.get(digest)
        return user

    async def wait_wanted(self, timeout: float) -> bool:
        """The backend's long poll: True as soon as an unknown token was seen, False after ``timeout``."""
        self._poll_at = time.monotonic()
        try:
            await asyncio.wait_for(self._wanted.wait(), max(0.0, min(timeout, 60.0)))
            wanted = True
        except asyncio.TimeoutError:
            wanted = False
        self._wanted.clear()
        self._poll_at = time.monotonic()
        return wanted
