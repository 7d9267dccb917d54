"""The control room's colours: the four Chinese warning colours, camera health and incident grades."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

# GB/T 35965 red / orange / yellow / blue, tuned to stay readable on a near-black background.
WARNING_COLOURS: dict[str, str] = {
    "red": "#e5322d",
    "orange": "#f28c1b",
    "yellow": "#f5d21f",
    "blue": "#2f7fe0",
}
UNKNOWN_COLOUR = "#8a939c"
WARNING_ORDER = ("red", "orange", "yellow", "blue")

CAMERA_STATE_COLOURS: dict[str, str] = {
    "live": "#2ecc71",
    "connecting": "#f5d21f",
    "lost": "#e5322d",
    "idle": "#8a939c",
}

# incident grade Ⅰ (most serious) … Ⅳ share the warning colours
GRADE_COLOURS: dict[int, str] = {1: "#e5322d", 2: "#f28c1b", 3: "#f5d21f", 4: "#2f7fe0"}
GRADE_NUMERALS: dict[int, str] = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}

_CTX = "Colours"


def warning_colour(colour: str) -> QColor:
    return QColor(WARNING_COLOURS.get(colour, UNKNOWN_COLOUR))


def text_on(colour: str) -> QColor:
    """Black on the light warning colours, white on the dark ones (legible swatch labels)."""
    return QColor("#111111") if colour in ("yellow", "orange") else QColor("#ffffff")


def warning_name(colour: str) -> str:
    """The translated name of a warning colour ("red" → 红色)."""
    names = {
        "red": QCoreApplication.translate("Colours", "Red"),
        "orange": QCoreApplication.translate("Colours", "Orange"),
        "yellow": QCoreApplication.translate("Colours", "Yellow"),
        "blue": QCoreApplication.translate("Colours", "Blue"),
    }
    return names.get(colour, colour or QCoreApplication.translate("Colours", "Unknown"))


def camera_state_colour(state: str) -> QColor:
    return QColor(CAMERA_STATE_COLOURS.get(state, UNKNOWN_COLOUR))


def camera_state_name(state: str) -> str:
    names = {
        "live": QCoreApplication.translate("Colours", "Live"),
        "connecting": QCoreApplication.translate("Colours", "Connecting"),
        "lost": QCoreApplication.translate("Colours", "Signal lost"),
        "idle": QCoreApplication.translate("Colours", "Idle"),
    }
    return names.get(state, state)


def grade_colour(grade: int) -> QColor:
    return QColor(GRADE_COLOURS.get(grade, UNKNOWN_COLOUR))


def grade_name(grade: int) -> str:
    """"Grade Ⅱ" → Ⅱ级."""
    return QCoreApplication.translate("Colours", "Grade %1").replace("%1", GRADE_NUMERALS.get(grade, str(grade)))
