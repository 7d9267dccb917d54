"""Read a JSON file of ours (scenes, camera lists), turning every failure into one error naming the file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json(path: str | Path, error: type[Exception]) -> Any:
    """The decoded document; ``error("<path>: cannot read / not UTF-8 text / not valid JSON: …")`` otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise error(f"{path}: not valid JSON: {exc}") from None
