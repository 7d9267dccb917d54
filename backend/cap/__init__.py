"""CAP 1.2 ingest: the pure codec (parse), the ingest into the Core, the watched folder and HTTP POST (inbox)."""
from backend.cap.parse import CapError, CapMessage, parse_cap, to_alert_records

__all__ = ["CapError", "CapMessage", "parse_cap", "to_alert_records"]
