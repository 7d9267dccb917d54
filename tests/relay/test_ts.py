"""The relay's pure parts on real bytes: MPEG-TS scanning (muxed by ffmpeg), ffmpeg error reading, redaction."""
import shutil
import subprocess

import pytest

from backend.relay.pull import StderrWatch, ffmpeg_command, redact, split_options
from backend.relay.ts import PACKET, TsScanner, tables_before
from tests.helpers.rtsp import test_clips

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.fixture(scope="module")
def ts_bytes():
    clips = test_clips()
    out = {}
    for name, clip in (("h264", "h264-test.h264"), ("hevc", "h265-test.h265")):
        proc = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "+genpts", "-r", "25",
                               "-i", str(clips / clip), "-c", "copy", "-f", "mpegts", "pipe:1"],
                              capture_output=True, check=True, timeout=60)
        out[name] = proc.stdout
    return out


def scan(data: bytes, step: int):
    s = TsScanner()
    frames, total = [], 0
    for i in range(0, len(data), step):
        chunk, found = s.feed(data[i:i + step])
        frames += [(total // PACKET + f.index, f.key) for f in found]
        total += len(chunk)
    return s, frames, total


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_the_tables_before_a_packet_are_the_last_ones_sent_before_it(ts_bytes, codec):
    data = ts_bytes[codec]
    s, frames, _total = scan(data, len(data))
    pid = [((data[i + 1] & 0x1F) << 8) | data[i + 2] if data[i + 1] & 0x40 else None
           for i in range(0, len(data), PACKET)]
    keys = [i for i, key in frames if key]
    assert len(keys) >= 2 and pid.count(0) >= 2
    for key in keys[:3]:
        pat = max(i for i in range(key) if pid[i] == 0)
        pmt = max(i for i in range(key) if pid[i] == s.pmt_pid)
        want = (data[pat * PACKET:(pat + 1) * PACKET], data[pmt * PACKET:(pmt + 1) * PACKET])
        assert tables_before(data, key, b"", b"", s.pmt_pid) == want
        cut = min(pat, pmt)  # the same from a later chunk, given what was before it
        before = tables_before(data, cut, b"", b"", s.pmt_pid)
        assert tables_before(data[cut * PACKET:], key - cut, *before, s.pmt_pid) == want
    assert tables_before(data, 0, b"P", b"M", s.pmt_pid) == (b"P", b"M")  # none in the chunk: the ones given


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_frames_and_keyframes_found_whatever_the_chunking(ts_bytes, codec):
    data = ts_bytes[codec]
    s, frames, total = scan(data, 65536)
    assert s.codec == codec and s.video_pid is not None
    assert total == len(data)
    assert len(frames) == 200  # 8 s at 25 fps
    keys = [i for i, (_pkt, key) in enumerate(frames) if key]
    assert keys == list(range(0, 200, 25))  # GOP 25 as encoded
    assert len(s.pat) == PACKET and len(s.pmt) == PACKET
    for step in (188, 1000, 4093):  # odd chunk sizes give the same frames
        assert scan(data, step)[1] == frames


def test_resync_after_garbage(ts_bytes):
    data = ts_bytes["h264"]
    clean = scan(data, 65536)[1]
    s, frames, total = scan(b"\x00garbage" + data[:5000] + b"xyz" + data[5000:], 4096)
    assert s.resyncs >= 2
    assert len(frames) >= len(clean) - 2  # at most the frames in the damaged packets are lost
    assert total % PACKET == 0


def test_ffmpeg_errors_are_classified_and_passwords_removed():
    w = StderrWatch()
    w.line("[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized")
    w.line("rtsp://admin:s3cret@10.0.0.9/live: Server returned 401 Unauthorized (authorization failed)")
    assert w.error_code == "unauthorized"
    assert "s3cret" not in w.last_line and "admin" not in w.last_line
    w2 = StderrWatch()
    w2.line("  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc), 480x272, 25 tbr, 90k tbn")
    assert w2.input_codec == "mjpeg" and w2.needs_transcode()
    w3 = StderrWatch()
    w3.line("rtsp://127.0.0.1:1/x: Connection refused")
    assert w3.error_code == "refused"
    assert redact("open rtsp://u:p@h/x and http://a:b@c/") == "open rtsp://***@h/x and http://***@c/"


def test_ffmpeg_command_copies_and_takes_options_from_the_fragment():
    url, opts = split_options("rtsp://cam/x#transport=udp")
    assert url == "rtsp://cam/x" and opts == {"transport": "udp"}
    cmd = ffmpeg_command("rtsp://cam/x#transport=udp")
    assert cmd[cmd.index("-rtsp_transport") + 1] == "udp"
    assert "rtsp://cam/x" in cmd and "copy" in cmd
    assert "libx264" in ffmpeg_command("rtsp://cam/x", transcode=True)


def test_live_sources_are_analysed_briefly_and_files_as_before():
    """A camera's first bytes wait for ffmpeg's analysis (and its next keyframe): live sources get 0.5 s and no
    frame-rate probe (what it gains is in bench_relay.py's "camera not yet pulled"); an SDP 0.1 s; a file 1.5 s."""
    def analysis(url):
        cmd = ffmpeg_command(url)
        fps = cmd[cmd.index("-fpsprobesize") + 1] if "-fpsprobesize" in cmd else None
        return cmd[cmd.index("-analyzeduration") + 1], fps

    for url in ("rtsp://cam/x", "rtsps://cam/x", "http://enc/live.ts", "udp://@239.1.1.1:5004"):
        assert analysis(url) == ("500000", "0"), url
    assert analysis("/var/demo/site.sdp") == ("100000", "0")
    assert analysis("/var/demo/clips/cam-01.mp4") == ("1500000", None)


def without_random_access_marks(ts: bytes) -> tuple[bytes, int]:
    """``ts`` as muxed by one that does not flag keyframes random-access; how many flags were cleared."""
    data, cleared = bytearray(ts), 0
    for at in range(0, len(data), PACKET):
        if data[at + 3] & 0x20 and data[at + 4] and data[at + 5] & 0x40:
            data[at + 5] &= ~0x40
            cleared += 1
    return bytes(data), cleared


def test_keyframes_found_without_random_access_marks(ts_bytes):
    """ffmpeg marks keyframes random-access and the scanner then trusts the mark; a muxer that does not is
    read by its NAL units: the same keyframes either way."""
    data, cleared = without_random_access_marks(ts_bytes["h264"])
    assert cleared >= 8  # one per keyframe at least
    marked, unmarked = scan(ts_bytes["h264"], 4096)[1], scan(data, 4096)[1]
    assert unmarked == marked
    assert [i for i, (_pkt, key) in enumerate(unmarked) if key] == list(range(0, 200, 25))


def scan_marks(data: bytes, step: int):
    """``feed_marks`` over ``data`` in ``step``-byte chunks: (frames counted, marks as (packet number, key))."""
    s = TsScanner()
    count, marks, total = 0, [], 0
    for i in range(0, len(data), step):
        chunk, n, found = s.feed_marks(data[i:i + step])
        count += n
        marks += [(total // PACKET + f.index, f.key) for f in found]
        total += len(chunk)
    return count, marks


@pytest.mark.parametrize("codec", ["h264", "hevc"])
@pytest.mark.parametrize("step", [188 * 7, 4093, 65536, 200_000])
@pytest.mark.parametrize("marked", [True, False])
def test_feed_marks_counts_every_frame_and_keeps_those_around_keyframes(ts_bytes, codec, step, marked):
    """What the relay's once-a-second scan uses: every frame counted; of the frame starts, each keyframe and the
    frame after it (in the same chunk or the next), as ``feed`` finds them, with or without random-access marks."""
    data = ts_bytes[codec] if marked else without_random_access_marks(ts_bytes[codec])[0]
    _s, frames, _total = scan(data, step)
    count, marks = scan_marks(data, step)
    assert count == len(frames) == 200
    wanted = {i for i, (_pkt, key) in enumerate(frames) if key}
    wanted |= {i + 1 for i in wanted if i + 1 < len(frames)}
    assert {frames.index(m) for m in marks} >= wanted  # every keyframe and where each ends
    assert all(m in frames for m in marks) and marks == sorted(set(marks))
    assert sum(key for _pkt, key in marks) == 8
    if marked:  # after the first chunk (where the PMT is found): only the keyframes and the frames after them
        assert [frames.index(m) for m in marks if m[0] >= step // PACKET] == \
            sorted(i for i in wanted if frames[i][0] >= step // PACKET)
