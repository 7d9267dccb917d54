"""Guards against PySide6 6.12.0 on Python 3.11, which drops a reference to None on void calls and aborts."""
import subprocess
import sys

import PySide6

# Many void calls, the pattern that aborted within seconds ("none_dealloc") on the broken combination.
_STRESS = r"""
import sys
from PySide6.QtCore import QObject, QCoreApplication, QTimer
app = QCoreApplication([])
obj = QObject()
for i in range(300_000):
    obj.setObjectName("x")     # returns None (void)
    obj.blockSignals(False)
t = QTimer(); t.setSingleShot(True); t.start(0); t.stop()
print("survived", sys.getrefcount(None) > 0)
"""


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2])


def test_installed_pyside_respects_the_pin():
    if sys.version_info < (3, 12):
        assert _version_tuple(PySide6.__version__) < (6, 12), (
            f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]}: 6.12 aborts with none_dealloc here"
        )


def test_void_calls_do_not_abort():
    proc = subprocess.run([sys.executable, "-c", _STRESS], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-500:]}"
    assert "survived True" in proc.stdout
