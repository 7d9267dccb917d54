"""VideoTile under a real X server: live frames reach the window, NO SIGNAL when the stream goes, back by itself."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication, QImage

from tests.widgets.conftest import XVFB
from widgets.video_tile import VideoTile

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not XVFB, reason="needs a real X server and libvlc: run under "
                       "`xvfb-run -a -s \"-screen 0 1920x1080x24\"` with CC_TEST_XVFB=1 (make test-video)"),
]


def grab(widget) -> np.ndarray:
    """What the X server shows where the widget is (libvlc's own window included), as an HxWx3 array."""
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    pixmap = QGuiApplication.primaryScreen().grabWindow(0, top_left.x(), top_left.y(), widget.width(), widget.height())
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    ptr = image.constBits()
    rows = np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes()).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


@pytest.fixture
def tile(qtbot):
    tile = VideoTile()
    tile.resize(480, 300)
    tile.move(40, 40)
    tile.show()
    qtbot.waitExposed(tile)
    tile.set_camera("cam-test", "测试摄像机")
    tile.set_watermark("王小明")
    yield tile
    tile.close_player()
    tile.close()
    tile.deleteLater()


class _Source:
    """One interface over both sources: url, stop() (the camera goes away), start() (it comes back)."""

    def __init__(self, url, stop, start):
        self.url, self.stop, self.start = url, stop, start


@pytest.fixture(params=["rtsp-relay", "http-ts"])
def source(request):
    if request.param == "rtsp-relay":  # the real chain: demo RTSP camera → camera relay → tile
        chain = request.getfixturevalue("relay_chain")
        return _Source(chain.url, chain.stop_camera, chain.start_camera)
    live = request.getfixturevalue("live_ts")  # a plain HTTP-TS source: the tile alone, no relay in between
    return _Source(live.url, live.stop, live.start)


def test_live_stream_shows_moving_pictures_and_recovers_by_itself(qtbot, tile, source, tmp_path):
    live_ts = source
    tile.play(live_ts.url)
    qtbot.waitUntil(lambda: tile.state == "playing", timeout=30_000)
    qtbot.waitUntil(lambda: tile.player.decoded_frames() > 10, timeout=30_000)
    # Decoded is not yet shown: under load libvlc's display can lag its decoder by seconds (a CI run grabbed
    # a black window after 10 decoded frames), so wait (at most 30 s) for the test pattern to be on screen.
    try:
        qtbot.waitUntil(lambda: _has_test_pattern_colours(grab(tile.surface)), timeout=30_000)
    except qtbot.TimeoutError:
        save(grab(tile.surface), tmp_path / "playing.png")
        pytest.fail(f"no green/blue bars of the test pattern on screen: no video reached the window ({tmp_path})")
    first = grab(tile.surface)
    save(first, tmp_path / "playing.png")
    assert first.std() > 20, "the picture is uniform: no video reached the window"
    # The picture must change over time. Under load the display may lag the decoder, so keep grabbing
    # (at most 30 s) until a grab differs from the first, rather than judging one grab after N frames.
    def changed() -> bool:
        return np.abs(first.astype(int) - grab(tile.surface).astype(int)).mean() > 1

    try:
        qtbot.waitUntil(changed, timeout=30_000)
    except qtbot.TimeoutError:
        pytest.fail("the picture does not change over time")

    live_ts.stop()  # the camera (or relay) goes away
    qtbot.waitUntil(lambda: tile.state == "no_signal", timeout=15_000)
    # the last frame must not stay frozen on screen: the picture goes, NO SIGNAL is painted in its place
    qtbot.waitUntil(lambda: _shows_no_signal(grab(tile.surface)), timeout=10_000)
    save(grab(tile.surface), tmp_path / "no_signal.png")

    live_ts.start()  # …and comes back: the tile must pick it up without being told
    qtbot.waitUntil(lambda: tile.state == "playing", timeout=60_000)
    qtbot.waitUntil(lambda: _has_test_pattern_colours(grab(tile.surface)), timeout=30_000)
    assert tile.player.reconnects >= 1


def test_a_url_nobody_serves_is_no_signal_and_keeps_retrying(qtbot, tile):
    tile.play("http://127.0.0.1:9/cam/nothing.ts")
    qtbot.waitUntil(lambda: tile.state == "no_signal", timeout=15_000)
    qtbot.waitUntil(lambda: tile.player.reconnects >= 2, timeout=15_000)
    assert tile.state in ("no_signal", "connecting")
    tile.stop()
    assert tile.state == "idle"


def _shows_no_signal(image: np.ndarray) -> bool:
    """NO SIGNAL is red (#ff4136) text on black, and no picture of the test pattern is left."""
    r, g, b = image[..., 0].astype(int), image[..., 1].astype(int), image[..., 2].astype(int)
    red = int(((r > 200) & (g < 110) & (b < 110)).sum())
    black = ((r < 20) & (g < 20) & (b < 20)).mean()
    return red > 50 and black > 0.8 and not _has_test_pattern_colours(image)


def _has_test_pattern_colours(image: np.ndarray) -> bool:
    """ffmpeg's testsrc2 has saturated green and blue bars; nothing the tile paints itself has them."""
    r, g, b = image[..., 0].astype(int), image[..., 1].astype(int), image[..., 2].astype(int)
    green = ((g > 150) & (r < 100) & (b < 100)).mean()
    blue = ((b > 150) & (r < 100) & (g < 100)).mean()
    return green > 0.01 and blue > 0.01


def save(image: np.ndarray, path) -> None:
    h, w, _ = image.shape
    QImage(image.tobytes(), w, h, w * 3, QImage.Format.Format_RGB888).save(str(path))


def test_the_picture_on_screen_has_an_even_width_whatever_the_tile_size(qtbot, tile, live_ts):
    """libvlc fits the picture to the window and scales it with swscale, whose path for an odd output
    width costs ~3x the CPU: the tile sizes its surface so libvlc's own arithmetic gives an even width."""
    tile.play(live_ts.url)
    qtbot.waitUntil(lambda: tile.state == "playing", timeout=30_000)
    vw, vh, sar_num, sar_den = tile.player.video_geometry()
    odd = 0
    for height in range(300, 312):  # 640x360 height-bound in these: natural widths floor(16h/9), some odd
        tile.resize(701, height)
        qtbot.waitUntil(lambda h=height: tile.height() == h, timeout=5_000)
        surface = tile.surface
        fit = vw * sar_num * surface.height() // vh // sar_den
        natural = vw * sar_num * (height - tile.layout().contentsMargins().top() * 2
                                  - tile._strip.sizeHint().height()) // vh // sar_den
        odd += natural % 2
        assert surface.width() % 2 == 0
        assert fit > surface.width() or fit % 2 == 0, (height, surface.size(), fit)
    assert odd, "no tile height here gives an odd width by itself: the test proves nothing"


def test_the_bars_beside_the_picture_stay_black_when_the_tile_changes_shape(qtbot, tile, live_ts, tmp_path):
    """libvlc draws the picture in a window of its own, the picture's size, inside ours; the bars around it
    are our window. A tile that changes shape (a scene switch, a resized wall window) moves the picture: the
    pixels it left behind in what is now a bar must not stay on screen (seen on the wall: a stale, larger
    copy of the first frame peeking out above the live one)."""
    tile.play(live_ts.url)
    qtbot.waitUntil(lambda: tile.state == "playing", timeout=30_000)
    qtbot.waitUntil(lambda: _has_test_pattern_colours(grab(tile.surface)), timeout=30_000)
    tile.resize(400, 640)  # 640x360 in a tall tile: width-bound, bars above and below
    qtbot.waitUntil(lambda: tile.surface.height() > 500, timeout=5_000)
    surface = tile.surface
    vw, vh, sar_num, sar_den = tile.player.video_geometry()
    picture_h = surface.width() * vh * sar_den // (vw * sar_num)
    bar = (surface.height() - picture_h) // 2
    assert bar > 100, (surface.size(), picture_h)

    def bars_black_and_picture_shown() -> bool:
        image = grab(surface)
        top, bottom = image[: bar - 4], image[surface.height() - bar + 4:]
        return _has_test_pattern_colours(image[bar + 4: surface.height() - bar - 4]) and \
            top.max() < 30 and bottom.max() < 30

    try:
        qtbot.waitUntil(bars_black_and_picture_shown, timeout=10_000)
    except qtbot.TimeoutError:
        save(grab(surface), tmp_path / "bars.png")
        pytest.fail(f"the bars beside the picture are not black (what the screen shows: {tmp_path / 'bars.png'})")
