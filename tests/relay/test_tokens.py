"""The relay's unknown-token handshake (backend/relay/tokens.py): a request with a token the relay does not know
waits for the push that answers it, and is not failed by a push computed before its session existed."""
import asyncio
import hashlib
import time

from backend.relay import tokens
from backend.relay.tokens import TOKEN_WAIT_S, TokenBook


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _asked(book: TokenBook, poll: asyncio.Task) -> int:
    """The serial the backend's long poll got (the relay answered it: a request is waiting)."""
    return await asyncio.wait_for(poll, 2.0)


async def test_a_stale_push_does_not_fail_a_new_session():
    book = TokenBook()
    poll = asyncio.create_task(book.wait_wanted(5.0))
    await asyncio.sleep(0)  # the backend is polling
    request = asyncio.create_task(book.user("fresh"))
    serial = await _asked(book, poll)
    assert serial > 0
    # a periodic sync and the answer to an earlier request land first: both computed before "fresh" existed
    book.set_tokens({_hash("old"): "wall"})
    book.set_tokens({_hash("old"): "wall"}, answers=serial - 1)
    await asyncio.sleep(0.05)
    assert not request.done()  # it looked again and keeps waiting
    book.set_tokens({_hash("old"): "wall", _hash("fresh"): "wall"}, answers=serial)
    assert await asyncio.wait_for(request, 1.0) == "wall"


async def test_an_unknown_token_is_refused_by_the_push_that_answers_it_not_after_the_wait():
    book = TokenBook()
    poll = asyncio.create_task(book.wait_wanted(5.0))
    await asyncio.sleep(0)
    started = time.monotonic()
    request = asyncio.create_task(book.user("not-a-token"))
    serial = await _asked(book, poll)
    book.set_tokens({_hash("old"): "wall"}, answers=serial)
    assert await asyncio.wait_for(request, 1.0) is None
    assert time.monotonic() - started < TOKEN_WAIT_S  # refused by the answer, not by running out of time


async def test_requests_after_the_poll_answered_are_asked_for_again():
    book = TokenBook()
    poll = asyncio.create_task(book.wait_wanted(5.0))
    await asyncio.sleep(0)
    first = asyncio.create_task(book.user("a"))
    serial = await _asked(book, poll)
    second = asyncio.create_task(book.user("b"))  # arrives while the backend computes its push for "a"
    await asyncio.sleep(0)
    book.set_tokens({_hash("a"): "wall"}, answers=serial)
    assert await asyncio.wait_for(first, 1.0) == "wall"
    assert not second.done()
    again = await asyncio.wait_for(book.wait_wanted(5.0), 1.0)  # "b" set wanted again: the next poll answers
    assert again > serial
    book.set_tokens({_hash("a"): "wall", _hash("b"): "lead"}, answers=again)
    assert await asyncio.wait_for(second, 1.0) == "lead"


async def test_without_a_polling_backend_an_unknown_token_is_refused_at_once():
    book = TokenBook()
    assert await asyncio.wait_for(book.user("fresh"), 0.5) is None


async def test_a_poll_pending_longer_than_the_listening_window_still_counts(monkeypatch):
    """The backend's poll lasts 20 s; a session opened late in it must wait for the push, not get a 401."""
    monkeypatch.setattr(tokens, "LISTENING_S", 0.05)
    book = TokenBook()
    poll = asyncio.create_task(book.wait_wanted(5.0))
    await asyncio.sleep(0.2)  # well past LISTENING_S since the poll began
    assert book.listening()
    request = asyncio.create_task(book.user("fresh"))
    serial = await _asked(book, poll)
    book.set_tokens({_hash("fresh"): "wall"}, answers=serial)
    assert await asyncio.wait_for(request, 1.0) == "wall"
    await asyncio.sleep(0.1)  # no poll pending, the last one ended LISTENING_S ago: refused at once
    assert not book.listening()
    assert await asyncio.wait_for(book.user("other"), 0.5) is None


async def test_a_token_used_between_the_first_push_and_the_first_poll_waits_for_that_poll():
    """At start the supervisor pushes its config, then starts polling; a token minted in between (a service
    token) must not be refused because the first poll has not arrived yet."""
    book = TokenBook()
    book.set_tokens({_hash("old"): "wall"})  # the start's config push; no poll yet
    request = asyncio.create_task(book.user("minted"))
    await asyncio.sleep(0.05)
    assert not request.done()
    serial = await asyncio.wait_for(book.wait_wanted(5.0), 1.0)  # the first poll answers at once
    assert serial > 0
    book.set_tokens({_hash("old"): "wall", _hash("minted"): "svc:conference-feed"}, answers=serial)
    assert await asyncio.wait_for(request, 1.0) == "svc:conference-feed"


async def test_tokens_read_from_a_file_at_start_do_not_make_unknown_ones_wait():
    """``--config`` at start is not a backend: a relay run alone still refuses an unknown token at once."""
    book = TokenBook()
    book.set_tokens({_hash("known"): "wall"}, from_backend=False)
    assert not book.listening()
    assert await asyncio.wait_for(book.user("known"), 0.5) == "wall"
    assert await asyncio.wait_for(book.user("fresh"), 0.5) is None


async def test_an_unknown_token_with_no_answering_push_is_refused_after_the_wait(monkeypatch):
    monkeypatch.setattr(tokens, "TOKEN_WAIT_S", 0.2)
    book = TokenBook()
    poll = asyncio.create_task(book.wait_wanted(5.0))
    await asyncio.sleep(0)
    request = asyncio.create_task(book.user("fresh"))
    await _asked(book, poll)
    book.set_tokens({_hash("old"): "wall"})  # a push that answers nothing: it looks again and waits on
    assert await asyncio.wait_for(request, 2.0) is None
