"""Property tests, 10,000 cases each, no case over 1 s of CPU: the websocket envelope codec and layout files."""
import json

from hypothesis import given
from hypothesis import strategies as st

from backend_client import protocol
from backend_client.layouts import CELL_KINDS, Cell, Layout, LayoutError, parse_layout
from tests.helpers.fuzz import TEN_K, cpu_bound

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False,
                    allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                        st.dictionaries(st.text(max_size=6), c, max_size=3)),
                           max_leaves=6)
ids = st.text(min_size=1, max_size=12)
types = st.sampled_from(["auth", "command", "ping", "event", "snapshot", "result", "error", "pong", "status",
                         "login", "session", "bogus", "", None, 1])
envelopes = st.fixed_dictionaries({}, optional={
    "v": st.one_of(st.just(1), scalars), "type": types, "token": st.one_of(st.text(max_size=10), scalars),
    "id": st.one_of(ids, scalars), "action": st.one_of(ids, scalars), "args": json_values,
    "since": st.one_of(st.none(), st.integers(-5, 2**40), scalars), "seq": st.one_of(st.integers(0, 2**40), scalars),
    "eid": st.one_of(ids, scalars), "entity": st.one_of(ids, scalars), "op": st.one_of(
        st.sampled_from(["upsert", "delete", "merge"]), scalars), "key": st.one_of(ids, scalars),
    "data": json_values, "state": json_values, "ok": scalars, "code": scalars, "message": scalars,
    "store": scalars, "user": scalars, "password": scalars, "totp": scalars,
})


def _decode_both(raw):
    out = []
    for decode in (protocol.decode_client, protocol.decode_server):
        try:
            out.append(decode(raw))
        except protocol.ProtocolError as exc:
            assert exc.code in ("too_large", "bad_json", "bad_envelope", "bad_version", "bad_type", "bad_field")
            out.append(None)
    return out


@TEN_K
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
@cpu_bound
def test_envelope_decode_of_any_text_or_bytes_raises_only_protocol_errors(raw):
    _decode_both(raw)


@TEN_K
@given(envelopes)
@cpu_bound
def test_envelope_decode_of_any_object_is_a_protocol_error_or_a_valid_message(msg):
    raw = json.dumps(msg)
    for decoded in _decode_both(raw):
        if decoded is not None:
            assert decoded["v"] == 1 and isinstance(decoded["type"], str)
            if decoded["type"] == "command":
                assert isinstance(decoded["args"], dict)


commands = st.builds(protocol.command, ids, st.text(min_size=1, max_size=20),
                     st.dictionaries(st.text(max_size=8), json_values, max_size=4))
events = st.builds(lambda seq, key, data, op: {"type": "event", "seq": seq, "eid": f"yk-{seq}", "ts": 1.5,
                                               "actor": "x", "entity": "alerts", "op": op, "key": key,
                                               "data": data if op == "upsert" else None},
                   st.integers(1, 2**53), ids, st.dictionaries(st.text(max_size=8), json_values, max_size=4),
                   st.sampled_from(protocol.EVENT_OPS))
statuses = st.builds(lambda s, r, d, t: protocol.status_frame({"state": s, "reason": r, "detail": d, "since": t}),
                     st.sampled_from(["ok", "fault"]), st.sampled_from(["", "disk_full", "read_only", "io_error"]),
                     st.text(max_size=40), st.floats(0, 2e9))


@TEN_K
@given(st.one_of(commands, st.builds(protocol.auth, st.text(max_size=40), st.one_of(st.none(), st.integers(0, 2**40))),
                 events, statuses))
@cpu_bound
def test_envelope_encode_then_decode_gives_the_message_back(msg):
    raw = protocol.encode(msg)
    decode = protocol.decode_client if msg["type"] in ("command", "auth") else protocol.decode_server
    if len(raw.encode()) > protocol.MAX_MESSAGE_BYTES and decode is protocol.decode_client:
        return
    assert decode(raw) == {"v": 1, **json.loads(json.dumps(msg))}


# -- layout files -------------------------------------------------------------------------------------------
# Strategies built once: one made inside each draw (``st.integers(1, cols - col)``, ``st.sampled_from(free)``)
# is validated anew every time, which was most of this section's cost at 10,000 cases. A bound that depends on
# earlier draws is drawn as an index into the choices instead.
_GRID = st.integers(1, 8)
_CELL_COUNT = st.integers(0, 10)
_INDEX = st.integers(0, 63)  # into a list of at most 64 choices, modulo its length
_KINDS = st.sampled_from(CELL_KINDS)
_TOUR = st.lists(ids, min_size=1, max_size=3)
_DWELL = st.integers(1, 3600)
_TEXT_10, _TEXT_6 = st.text(max_size=10), st.text(max_size=6)
_ORDER = st.integers(-1000, 1000)
_EXTRA_KEYS = ["span", "pos", "extra"]


@st.composite
def layouts(draw):
    """A valid layout: cells placed on free grid squares, any kind, optional fields."""
    cols, rows = draw(_GRID), draw(_GRID)
    free = {(c, r) for c in range(cols) for r in range(rows)}
    cells = []
    for _ in range(draw(_CELL_COUNT)):
        if not free:
            break
        choices = sorted(free)
        col, row = choices[draw(_INDEX) % len(choices)]
        w = 1 + draw(_INDEX) % (cols - col)
        h = 1 + draw(_INDEX) % (rows - row)
        squares = {(col + dc, row + dr) for dc in range(w) for dr in range(h)}
        if not squares <= free:
            w = h = 1
            squares = {(col, row)}
        free -= squares
        kind = draw(_KINDS)
        cells.append(Cell(col, row, kind, w, h,
                          camera=draw(ids) if kind == "camera" else "",
                          cameras=tuple(draw(_TOUR)) if kind == "tour" else (),
                          dwell=float(draw(_DWELL)) if kind == "tour" else 10.0,
                          text=draw(_TEXT_10),
                          title=draw(_TEXT_10),
                          alarm=draw(st.booleans()) if kind in ("camera", "tour", "empty") else False))
    return Layout("fuzz", draw(_TEXT_10), cols, rows, tuple(cells), draw(_TEXT_6), draw(_ORDER))


_LAYOUTS = layouts()


@TEN_K
@given(_LAYOUTS)
@cpu_bound
def test_layout_write_then_read_gives_the_same_scene(layout):
    doc = json.loads(json.dumps(layout.to_json(), ensure_ascii=False))
    back = parse_layout(doc, "layouts/fuzz.json", "fuzz")
    assert (back.cols, back.rows, back.cells, back.title, back.order) == \
        (layout.cols, layout.rows, layout.cells, layout.title, layout.order)


@st.composite
def mutated_layouts(draw):
    """A valid layout document with one random field replaced by a random JSON value."""
    doc = draw(_LAYOUTS).to_json()
    target = doc
    if doc["cells"] and draw(st.booleans()):
        target = doc["cells"][draw(_INDEX) % len(doc["cells"])]
    keys = sorted(target) + _EXTRA_KEYS
    key = keys[draw(_INDEX) % len(keys)]
    target[key] = draw(json_values)
    return doc


@TEN_K
@given(st.one_of(mutated_layouts(), json_values))
@cpu_bound
def test_layout_parse_of_any_document_is_a_layout_or_a_layout_error_naming_the_file(doc):
    try:
        parse_layout(doc, "layouts/fuzz.json", "fuzz")
    except LayoutError as exc:
        assert str(exc).startswith("layouts/fuzz.json")
