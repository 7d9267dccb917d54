"""Conference cascades (two- and three-level meetings): a publisher of a lower Janus (township) appears in a
room of an upper Janus (city) through the videoroom's remote publishers (Janus 1.1: add_remote_publisher on
the upper instance, publish_remotely on the lower; RTP flows between the two, subscribers in the upper room
see an ordinary publisher).

    cascade = Cascade(city_videoroom, township_videoroom, upper_admin_key=..., lower_admin_key=...)
    link = await cascade.link("TS-1", "video-jnjd", "CITY-1", lower_secret=..., upper_secret=...)
    ...                                           # city participants subscribe to link.upper_id
    await cascade.unlink(link)

A three-level meeting chains two cascades (county → city, city → province); a link's upper publisher can be
linked again from the upper instance. Handles are J1's janus_api.Handle objects (videoroom plugin).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

PROBE_DISPLAY = "cc-cascade-probe"
STREAM_FIELDS = ("type", "mindex", "mid", "codec", "description", "disabled", "stereo", "fec", "dtx",
                 "simulcast", "svc")


class CascadeError(RuntimeError):
    """A link that cannot be made, naming both rooms and the publisher."""


@dataclass(frozen=True)
class CascadeLink:
    """One publisher mirrored upwards. Attributes: lower_room, publisher, upper_room, upper_id (its id in the
    upper room), remote_id (the lower instance's name for this remotization), port, display."""

    lower_room: str
    publisher: str
    upper_room: str
    upper_id: str
    remote_id: str
    port: int
    display: str


def remote_streams(streams: list[dict]) -> list[dict]:
    """A publisher's streams (as a room's ``publishers`` list shows them) in add_remote_publisher's form."""
    out = []
    for s in streams:
        item = {k: s[k] for k in STREAM_FIELDS if k in s}
        for name in ("h264", "vp9"):  # the publishers list spells it h264_profile, the request h264-profile
            value = s.get(f"{name}_profile") or s.get(f"{name}-profile")
            if value:
                item[f"{name}-profile"] = value
        out.append(item)
    return out


class Cascade:
    """Links publishers of a lower videoroom into an upper one. Attributes: links ({(lower_room, publisher,
    upper_room): CascadeLink})."""

    def __init__(self, upper, lower, *, upper_admin_key: str = "", lower_admin_key: str = "",
                 upper_host: str = "127.0.0.1"):
        self.upper, self.lower = upper, lower
        self.upper_key, self.lower_key = upper_admin_key, lower_admin_key
        self.upper_host = upper_host
        self.links: dict[tuple[str, str, str], CascadeLink] = {}

    async def publisher_info(self, room: str, publisher: str, pin: str = "") -> dict:
        """{"display", "streams"} of a lower publisher, read from the room's publisher list by a short-lived
        probe (Janus 1.1.2's listparticipants does not list streams)."""
        handle = await self.lower.session.attach("janus.plugin.videoroom", opaque_id=PROBE_DISPLAY)
        try:
            body = {"request": "join", "ptype": "publisher", "room": room, "display": PROBE_DISPLAY}
            if pin:
                body["pin"] = pin
            data, _ = await handle.message(body)
            for p in data.get("publishers", []):
                if str(p.get("id")) == str(publisher):
                    return {"display": p.get("display") or str(publisher), "streams": p.get("streams") or []}
            raise CascadeError(f"{room}/{publisher}: not publishing on the lower instance")
        finally:
            try:
                await handle.request({"request": "leave"})
            except Exception:
                pass
            await handle.detach()

    async def link(self, lower_room: str, publisher: str, upper_room: str, *, lower_secret: str = "",
                   upper_secret: str = "", lower_pin: str = "", upper_id: str = "") -> CascadeLink:
        key = (str(lower_room), str(publisher), str(upper_room))
        if key in self.links:
            return self.links[key]
        info = await self.publisher_info(key[0], key[1], lower_pin)
        streams = remote_streams(info["streams"])
        if not streams:
            raise CascadeError(f"{lower_room}/{publisher}: publishes no streams")
        upper_id = upper_id or f"{lower_room}.{publisher}"[:120]
        add = {"request": "add_remote_publisher", "room": key[2], "id": upper_id, "display": info["display"],
               "iface": self.upper_host, "port": 0, "streams": streams}
        if upper_secret:
            add["secret"] = upper_secret
        if self.upper_key:
            add["admin_key"] = self.upper_key
        added = await self.upper.request(add)
        remote_id = f"{upper_room}.{upper_id}"[:120]
        pub = {"request": "publish_remotely", "room": key[0], "publisher_id": key[1], "remote_id": remote_id,
               "host": added.get("ip") or self.upper_host, "port": int(added["port"])}
        if added.get("rtcp_port"):
            pub["rtcp_port"] = int(added["rtcp_port"])
        if lower_secret:
            pub["secret"] = lower_secret
        if self.lower_key:
            pub["admin_key"] = self.lower_key
        try:
            await self.lower.request(pub)
        except Exception:
            await self._remove_remote(key[2], str(added.get("id", upper_id)), upper_secret)
            raise
        link = CascadeLink(key[0], key[1], key[2], str(added.get("id", upper_id)), remote_id,
                           int(added["port"]), info["display"])
        self.links[key] = link
        log.info("cascade: %s/%s → %s as %s (udp %d)", *key, link.upper_id, link.port)
        return link

    async def unlink(self, link: CascadeLink, *, lower_secret: str = "", upper_secret: str = "") -> None:
        self.links.pop((link.lower_room, link.publisher, link.upper_room), None)
        body = {"request": "unpublish_remotely", "room": link.lower_room, "publisher_id": link.publisher,
                "remote_id": link.remote_id}
        if lower_secret:
            body["secret"] = lower_secret
        if self.lower_key:
            body["admin_key"] = self.lower_key
        try:
            await self.lower.request(body)
        except Exception as exc:  # the publisher may have left: its remotizations went with it
            log.info("cascade: unpublish_remotely %s: %s", link.remote_id, exc)
        await self._remove_remote(link.upper_room, link.upper_id, upper_secret)

    async def _remove_remote(self, room: str, upper_id: str, secret: str) -> None:
        body = {"request": "remove_remote_publisher", "room": room, "id": upper_id}
        if secret:
            body["secret"] = secret
        if self.upper_key:
            body["admin_key"] = self.upper_key
        try:
            await self.upper.request(body)
        except Exception as exc:
            log.info("cascade: remove_remote_publisher %s: %s", upper_id, exc)
