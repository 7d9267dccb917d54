"""UDP multicast output of one camera stream (for many wall PCs on a LAN): MPEG-TS in 7-packet datagrams.

A camera configured with ``"multicast": "239.1.2.3:5004"`` (``"sub_multicast"`` for its sub stream) gets
a sender when a user with a valid token asks for ``/cam/<id>.ts?token=T&transport=udp``; the answer is a
307 to ``udp://@239.1.2.3:5004`` (libvlc plays that directly). Each request renews a lease
(``multicast_lease_s``); when the lease ends the sender stops and the channel's normal linger applies. The
sender is a viewer of the channel like an HTTP viewer, so the pull, the GOP cache and health are shared.

Settings: ``multicast_ttl`` (default 1: the LAN segment only, never routed), ``multicast_iface`` (the IPv4
address of the interface to send on; "" = the system's route for the group). Receivers must join on the
same interface (libvlc: ``--miface=<ifname>``).
"""
from __future__ import annotations

import ipaddress
import socket

from backend.relay.ts import PACKET

DATAGRAM = 7 * PACKET  # 1316 bytes: the usual MPEG-TS over UDP payload, under any LAN MTU


def parse_group(value, where: str = "multicast") -> tuple[str, int]:
    """``"239.1.2.3:5004"`` → ("239.1.2.3", 5004); ValueError naming ``where`` when it is not one."""
    if not isinstance(value, str) or value.count(":") != 1:
        raise ValueError(f"{where}: expected \"GROUP:PORT\" like \"239.1.2.3:5004\", got {value!r}")
    host, _, port_s = value.partition(":")
    try:
        addr = ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"{where}: {host!r} is not an IPv4 address") from None
    if not addr.is_multicast:
        raise ValueError(f"{where}: {host} is not a multicast group (224.0.0.0/4)")
    if not port_s.isdigit() or not 1 <= int(port_s) <= 65535:
        raise ValueError(f"{where}: port {port_s!r} is not 1..65535")
    return str(addr), int(port_s)


def allocate(range_spec: str, index: int, sub: bool) -> tuple[str, int]:
    """The group of camera ``index`` (0-based, config order) in a relay-wide range: base + 2*index (+1 sub)."""
    group, port = parse_group(range_spec, "multicast_range")
    addr = ipaddress.IPv4Address(group) + 2 * index + (1 if sub else 0)
    if not addr.is_multicast:
        raise ValueError(f"multicast_range: camera {index + 1} falls outside 224.0.0.0/4 ({addr})")
    return str(addr), port


def camera_options(cam: dict, where: str) -> dict:
    """A camera config's optional relay options: its groups ("multicast", "sub_multicast") and
    "direct_rtsp" (true/false; absent or null: the relay-wide setting). ValueError naming the field."""
    out = {"multicast": None, "sub_multicast": None, "direct_rtsp": None}
    for key in ("multicast", "sub_multicast"):
        if cam.get(key):
            out[key] = parse_group(cam[key], f"{where}.{key}")
    if cam.get("direct_rtsp") is not None:
        if not isinstance(cam["direct_rtsp"], bool):
            raise ValueError(f"{where}.direct_rtsp: expected true, false or null")
        out["direct_rtsp"] = cam["direct_rtsp"]
    return out


OUTPUT_SETTINGS = ("multicast_iface", "multicast_range", "multicast_ttl", "direct_rtsp")


def check_setting(key: str, value) -> None:
    """Validate one of the relay-wide OUTPUT_SETTINGS; ValueError "key: why"."""
    if key == "multicast_iface":
        check_iface(value)
    elif key == "multicast_range":
        if value:
            parse_group(value, "multicast_range")
    elif key == "multicast_ttl":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
            raise ValueError("multicast_ttl: expected an integer 0..255")
    elif key == "direct_rtsp" and not isinstance(value, bool):
        raise ValueError("direct_rtsp: expected true or false")


def check_iface(value) -> str:
    """"" or an IPv4 interface address; ValueError otherwise."""
    if value == "":
        return ""
    try:
        return str(ipaddress.IPv4Address(value))
    except (ValueError, TypeError):
        raise ValueError(f"multicast_iface: expected \"\" or an IPv4 address, got {value!r}") from None


class DatagramWriter:
    """Looks like the asyncio write transport a Viewer expects; sends each chunk as 1316-byte datagrams.

    A datagram the kernel cannot take at once (send buffer full) is dropped, like any UDP loss: the
    group never slows the pull or other viewers.
    """

    def __init__(self, group: str, port: int, ttl: int = 1, iface: str = ""):
        self.group, self.port = group, port
        self.dropped = 0
        self._closing = False
        self._rest = b""  # a packet's first bytes, until the rest of it comes
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, int(ttl))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)  # receivers on this host too
            if iface:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            sock.connect((group, port))
        except OSError:
            sock.close()
            raise
        self._sock = sock

    @property
    def url(self) -> str:
        return f"udp://@{self.group}:{self.port}"

    def write(self, data: bytes) -> int:
        """Send ``data`` as datagrams of whole 188-byte packets (the channel's chunks may end inside one:
        its bytes wait for the next chunk). Takes it all (what the kernel refuses is lost, like any UDP)."""
        if self._closing:
            return len(data)
        taken = len(data)
        if self._rest:
            data = self._rest + data
        whole = len(data) - len(data) % PACKET
        self._rest = data[whole:]
        view = memoryview(data)
        send = self._sock.send
        for i in range(0, whole, DATAGRAM):
            try:
                send(view[i:min(i + DATAGRAM, whole)])
            except (BlockingIOError, InterruptedError):
                self.dropped += 1
            except OSError:  # no route (interface gone): counted as loss; the lease will end it
                self.dropped += 1
        return taken

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._sock.close()

    abort = close


class Leases:
    """The running multicast senders, one per (camera, stream), each kept alive by requests (a lease)."""

    def __init__(self):
        # (camera, stream) → (viewer, writer, [lease end], users who asked for it)
        self._out: dict[tuple[str, str], tuple[object, DatagramWriter, list, set]] = {}

    def active(self, cam_id: str, stream: str) -> str:
        entry = self._out.get((cam_id, stream))
        return entry[1].url if entry and not entry[0].done.is_set() else ""

    def renew(self, channel, user: str, settings, now: float, make_viewer) -> tuple[DatagramWriter, bool]:
        """Start the group's sender (a viewer of ``channel``) or extend its lease; returns its writer, and
        whether ``user`` is new to this sender (the first request of each user is recorded, not every renewal)."""
        key = (channel.cam_id, channel.stream)
        entry = self._out.get(key)
        if entry is not None and entry[0].done.is_set():
            entry = None
        if entry is None:
            group, port = channel.multicast
            writer = DatagramWriter(group, port, int(settings.multicast_ttl), settings.multicast_iface)
            viewer = make_viewer(writer)
            viewer.attach_writer(writer.write)
            entry = self._out[key] = (viewer, writer, [0.0], set())
            channel.add_viewer(viewer)
        entry[2][0] = now + float(settings.multicast_lease_s)
        new = user not in entry[3]
        entry[3].add(user)
        return entry[1], new

    def expire(self, channels: dict, now: float) -> None:
        """End senders whose lease ran out (or whose channel closed them)."""
        for key, (viewer, writer, expiry, _users) in list(self._out.items()):
            channel = channels.get(key[0], {}).get(key[1])
            if viewer.done.is_set() or channel is None or now >= expiry[0]:
                del self._out[key]
                if channel is not None:  # first: the pump's thread stops writing to it
                    channel.remove_viewer(viewer, viewer.reason or "lease_expired")
                writer.close()
