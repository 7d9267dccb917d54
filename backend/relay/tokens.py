"""The relay's users: token hashes pushed by the backend, who may get direct camera URLs, and the short wait
that lets a session opened a moment ago play at once instead of getting a 401 before the next push.

The backend long-polls ``GET /control/tokens/wait``; a request with a token the relay does not know sets
``wanted``, the poll answers, the backend pushes its token hashes at once, and the request looks again. Each
unknown-token request takes a serial number; the poll answers with the last one, and the push that follows
says it ``answers`` that serial. A request gives up only on a push that answers its own serial (or after
TOKEN_WAIT_S): a push computed before its session existed (a periodic sync, or the answer to an earlier
request, still on its way) makes it look again, not fail. With no backend polling (a relay run alone) or
too many waiting requests (a flood of bad tokens), an unknown token is refused at once.
"""
from __future__ import annotations

import asyncio
import hashlib
import time

TOKEN_WAIT_S = 3.0  # an unknown token waits this long for the backend's next push
MAX_TOKEN_WAITERS = 64
LISTENING_S = 10.0  # the backend counts as listening this long after its last poll ended or config push


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
        self._polls = 0  # long polls pending now
        self._seen_at = -1e9  # when the last poll ended or the last push came
        self._waiters = 0
        self._asked = 0  # serial of the last request that found its token unknown
        self._answered = 0  # the highest serial a push said it answers

    def __len__(self) -> int:
        return len(self._tokens)

    def set_tokens(self, tokens: dict[str, str], answers: int | None = None, from_backend: bool = True) -> None:
        """Replace the token hashes; ``answers``: the serial (from ``wait_wanted``) read before they were;
        ``from_backend``: pushed by a backend (which then listens), not read from a file at start."""
        self._tokens = {k.lower(): v for k, v in tokens.items()}
        if answers is not None:
            self._answered = max(self._answered, answers)
        if from_backend:
            self._seen_at = time.monotonic()
        pushed, self._pushed = self._pushed, asyncio.Event()
        pushed.set()  # requests waiting for a new session's token look again

    async def user(self, token: str) -> str | None:
        """The user of ``token``; an unknown one waits for the backend's next push (see the module doc)."""
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest() if token else ""
        user = self._tokens.get(digest) if digest else None
        if user is None and digest and self.listening() and self._waiters < MAX_TOKEN_WAITERS:
            self._asked += 1
            serial = self._asked
            self._waiters += 1
            self._wanted.set()
            try:
                async with asyncio.timeout(TOKEN_WAIT_S):
                    while user is None and self._answered < serial:
                        await self._pushed.wait()
                        user = self._tokens.get(digest)
            except TimeoutError:
                user = self._tokens.get(digest)  # a push that came as the wait ended still counts
            finally:
                self._waiters -= 1
        return user

    def listening(self) -> bool:
        """Whether a backend will push soon: a poll is pending, or one ended (or a push came) a moment ago."""
        return self._polls > 0 or time.monotonic() - self._seen_at < LISTENING_S

    async def wait_wanted(self, timeout: float) -> int:
        """The backend's long poll: the serial of the last unknown-token request as soon as there is one
        unanswered, 0 after ``timeout``. The push that follows passes it back to ``set_tokens``."""
        self._polls += 1
        try:
            await asyncio.wait_for(self._wanted.wait(), max(0.0, min(timeout, 60.0)))
            serial = self._asked
        except asyncio.TimeoutError:
            serial = 0
        finally:
            self._polls -= 1
            self._seen_at = time.monotonic()
        self._wanted.clear()
        return serial
