"""Chinese (zh_CN) translation: choose the language, install the translators, regenerate the .ts/.qm files.

Regenerate after adding strings (``make translations`` runs this)::

    .venv/bin/python -m app.i18n --update     # pyside6-lupdate over app/, widgets/, backend_client/ + lrelease
    .venv/bin/python -m app.i18n --check      # exit 1 if an entry is unfinished or the .qm is stale

then translate the new entries in resources/translations/cc_zh_CN.ts (pyside6-linguist, or any editor:
remove ``type="unfinished"``) and run ``--update`` again to compile.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = ROOT / "resources" / "translations"
TS_FILE = TRANSLATIONS_DIR / "cc_zh_CN.ts"
QM_FILE = TRANSLATIONS_DIR / "cc_zh_CN.qm"
SOURCE_DIRS = ("app", "widgets", "backend_client")  # every package that shows text to the operator
SUPPORTED = ("zh_CN",)


def choose_language(requested: str | None, locale: QLocale | None = None) -> str:
    """"zh_CN" when asked for (zh, zh_CN, zh-Hans…) or, with nothing asked, when the locale is Chinese;
    "" (English, the source language) otherwise. Raises ValueError for a language we do not have."""
    if requested:
        tag = requested.replace("-", "_")
        if tag.lower() in ("en", "en_us", "en_gb", "c", "none"):
            return ""
        if tag.lower().startswith("zh"):
            return "zh_CN"
        raise ValueError(f"--lang: no translation for {requested!r}; available: en, {', '.join(SUPPORTED)}")
    locale = locale or QLocale.system()
    return "zh_CN" if locale.language() == QLocale.Language.Chinese else ""


def install_translators(app: QCoreApplication, lang: str) -> list[QTranslator]:
    """Load our .qm and Qt's own qtbase_<lang>.qm (standard dialogs, shortcuts) into ``app``.
    A missing file is logged, never fatal: the UI then stays English."""
    if not lang:
        return []
    installed = []
    ours = QTranslator(app)
    if ours.load(str(TRANSLATIONS_DIR / f"cc_{lang}.qm")):
        app.installTranslator(ours)
        installed.append(ours)
    else:
        log.error("i18n: cannot load %s; run `python -m app.i18n --update`", TRANSLATIONS_DIR / f"cc_{lang}.qm")
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qtbase = QTranslator(app)
    if qtbase.load(f"qtbase_{lang}", qt_dir):
        app.installTranslator(qtbase)
        installed.append(qtbase)
    else:
        log.warning("i18n: no qtbase_%s.qm in %s; Qt's own dialogs stay English", lang, qt_dir)
    app.setProperty("cc_translators", installed)  # keep them alive as long as the app
    return installed


def _tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease next to this Python, else on PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} or on PATH (pip install pyside6)")
    return found


def source_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in (root / d).rglob("*.py") if "__pycache__" not in p.parts)


def run_lupdate(ts: Path = TS_FILE, root: Path = ROOT) -> None:
    """Add new source strings to ``ts`` (existing translations kept, vanished ones dropped)."""
    files = [str(p.relative_to(root)) for p in source_files(root)]
    subprocess.run([_tool("pyside6-lupdate"), "-silent", "-no-obsolete", "-locations", "relative",
                    "-target-language", "zh_CN", *files, "-ts", str(ts)],
                   cwd=root, check=True, capture_output=True, text=True)


def run_lrelease(ts: Path = TS_FILE, qm: Path = QM_FILE) -> None:
    subprocess.run([_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)],
                   check=True, capture_output=True, text=True)


def unfinished(ts: Path = TS_FILE) -> list[tuple[str, str]]:
    """(context, source) of every entry without a finished, non-empty translation."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            tr = message.find("translation")
            if tr is None or tr.get("type") in ("unfinished", "obsolete", "vanished") or not (
                    tr.text or "".join(n.text or "" for n in tr.iter("numerusform"))).strip():
                out.append((name, message.findtext("source", "")))
    return out


def qm_is_current(ts: Path = TS_FILE, qm: Path = QM_FILE) -> bool:
    """True when compiling ``ts`` now gives exactly the bytes of ``qm``."""
    if not qm.exists():
        return False
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / qm.name
        run_lrelease(ts, fresh)
        return fresh.read_bytes() == qm.read_bytes()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m app.i18n", description="Regenerate or check the zh_CN translation.")
    p.add_argument("--update", action="store_true", help="lupdate the sources into the .ts, then compile the .qm")
    p.add_argument("--compile", action="store_true", help="only compile the .ts into the .qm")
    p.add_argument("--check", action="store_true", help="fail if an entry is unfinished or the .qm is stale")
    args = p.parse_args(argv)
    if args.update:
        run_lupdate()
    if args.update or args.compile:
        run_lrelease()
    todo = unfinished()
    for context, source in todo:
        print(f"{TS_FILE.relative_to(ROOT)}: {context}: untranslated: {source!r}")
    print(f"{len(todo)} untranslated entr{'y' if len(todo) == 1 else 'ies'} in {TS_FILE.relative_to(ROOT)}")
    if args.check:
        if not qm_is_current():
            print(f"{QM_FILE.relative_to(ROOT)} is stale: run python -m app.i18n --compile")
            return 1
        return 1 if todo else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
