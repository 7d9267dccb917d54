"""Township (街道/镇) names by their division code, for showing people names instead of codes."""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DIVISIONS_FILE = (Path(__file__).resolve().parent.parent / "resources" / "gis"
                  / "yongkang_330784_streets_villages_from_china-division.json")


@lru_cache(maxsize=1)
def township_names(path: str = str(DIVISIONS_FILE)) -> dict[str, str]:
    """{code: name} of the streets and towns in the division file (NBS 2023 codes); {} if unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {str(s["code"]): str(s["name"]) for s in data.get("streets", []) if s.get("code") and s.get("name")}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("township names not available (%s): codes are shown instead", exc)
        return {}


def township_name(code: str) -> str:
    """The township's name, or the code itself when it is not known."""
    return township_names().get(code, code)
