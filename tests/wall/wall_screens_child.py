"""Child process of test_two_screens: open the wall on every screen of $DISPLAY and print where each window went."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.wall_window import open_wall_windows  # noqa: E402
from backend_client.store import ClientStore  # noqa: E402
from tests.app.conftest import Feed, demo_state  # noqa: E402

app = QApplication(sys.argv[:1])
store = ClientStore()
feed = Feed(store)
feed.auth(role="wall_operator")
feed.snapshot(**demo_state())
windows = open_wall_windows(store, ROOT / "layouts", [int(s) for s in sys.argv[1].split(",")])


def report():
    out = [{"screen": w.screen().name() + "#" + str(app.screens().index(w.screen())),
            "screen_rect": list(w.screen().geometry().getRect()), "window_rect": list(w.geometry().getRect()),
            "handle_screen": app.screens().index(w.windowHandle().screen()),
            "visible": w.isVisible(), "fullscreen": w.isFullScreen(), "scene": w.grid.layout_name}
           for w in windows]
    print("RESULT " + json.dumps({"screens": len(app.screens()), "windows": out}), flush=True)
    for w in windows:
        w.close()
    app.quit()


QTimer.singleShot(1500, report)
app.exec()
