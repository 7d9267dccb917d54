"""MPEG-TS scanning with no I/O: packet alignment, PAT/PMT, video PES starts and keyframes.

The relay forwards bytes untouched; it only needs to know where each video frame starts, which of those
are keyframes (for the GOP cache), the latest PAT/PMT packets (sent first to a new viewer) and the codec.
Only the packets that start a payload unit are looked at beyond their header byte.
"""
from __future__ import annotations

import re
from typing import NamedTuple

PACKET = 188
SYNC = 0x47
STREAM_TYPES = {0x1B: "h264", 0x24: "hevc", 0x02: "mpeg2", 0x10: "mpeg4", 0x01: "mpeg1", 0x06: "private"}
_H264_KEY = {5, 7}  # IDR slice, SPS
_HEVC_KEY = {16, 17, 18, 19, 20, 21, 32, 33}  # IRAP slices, VPS, SPS


_PUSI = re.compile(rb"[\x40-\x7f\xc0-\xff]")  # a header's second byte with payload_unit_start set


def tables_before(chunk: bytes, end: int, pat: bytes, pmt: bytes, pmt_pid: int | None) -> tuple[bytes, bytes]:
    """(PAT, PMT) as last sent before packet ``end`` of ``chunk`` (whole packets; ``pat``, ``pmt``: the last ones
    before ``chunk``, or b""), for a stream cut at ``end`` to start with: the same packets however reads cut the
    stream, and continuous (the tables' continuity counters) with the next ones sent."""
    for match in _PUSI.finditer(chunk[1:end * PACKET:PACKET]):
        at = match.start() * PACKET
        pid = ((chunk[at + 1] & 0x1F) << 8) | chunk[at + 2]
        if pid == 0:
            pat = chunk[at:at + PACKET]
        elif pid == pmt_pid:
            pmt = chunk[at:at + PACKET]
    return pat, pmt


def _table(test) -> bytes:
    """A ``bytes.translate`` table: 1 for the byte values that pass ``test``, else 0."""
    return bytes(1 if test(b) else 0 for b in range(256))


_HAS_AF = _table(lambda b: b & 0x20)  # header byte 3: an adaptation field is present
_NONZERO = _table(lambda b: b)  # byte 4: its length
_RAI = _table(lambda b: b & 0x40)  # byte 5: random_access_indicator


class FrameStart(NamedTuple):  # a tuple: made ~25 times a second per camera, on the relay's hot path
    """A video PES starts in packet ``index`` of the aligned chunk; ``key``: it is a keyframe."""

    index: int
    key: bool


def _payload_offset(pkt: bytes) -> int:
    afc = (pkt[3] >> 4) & 0x3
    if not afc & 0x1:
        return PACKET  # no payload
    return 4 + (1 + pkt[4] if afc & 0x2 else 0)


def _random_access(pkt: bytes) -> bool:
    return bool((pkt[3] >> 4) & 0x2 and pkt[4] > 0 and pkt[5] & 0x40)


def _nal_key(es: bytes, codec: str) -> bool:
    """Whether the first bytes of a frame hold an IDR/IRAP slice or a parameter set."""
    i = es.find(b"\x00\x00\x01")
    while 0 <= i < len(es) - 3:
        b = es[i + 3]
        if codec == "h264" and (b & 0x1F) in _H264_KEY:
            return True
        if codec == "hevc" and ((b >> 1) & 0x3F) in _HEVC_KEY:
            return True
        i = es.find(b"\x00\x00\x01", i + 3)
    return False


def _section(pkt: bytes) -> bytes:
    """The PSI section starting in this packet (after the pointer field), or b""."""
    off = _payload_offset(pkt)
    if off >= PACKET:
        return b""
    off += 1 + pkt[off]
    return pkt[off:] if off < PACKET else b""


class TsScanner:
    """Feed it raw bytes from a muxer; it returns whole packets plus the frame starts in them.

    Attributes:
        pat, pmt: the PAT and PMT packets (188 bytes each) or b"": the latest until the video PID is known,
            then those (see ``_scan_video``).
        video_pid: the first video stream's PID, or None until a PMT was seen.
        codec: "h264", "hevc", … from the PMT stream type ("" until known).
        resyncs: how often sync was lost and found again (bytes dropped).
    """

    def __init__(self) -> None:
        self.pat = b""
        self.pmt = b""
        self.pmt_pid: int | None = None
        self.video_pid: int | None = None
        self.codec = ""
        self.resyncs = 0
        self._rest = b""
        self._video_tables: tuple[bytes, bytes] | None = None  # header bytes 1, 2 of the video PID's PES starts
        self._marks_keys = False  # the muxer sets random_access_indicator on keyframes (ffmpeg does)
        self._key_open = False  # the last frame start scanned was a keyframe's (it ends at the next one)

    @property
    def rest(self) -> bytes:
        """The bytes after the last whole packet returned (they start a packet): the next feed's first."""
        return self._rest

    def reset(self) -> None:
        """Forget everything (a new muxer process starts a new stream)."""
        self.__init__()

    def feed(self, data: bytes) -> tuple[bytes, list[FrameStart]]:
        """(whole aligned packets, frame starts by packet index in them). Keeps a partial packet back."""
        chunk = self._align(data)
        return chunk, self._scan(chunk) if chunk else []

    def feed_marks(self, data: bytes) -> tuple[bytes, int, list[FrameStart]]:
        """Like ``feed``, for the relay's once-a-second scan: (whole aligned packets, how many frames start in
        them, the frame starts that cutting a GOP needs): every keyframe and the frame after each (where the
        keyframe ends, in this chunk or the next). With a muxer that marks its keyframes this makes no Python
        object per other frame: ~25 fewer a second per camera. (Until the PMT is known, all frame starts.)
        """
        chunk = self._align(data)
        if not chunk:
            return b"", 0, []
        if self._video_tables is None:
            frames = self._scan(chunk)
            return chunk, len(frames), frames
        return (chunk, *self._scan_video(chunk, marks_only=True))

    def _align(self, data: bytes) -> bytes:
        """The whole packets of what was kept back plus ``data``, from the first sync; keeps a partial packet
        (or what follows a lost sync) back for the next call."""
        buf = self._rest + data if self._rest else data
        start = 0
        if buf and buf[0] != SYNC:
            start = self._find_sync(buf)
            self.resyncs += 1
        usable = (len(buf) - start) // PACKET * PACKET
        chunk = buf[start:start + usable]
        self._rest = buf[start + usable:]
        if not chunk:
            return b""
        if chunk[::PACKET].count(SYNC) != usable // PACKET:  # sync lost inside the chunk: keep the good part
            bad = next(i for i in range(0, usable, PACKET) if chunk[i] != SYNC)
            self._rest = chunk[bad:] + self._rest
            self._rest = self._rest[self._find_sync(self._rest):] if self._rest else b""
            self.resyncs += 1
            chunk = chunk[:bad]
        return chunk

    @staticmethod
    def _find_sync(buf: bytes) -> int:
        for i in range(len(buf)):
            if buf[i] == SYNC and (i + PACKET >= len(buf) or buf[i + PACKET] == SYNC):
                return i
        return len(buf)

    def _scan(self, chunk: bytes) -> list[FrameStart]:
        if self._video_tables is not None:
            return self._scan_video(chunk)
        frames = []
        # Python looks only at packets that start a payload unit (a frame, a PAT/PMT): the regex finds their
        # header bytes in a C-level strided slice of the chunk
        for match in _PUSI.finditer(chunk[1::PACKET]):
            index = match.start()
            at = index * PACKET
            pid = ((chunk[at + 1] & 0x1F) << 8) | chunk[at + 2]
            if pid == self.video_pid:
                pkt = chunk[at:at + PACKET]
                if _random_access(pkt):
                    self._marks_keys = True
                frames.append(FrameStart(index, self._is_key(pkt)))
            elif pid == 0 or pid == self.pmt_pid:  # sent again before each keyframe: parsed when changed
                pkt = chunk[at:at + PACKET]
                if pid == 0:
                    if pkt[4:] == self.pat[4:]:
                        self.pat = pkt
                    else:
                        self._on_pat(pkt)
                elif pkt[4:] == self.pmt[4:]:
                    self.pmt = pkt
                else:
                    self._on_pmt(pkt)
        if frames:
            self._key_open = frames[-1].key
        return frames

    def _scan_video(self, chunk: bytes, marks_only: bool = False):
        """Once the PMT is known: the video PID's PES starts only (the relay's hot path, ~25 a second per
        camera), found with no Python per packet. Each header byte that matters is taken from every packet at
        once (a strided slice) and mapped to 0/1 by a table; the products of those columns, as big integers,
        mark the packets that start a frame and those that start one with random_access_indicator set.

        A pull's PAT and PMT do not change (one muxer process, one program): the first ones are kept. A
        keyframe marked random-access tells that the muxer marks them all (ffmpeg does); from then on a frame
        without the mark is not one, and its NAL units are not read.

        Returns the frame starts; with ``marks_only`` (``feed_marks``) ``(count, marks)`` instead."""
        count, top, low = len(chunk) // PACKET, *self._video_tables
        column = int.from_bytes
        starts = column(chunk[1::PACKET].translate(top), "big") & column(chunk[2::PACKET].translate(low), "big")
        if not starts:
            return (0, []) if marks_only else []
        marked = starts & column(chunk[3::PACKET].translate(_HAS_AF), "big") \
            & column(chunk[4::PACKET].translate(_NONZERO), "big") & column(chunk[5::PACKET].translate(_RAI), "big")
        if marked:
            self._marks_keys = True
        keys = marked.to_bytes(count, "big")
        is_start = starts.to_bytes(count, "big")
        if marks_only and self._marks_keys:  # only the frame starts around keyframes become objects
            first, marks = is_start.find(1), []
            index = keys.find(1)
            if self._key_open and (first < index or index < 0):  # ends the keyframe of the last chunk
                marks.append(FrameStart(first, False))
            while index >= 0:
                marks.append(FrameStart(index, True))
                after = is_start.find(1, index + 1)
                index = keys.find(1, index + 1)
                if after >= 0 and (after < index or index < 0):
                    marks.append(FrameStart(after, False))
            self._key_open = marks[-1].key if marks and marks[-1].index == is_start.rfind(1) else False
            return starts.bit_count(), marks
        frames, index = [], is_start.find(1)
        while index >= 0:
            at = index * PACKET
            key = keys[index] == 1 or not self._marks_keys and self._is_key(chunk[at:at + PACKET])
            frames.append(FrameStart(index, key))
            index = is_start.find(1, index + 1)
        self._key_open = frames[-1].key  # starts is not 0: there is one
        return (len(frames), frames) if marks_only else frames

    def _on_pat(self, pkt: bytes) -> None:
        sec = _section(pkt)
        if len(sec) < 12 or sec[0] != 0x00:
            return
        self.pat = pkt
        end = min(3 + (((sec[1] & 0x0F) << 8) | sec[2]) - 4, len(sec))
        for i in range(8, end - 3, 4):
            program = (sec[i] << 8) | sec[i + 1]
            if program != 0:
                self.pmt_pid = ((sec[i + 2] & 0x1F) << 8) | sec[i + 3]
                return

    def _on_pmt(self, pkt: bytes) -> None:
        sec = _section(pkt)
        if len(sec) < 16 or sec[0] != 0x02:
            return
        self.pmt = pkt
        end = min(3 + (((sec[1] & 0x0F) << 8) | sec[2]) - 4, len(sec))
        i = 12 + (((sec[10] & 0x0F) << 8) | sec[11])
        while i + 5 <= end:
            stype, pid = sec[i], ((sec[i + 1] & 0x1F) << 8) | sec[i + 2]
            if stype in (0x1B, 0x24, 0x02, 0x10, 0x01):
                self.video_pid, self.codec = pid, STREAM_TYPES[stype]
                # byte 1 of its PES starts' headers: payload_unit_start and the PID's top bits (error and
                # priority bits either way); byte 2: the PID's low byte
                top = 0x40 | pid >> 8
                self._video_tables = (_table(lambda b: b & 0x5F == top), _table(lambda b: b == pid & 0xFF))
                return
            i += 5 + (((sec[i + 3] & 0x0F) << 8) | sec[i + 4])

    def _is_key(self, pkt: bytes) -> bool:
        if _random_access(pkt):
            return True
        off = _payload_offset(pkt)
        if off + 9 > PACKET or pkt[off:off + 3] != b"\x00\x00\x01":
            return False
        es = pkt[off + 9 + pkt[off + 8]:]
        return _nal_key(es, self.codec) if self.codec in ("h264", "hevc") else self.codec == "mpeg2" and \
            b"\x00\x00\x01\xb3" in es
