"""Map benchmark: 10,000 moving units with 1,000 position updates a second while panning and zooming.

Our MapView (numpy arrays, grid clustering, sprite blits, offline OSM tiles) against a naive baseline
drawn side by side in the same run: one QGraphicsEllipseItem per object in a QGraphicsScene, no
clustering, no tiles. Also: memory (RSS growth per map) and the tile cache hit rate when the same pan
is repeated over a real XYZ tile server on 127.0.0.1 (second pan: every tile from the MBTiles cache).
"""
from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import figure, percentile, write_result  # noqa: E402

from PySide6.QtCore import QBuffer, QIODevice, QRectF  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView  # noqa: E402

from backend_client.geo import to_unit  # noqa: E402
from backend_client.store import ClientStore  # noqa: E402
from backend_client.tiles import TileProvider, TileSource, default_sources  # noqa: E402
from widgets.map_view import MapView  # noqa: E402

OBJECTS = 10_000
UPDATES_PER_S = 1_000
FRAMES = 240  # 4 s of 60 Hz
W, H = 1920, 1080
CENTRE = (28.888, 120.047)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_units(rng: random.Random) -> list[dict]:
    return [{"id": f"U-{n}", "name": f"单位{n}", "lat": CENTRE[0] + rng.gauss(0, 0.06), "lon": CENTRE[1] + rng.gauss(0, 0.08),
             "heading": rng.uniform(0, 360), "status": rng.choice(("available", "busy"))} for n in range(OBJECTS)]


def camera_path(frame: int) -> tuple[float, float, float]:
    """Pan east-west and zoom in and out: zoom 10 … 15 over the run, the centre circling the city."""
    import math

    t = frame / FRAMES
    zoom = 12.5 + 2.5 * math.sin(2 * math.pi * t)
    return CENTRE[0] + 0.04 * math.sin(4 * math.pi * t), CENTRE[1] + 0.06 * math.cos(4 * math.pi * t), zoom


def run_ours(rng: random.Random, units: list[dict], tiles: bool = True) -> dict:
    before = rss_mb()
    store = ClientStore()
    store.apply_message({"type": "snapshot", "seq": 1, "state": {"units": units}})
    view = MapView(store, [TileProvider(s) for s in default_sources()] if tiles else [])
    view.resize(W, H)
    img = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)
    per_frame = UPDATES_PER_S // 60
    seq = 2
    times = []
    for frame in range(FRAMES):
        t0 = time.perf_counter()
        for _ in range(per_frame):
            u = units[rng.randrange(OBJECTS)]
            u["lat"] += rng.gauss(0, 0.0002)
            u["lon"] += rng.gauss(0, 0.0002)
            store.apply_message({"type": "event", "seq": seq, "entity": "units", "op": "upsert", "key": u["id"],
                                 "data": dict(u)})
            seq += 1
        view.set_view(*camera_path(frame))
        p = QPainter(img)
        view.paint_map(p)
        p.end()
        times.append((time.perf_counter() - t0) * 1000)
    return {"times": times[10:], "rss": rss_mb() - before, "keep": (store, view)}


def run_naive(rng: random.Random, units: list[dict]) -> dict:
    before = rss_mb()
    scene = QGraphicsScene()
    items = {}
    pen, brush = QPen(QColor("#0a0f14")), QBrush(QColor("#2ecc71"))
    scale = 256 * 2 ** 20  # scene units: unit square × 2^20 tiles
    for u in units:
        x, y = to_unit(u["lat"], u["lon"])
        item = scene.addEllipse(QRectF(-6, -6, 12, 12), pen, brush)
        item.setFlag(item.GraphicsItemFlag.ItemIgnoresTransformations)
        item.setPos(x * scale, y * scale)
        items[u["id"]] = item
    view = QGraphicsView(scene)
    view.resize(W, H)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    img = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)
    per_frame = UPDATES_PER_S // 60
    times = []
    for frame in range(FRAMES):
        t0 = time.perf_counter()
        for _ in range(per_frame):
            u = units[rng.randrange(OBJECTS)]
            u["lat"] += rng.gauss(0, 0.0002)
            u["lon"] += rng.gauss(0, 0.0002)
            x, y = to_unit(u["lat"], u["lon"])
            items[u["id"]].setPos(x * scale, y * scale)
        lat, lon, zoom = camera_path(frame)
        k = 2 ** (zoom - 20)
        view.resetTransform()
        view.scale(k, k)
        x, y = to_unit(lat, lon)
        view.centerOn(x * scale, y * scale)
        p = QPainter(img)
        img.fill(0)
        view.render(p)
        p.end()
        times.append((time.perf_counter() - t0) * 1000)
    return {"times": times[10:], "rss": rss_mb() - before, "keep": (scene, view, items)}


def tile_server() -> tuple[ThreadingHTTPServer, list]:
    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(QColor("#335577"))
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    body, hits = bytes(buf.data().data()), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, hits


def cache_hit_rate(app: QApplication) -> tuple[float, float, int]:
    """Pan the same path twice over an online source; (hit rate 1st pan, hit rate 2nd pan, fetches)."""
    httpd, hits = tile_server()
    with tempfile.TemporaryDirectory() as tmp:
        src = TileSource("bench-xyz", "bench", url=f"http://127.0.0.1:{httpd.server_address[1]}/{{z}}/{{x}}/{{y}}.png")
        provider = TileProvider(src, cache_dir=tmp)
        rates = []
        for _ in range(2):
            view = MapView(None, [provider])  # a fresh view: no decoded pixmaps, only the disk cache
            view.resize(W, H)
            img = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)
            h0, m0 = provider.hits, provider.misses
            for step in range(40):
                view.set_view(CENTRE[0], CENTRE[1] - 0.2 + step * 0.01, 13)
                p = QPainter(img)
                view.paint_map(p)
                p.end()
                deadline = time.monotonic() + 10
                while provider.pending and time.monotonic() < deadline:
                    app.processEvents()
                    time.sleep(0.001)
            got = provider.hits - h0
            rates.append(got / max(1, got + provider.misses - m0))
        fetches = len(hits)
        provider.close()
    httpd.shutdown()
    return rates[0], rates[1], fetches


def main() -> None:
    app = QApplication.instance() or QApplication([])
    ours = run_ours(random.Random(1), make_units(random.Random(0)))
    naive = run_naive(random.Random(1), make_units(random.Random(0)))
    bare = run_ours(random.Random(1), make_units(random.Random(0)), tiles=False)
    first, second, fetches = cache_hit_rate(app)
    o50, o95 = percentile(ours["times"], 50), percentile(ours["times"], 95)
    n50, n95 = percentile(naive["times"], 50), percentile(naive["times"], 95)
    figures = [
        figure("frame time p50 (10k units, 1k updates/s, pan+zoom)", round(o50, 2), "ms", None, round(n50, 2),
               round(n50 / o50, 2)),
        figure("frame time p95 (10k units, 1k updates/s, pan+zoom)", round(o95, 2), "ms", "<= 16.7", round(n95, 2),
               round(n95 / o95, 2)),
        figure("frame time p95, ours without base tiles (like the baseline)", round(percentile(bare["times"], 95), 2),
               "ms", "<= 16.7", round(n95, 2), round(n95 / percentile(bare["times"], 95), 2)),
        figure("frame time p50, ours without base tiles", round(percentile(bare["times"], 50), 2), "ms", None,
               round(n50, 2), round(n50 / percentile(bare["times"], 50), 2)),
        figure("memory growth, map with 10k objects", round(ours["rss"], 1), "MiB", None, round(naive["rss"], 1),
               round(naive["rss"] / ours["rss"], 2) if ours["rss"] > 0 else None),
        figure("tile cache hit rate, first pan", round(first, 3), "ratio"),
        figure("tile cache hit rate, repeated pan", round(second, 3), "ratio", ">= 0.99"),
        figure("tile fetches over both pans (each tile once)", fetches, "requests"),
    ]
    write_result("map", figures, notes=(
        f"{OBJECTS} units, {UPDATES_PER_S} updates/s through ClientStore.apply_message, {FRAMES} frames of {W}x{H} "
        "painted offscreen into a QImage (frame = updates + paint). Baseline = one QGraphicsEllipseItem per object, "
        "no clustering, no tiles (ratio = baseline / ours, > 1 means ours is faster/smaller). Memory = RSS growth "
        "while building each map (ours first). Hit rate counts provider lookups of the view's tiles."))


if __name__ == "__main__":
    main()
