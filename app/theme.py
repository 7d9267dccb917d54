"""The dark control-room theme: Fusion style, a dark palette, large type in an explicit CJK font, and dark.qss."""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

THEME_DIR = Path(__file__).resolve().parent.parent / "resources" / "themes"
# Chosen explicitly: a default "Sans Serif" falls back glyph by glyph and mixes Japanese forms into Chinese.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
                "Microsoft YaHei", "PingFang SC")
BASE_PIXEL_SIZE = 16  # read from 2–3 m in a control room

COLOURS = {
    "window": "#0d1117", "base": "#11161d", "alternate": "#161c24", "panel": "#1a212b",
    "text": "#e6edf3", "muted": "#9aa7b4", "highlight": "#1f6feb", "highlight_text": "#ffffff",
    "button": "#1f2630", "link": "#58a6ff", "disabled": "#5c6773",
}


def cjk_family() -> str:
    """The first installed CJK family of CJK_FAMILIES ("" when none is: Chinese would show as boxes)."""
    installed = set(QFontDatabase.families())
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    log.warning("theme: no CJK font installed (wanted one of %s); Chinese text may show as boxes. "
                "On Debian: apt-get install fonts-noto-cjk", ", ".join(CJK_FAMILIES))
    return ""


def ui_font(pixel_size: int = BASE_PIXEL_SIZE) -> QFont:
    font = QFont()
    family = cjk_family()
    if family:
        font.setFamilies([family, "Noto Sans", "DejaVu Sans"])
    font.setPixelSize(pixel_size)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def dark_palette() -> QPalette:
    c = {k: QColor(v) for k, v in COLOURS.items()}
    pal = QPalette()
    role = QPalette.ColorRole
    for r, colour in ((role.Window, c["window"]), (role.WindowText, c["text"]), (role.Base, c["base"]),
                      (role.AlternateBase, c["alternate"]), (role.ToolTipBase, c["panel"]),
                      (role.ToolTipText, c["text"]), (role.PlaceholderText, c["muted"]), (role.Text, c["text"]),
                      (role.Button, c["button"]), (role.ButtonText, c["text"]), (role.BrightText, QColor("#ff6b6b")),
                      (role.Highlight, c["highlight"]), (role.HighlightedText, c["highlight_text"]),
                      (role.Link, c["link"]), (role.Light, QColor("#2b3440")), (role.Midlight, QColor("#232b35")),
                      (role.Mid, QColor("#1b222b")), (role.Dark, QColor("#0a0d11")), (role.Shadow, QColor("#000000"))):
        pal.setColor(r, colour)
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, c["disabled"])
    return pal


def stylesheet(name: str = "dark") -> str:
    path = THEME_DIR / f"{name}.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.error("theme: cannot read %s: %s; using the palette only", path, exc)
        return ""


def apply_theme(app: QApplication, pixel_size: int = BASE_PIXEL_SIZE) -> None:
    """Dark palette + Fusion + the CJK UI font + dark.qss, for the whole application."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setFont(ui_font(pixel_size))
    app.setStyleSheet(stylesheet("dark"))
