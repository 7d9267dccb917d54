"""Transports: they move bytes between a device and the event loop and know nothing of their meaning."""
from devices.transport.serial import (
    Heartbeat,
    NotConnected,
    SerialTransport,
    TransportClosed,
    TransportError,
    WriteTimeout,
)

__all__ = ["Heartbeat", "NotConnected", "SerialTransport", "TransportClosed", "TransportError", "WriteTimeout"]
