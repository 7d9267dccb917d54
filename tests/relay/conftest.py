"""Relay test fixtures: real clips, a real gst RTSP server, real relay processes (tests/helpers/rtsp.py)."""
from tests.helpers.rtsp import relay_factory, rtsp_clips, rtsp_server  # noqa: F401  (pytest fixtures)
