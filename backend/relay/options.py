"""``cc-backend``'s relay-wide output options, checked at start with clear errors, as relay settings.

--relay-batch-ms MS             read all pulls' pipes together at most this often (latency ≤ MS; CPU, README)
--relay-multicast-range G:PORT  camera k (camera list order) gets G + 2k, its sub stream G + 2k + 1
--relay-multicast-ttl N         hops a multicast datagram may take (1: this LAN segment)
--relay-multicast-iface IF      interface to send multicast on: an IPv4 address or a name such as eth0
--relay-multicast-lease S       a group runs this long after the last renewal (clients renew every S/2)
--relay-direct-rtsp             let RTSP-capable clients of allowed roles play cameras directly (off)
"""
from __future__ import annotations

import argparse
import fcntl
import socket
import struct

from backend.relay import pump as pumps
from backend.relay.multicast import check_iface, parse_group

SIOCGIFADDR = 0x8915


def iface_address(value: str) -> str:
    """"" / an IPv4 address as is, an interface name → its IPv4 address; ValueError naming it otherwise."""
    try:
        return check_iface(value)
    except ValueError:
        pass
    if not value or len(value) > 15 or "/" in value:
        raise ValueError(f"{value!r} is neither an IPv4 address nor an interface name")
    try:
        socket.if_nametoindex(value)
    except OSError:
        raise ValueError(f"no network interface named {value!r} on this host") from None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", value.encode()[:15]))
        except OSError:
            raise ValueError(f"interface {value!r} has no IPv4 address") from None
    return socket.inet_ntoa(packed[20:24])


def _arg(check):
    def convert(text: str):
        try:
            return check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = check.__name__
    return convert


def _batch_ms(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1000:
        raise ValueError(f"expected 0..1000 ms, got {text}")
    return value


def _range(text: str) -> str:
    parse_group(text, "--relay-multicast-range")
    return text


def _ttl(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 255:
        raise ValueError(f"expected an integer 0..255, got {text!r}")
    return int(text)


def _lease(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 3600:
        raise ValueError(f"expected 1..3600 s, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("camera relay outputs (backend/relay/README.md)")
    g.add_argument("--relay-batch-ms", type=_arg(_batch_ms), default=None, metavar="MS",
                   help="read the pulls' pipes together at most this often under load "
                        f"(default {pumps.BATCH_MS:g})")
    g.add_argument("--relay-multicast-range", type=_arg(_range), default=None, metavar="GROUP:PORT",
                   help="UDP multicast groups from here, 2 per camera in list order (e.g. 239.255.1.0:5004)")
    g.add_argument("--relay-multicast-ttl", type=_arg(_ttl), default=None, metavar="N",
                   help="multicast hops (default 1: the LAN segment only)")
    g.add_argument("--relay-multicast-iface", type=_arg(iface_address), default=None, metavar="IF",
                   help="send multicast on this interface (IPv4 address or name; default: the route)")
    g.add_argument("--relay-multicast-lease", type=_arg(_lease), default=None, metavar="S",
                   help="seconds a multicast group runs after its last renewal (default 30)")
    g.add_argument("--relay-direct-rtsp", action="store_true",
                   help="hand cameras' own RTSP URLs to RTSP-capable clients of admins and wall operators")


def settings(args: argparse.Namespace) -> dict:
    """The relay settings these options ask for (only those given)."""
    out: dict = {}
    for option, key in (("relay_batch_ms", "batch_ms"), ("relay_multicast_range", "multicast_range"),
                        ("relay_multicast_ttl", "multicast_ttl"), ("relay_multicast_iface", "multicast_iface"),
                        ("relay_multicast_lease", "multicast_lease_s")):
        if getattr(args, option, None) is not None:
            out[key] = getattr(args, option)
    if getattr(args, "relay_direct_rtsp", False):
        out["direct_rtsp"] = True
    return out
