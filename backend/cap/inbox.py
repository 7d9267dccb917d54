"""CAP feeds into CapIngest: a watched folder (--cap-inbox DIR) and a small HTTP POST /cap endpoint.

The folder: every regular file that appears is ingested once, when its size and mtime have stayed the
same across two polls (writers should still write elsewhere and rename into place), then moved to
DIR/done/ or DIR/rejected/ — never deleted. Symlinks and special files are not read: quarantined and moved. Names starting with "." or ending in .tmp/.part
are left alone (files still being written).
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
import os
import stat
from pathlib import Path

from backend.cap.ingest import PAYLOAD_KEPT, CapIngest, IngestResult
from backend.cap.parse import MAX_BYTES

__all__ = ["CapIngest", "CapInbox", "IngestResult", "serve_http"]

log = logging.getLogger(__name__)

RETRY_AFTER = 30.0  # seconds before a file whose ingest or move failed is tried again
DRAIN_LIMIT = 64 * 1024 * 1024  # an oversized POST body up to this size is read and discarded
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")


class CapInbox:
    """Watches one folder and feeds each new file to ``ingest`` exactly once.

    Attributes:
        directory: the watched folder; done/ and rejected/ are made inside it.
        processed: number of files ingested and moved (for tests and health).
        errors: the latest reasons a file could not be read, ingested or moved (bounded).
    """

    def __init__(self, ingest: CapIngest, directory: str | Path, poll: float = 1.0):
        self.ingest = ingest
        self.directory = Path(directory)
        db_path = getattr(getattr(ingest, "core", None), "db_path", None)
        if db_path is not None and Path(db_path).resolve().parent == self.directory.resolve():
            # every file here gets moved away: the store (and its -wal) must not live in the inbox
            raise ValueError(f"CAP inbox {self.directory} is the folder of the store {db_path}; use another folder")
        self.done_dir = self.directory / "done"
        self.rejected_dir = self.directory / "rejected"
        self.poll = poll
        self.processed = 0
        self.retry_after = RETRY_AFTER
        self.errors: collections.deque[str] = collections.deque(maxlen=100)
        self._seen: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) at the previous poll
        self._handled: dict[str, tuple[int, int, float]] = {}  # could not be moved: (size, mtime, retry at)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        log.info("CAP inbox watching %s", self.directory)
        while not self._stopping.is_set():
            try:
                await self.scan_once()
            except Exception:  # the watcher must outlive any one bad file or a vanished folder
                log.exception("CAP inbox %s: scan failed", self.directory)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll)
            except asyncio.TimeoutError:
                pass

    async def scan_once(self) -> int:
        """One poll: ingest the files that are complete; return how many were handled."""
        self.directory.mkdir(parents=True, exist_ok=True)  # done/ and rejected/ are made when first used
        current: dict[str, tuple[int, int]] = {}
        handled = 0
        loop = asyncio.get_running_loop()
        for entry in sorted(os.scandir(self.directory), key=lambda e: e.name):
            name = entry.name
            if name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES) or name in ("done", "rejected"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                log.warning("CAP inbox: cannot stat %s: %s", entry.path, exc)
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # done/, rejected/ and any folder someone made here
            sig = (st.st_size, st.st_mtime_ns)
            current[name] = sig
            blocked = self._handled.get(name)
            if blocked is not None and blocked[:2] == sig and loop.time() < blocked[2]:
                continue
            if stat.S_ISREG(st.st_mode) and self._seen.get(name) != sig:
                continue  # new or still growing: look again at the next poll
            await self._handle(Path(entry.path), st)
            handled += 1
        self._seen = current
        for name in list(self._handled):
            if name not in current:
                del self._handled[name]
        return handled

    async def _handle(self, path: Path, st: os.stat_result) -> None:
        origin = f"inbox:{path.name}"
        try:
            if not stat.S_ISREG(st.st_mode):
                kind = "symlink" if stat.S_ISLNK(st.st_mode) else "special file"
                result = await self.ingest.quarantine(f"not a regular file ({kind}); not read", origin, b"", 0,
                                                      hashlib.sha256(path.name.encode()).hexdigest())
            elif st.st_size > MAX_BYTES:
                head, sha = await asyncio.to_thread(_head_and_hash, path)
                result = await self.ingest.quarantine(f"too large: {st.st_size} bytes (limit {MAX_BYTES})",
                                                      origin, head, st.st_size, sha)
            else:
                data = await asyncio.to_thread(_read_regular, path, MAX_BYTES + 1)
                result = await self.ingest.ingest(data, origin)
        except OSError as exc:
            self._defer(path.name, st, f"cannot read: {exc}")
            return
        except Exception as exc:  # e.g. the store refused the quarantine row: keep the file, try later
            log.exception("CAP inbox: %s could not be ingested", path)
            self._defer(path.name, st, f"ingest failed: {type(exc).__name__}: {exc}")
            return
        target = self.rejected_dir if result.outcome == "quarantined" else self.done_dir
        try:
            moved = await asyncio.to_thread(_move_unique, path, target)
        except OSError as exc:
            self._defer(path.name, st, f"ingested ({result.outcome}) but not moved to {target}: {exc}")
            return
        self.processed += 1
        log.info("CAP inbox: %s → %s (%s)", path.name, moved, result.outcome)

    def _defer(self, name: str, st: os.stat_result, reason: str) -> None:
        log.error("CAP inbox: %s: %s (retry in %.0f s)", self.directory / name, reason, self.retry_after)
        self.errors.append(f"{name}: {reason}")
        self._handled[name] = (st.st_size, st.st_mtime_ns, asyncio.get_running_loop().time() + self.retry_after)


def _read_regular(path: Path, limit: int) -> bytes:
    # O_NOFOLLOW | O_NONBLOCK: a file swapped for a symlink or a FIFO after the stat is not followed/blocking
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{path.name}: no longer a regular file")
        return f.read(limit)


def _head_and_hash(path: Path) -> tuple[bytes, str]:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        head = f.read(PAYLOAD_KEPT)
        digest.update(head)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return head, digest.hexdigest()


def _move_unique(path: Path, folder: Path) -> Path:
    """Rename into ``folder`` without ever replacing a file there (name.1, name.2, … on collision)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(10_000):
        target = folder / (path.name if n == 0 else f"{path.name}.{n}")
        try:
            os.link(path, target, follow_symlinks=False)  # fails if target exists: no overwrite race
        except FileExistsError:
            continue
        except OSError:  # no hard links here (other file system …): exclusive-ish rename instead
            if target.exists() or target.is_symlink():
                continue
            os.rename(path, target)
            return target
        os.unlink(path)  # the content now lives at target
        return target
    raise OSError(f"{folder}: no free name for {path.name}")


# -- HTTP POST /cap --------------------------------------------------------------------------------------
async def serve_http(ingest: CapIngest, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    """Serve ``POST /cap`` (one CAP document per request) on asyncio streams; returns the started server.

    202 + JSON IngestResult when accepted (also for duplicates and ignored messages), 400 + JSON with
    the reason when quarantined, 413 when the body exceeds the size limit (the head is quarantined).
    ``server.sockets[0].getsockname()[1]`` is the port when 0 was asked for. No auth yet: loopback only.
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            status, body = await asyncio.wait_for(_http_request(ingest, reader, f"http:{peer[0]}" if peer else "http"),
                                                  timeout=60)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError,
                ValueError) as exc:
            status, body = 400, {"outcome": "error", "reason": f"bad request: {type(exc).__name__}"}
        try:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            writer.write(f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json;"
                         f" charset=utf-8\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                         .encode("ascii") + payload)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=16 * 1024)


_REASONS = {202: "Accepted", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large"}


async def _http_request(ingest: CapIngest, reader: asyncio.StreamReader, origin: str) -> tuple[int, dict]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > 16 * 1024:
        return 400, {"outcome": "error", "reason": "request head too large"}
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3:
        return 400, {"outcome": "error", "reason": "bad request line"}
    method, target, _version = parts
    if target.split("?", 1)[0] != "/cap":
        return 404, {"outcome": "error", "reason": f"no such path {target[:100]!r}; POST to /cap"}
    if method != "POST":
        return 405, {"outcome": "error", "reason": "use POST"}
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers or "content-length" not in headers:
        return 411, {"outcome": "error", "reason": "send Content-Length (no chunked bodies)"}
    length = int(headers["content-length"])
    if length < 0:
        return 400, {"outcome": "error", "reason": "negative Content-Length"}
    if length > MAX_BYTES:
        part = await reader.read(PAYLOAD_KEPT)
        reason = f"too large: {length} bytes (limit {MAX_BYTES})"
        await ingest.quarantine(reason, origin, part, length, hashlib.sha256(part).hexdigest())
        left = length - len(part)
        while 0 < left <= DRAIN_LIMIT:  # read the rest away, so the client gets the answer, not a reset
            chunk = await reader.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
        return 413, {"outcome": "quarantined", "reason": reason}
    data = await reader.readexactly(length)
    result = await ingest.ingest(data, origin)
    return (400 if result.outcome == "quarantined" else 202), result.to_dict()
