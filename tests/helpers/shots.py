"""Where a test saves the screenshot it takes: docs/ when CC_SAVE_DOCS=1 (refreshing the README's pictures
on purpose), else a temp folder, so a test run never changes tracked files."""
import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def shot_path(name: str) -> Path:
    folder = DOCS if os.environ.get("CC_SAVE_DOCS") else Path(tempfile.gettempdir()) / "cc-test-shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
