#!/usr/bin/env python3
"""Independent reference decoder for SL 651-2014 (水文监测数据通信规约) frames.

Written from the standard's text, NOT from the box's TypeScript, so that the box's frames can be
checked byte by byte by a second, unrelated implementation. Standard library only.

Input:  one frame per line on stdin, as a hex string (ASCII-encoded frames are hex-encoded too).
        Blank lines are skipped; spaces inside a line are ignored.
Output: one JSON object per input line on stdout, in the same order; never a traceback for bad input.
        See README.md beside this file for the fields.
"""

import datetime
import json
import re
import sys

# ---- constants of the standard --------------------------------------------------------------------------------

SOH, STX, SYN = 0x01, 0x02, 0x16
END_MARKS = {0x03: "ETX", 0x17: "ETB", 0x05: "ENQ", 0x06: "ACK", 0x15: "NAK", 0x04: "EOT", 0x1B: "ESC"}
REPORT_FNS_ALWAYS = {0x30, 0x31, 0x32, 0x33, 0x34, 0x35}  # test, uniform-period, timed, add, hourly, manual
REPORT_FNS_ANSWERS = {0x37, 0x38, 0x3A}  # real-time, period and specified-element answers
CLOCK_FNS = {0x4A, 0x51}
TIME_STEP_ID = 0x04
GROUP_MARK = 0xF0
ADDRESS_MARK = 0xF1
RAIN_5MIN_ID = 0xF4
LEVEL_5MIN_IDS = range(0xF5, 0xFD)  # F5..FC: relative water level every 5 min in the last hour, levels 1..8
EXTENDED_ID = 0xFF

HEX_HEAD_LEN = 14  # 7E 7E + 6 address bytes + password 2 + fn 1 + direction/length 2 + start 1
ASCII_HEAD_LEN = 24  # SOH + 2 + 10 + 4 + 2 + 4 chars + start 1


class DecodeError(Exception):
    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def crc16_modbus(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def hx(b):
    return b.hex().upper()


def bcd_digits(b, what):
    text = hx(b)
    if not text.isdigit():
        raise DecodeError("bcd", "%s is not BCD: %s" % (what, text))
    return text


def parse_time(b, what, with_seconds):
    """BCD YYMMDDhhmm[ss] (Beijing time, years 2000..2099) -> 'YYYY-MM-DD hh:mm[:ss]'."""
    d = bcd_digits(b, what)
    parts = [int(d[i:i + 2]) for i in range(0, len(d), 2)]
    year, month, day, hour = 2000 + parts[0], parts[1], parts[2], parts[3]
    minute = parts[4] if len(parts) > 4 else 0
    second = parts[5] if len(parts) > 5 else 0
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise DecodeError("time", "%s is not a valid time: %s" % (what, d))
    text = "%04d-%02d-%02d %02d:%02d" % (year, month, day, hour, minute)
    return text + (":%02d" % second if with_seconds else "")


def scaled(n, decimals):
    if decimals == 0:
        return n
    return round(n / (10 ** decimals), decimals)


def bcd_value(b, decimals, ident):
    """An element value: BCD, all FF = missing, leading FF = negative with the magnitude in the rest."""
    if all(x == 0xFF for x in b):
        return None
    negative = b[0] == 0xFF
    digits_bytes = b[1:] if negative else b
    text = hx(digits_bytes)
    if not text.isdigit():
        raise DecodeError("element", "element %s value %s is not BCD" % (ident, hx(b)))
    n = int(text) if text else 0
    return scaled(-n if negative else n, decimals)


# ---- HEX/BCD form ---------------------------------------------------------------------------------------------


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.kind = "body"  # the error kind for running short: "element" once inside the groups

    def left(self):
        return len(self.data) - self.pos

    def peek(self, n):
        return self.data[self.pos:self.pos + n]

    def take(self, n, what):
        if self.left() < n:
            raise DecodeError(self.kind, "%s: needs %d byte(s), %d left in the body" % (what, n, self.left()))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def read_identifier(r):
    """Identifier and definition byte; FF sub-id is an extended identifier ('FF09')."""
    first = r.take(1, "element identifier")[0]
    if first == EXTENDED_ID:
        sub = r.take(1, "extended identifier")[0]
        ident = "FF%02X" % sub
    else:
        ident = "%02X" % first
    definition = r.take(1, "definition of element %s" % ident)[0]
    return first, ident, definition


def at_group_mark(r):
    return r.left() >= 2 and r.data[r.pos] == GROUP_MARK and r.data[r.pos + 1] == GROUP_MARK


def parse_group_elements(r):
    """Elements of one F0F0 group, up to the next F0F0 or the end of the body."""
    elements = []
    while r.left() > 0 and not at_group_mark(r):
        first = r.data[r.pos]
        if first in (ADDRESS_MARK, 0xF2, 0xF3) or first == GROUP_MARK:
            raise DecodeError("element", "identifier %02X is not supported inside a group (at body byte %d)"
                              % (first, r.pos))
        first, ident, definition = read_identifier(r)
        size, decimals = definition >> 3, definition & 0x07
        if first == RAIN_5MIN_ID:
            raw = r.take(size, "element F4 values")
            if size != 12:
                raise DecodeError("element", "F4 carries %d bytes, the standard has 12" % size)
            elements.append({"id": ident, "definition": "%02X" % definition, "unit": "mm",
                             "values": [None if x == 0xFF else round(x / 10, 1) for x in raw]})
            continue
        if first in LEVEL_5MIN_IDS:
            raw = r.take(size, "element %s values" % ident)
            if size != 24:
                raise DecodeError("element", "%s carries %d bytes, the standard has 24" % (ident, size))
            vals = []
            for i in range(0, 24, 2):
                v = (raw[i] << 8) | raw[i + 1]
                vals.append(None if v == 0xFFFF else v)
            elements.append({"id": ident, "definition": "%02X" % definition, "unit": "cm", "values": vals})
            continue
        if size == 0:
            raise DecodeError("element", "element %s has a zero-length definition %02X" % (ident, definition))
        if first == TIME_STEP_ID and ident == "04":
            if definition != 0x18:
                raise DecodeError("element", "time-step code 04 with definition %02X (expected 18)" % definition)
            step = bcd_digits(r.take(3, "time step"), "time step")
            step_minutes = int(step[0:2]) * 1440 + int(step[2:4]) * 60 + int(step[4:6])
            if r.left() == 0 or at_group_mark(r):
                raise DecodeError("element", "time-step code with no element after it")
            _, sid, sdef = read_identifier(r)
            ssize, sdec = sdef >> 3, sdef & 0x07
            if ssize == 0:
                raise DecodeError("element", "element %s has a zero-length definition" % sid)
            vals = []
            while r.left() > 0 and not at_group_mark(r):
                vals.append(bcd_value(r.take(ssize, "value %d of %s" % (len(vals) + 1, sid)), sdec, sid))
            elements.append({"id": sid, "definition": "%02X" % sdef, "step_minutes": step_minutes, "values": vals})
            continue
        raw = r.take(size, "value of element %s" % ident)
        element = {"id": ident, "definition": "%02X" % definition}
        if ident == "45":
            # 遥测站状态及报警信息 (ZT): a 32-bit status/alarm field in the standard, not a quantity; kept as hex.
            element["value"] = hx(raw)
        else:
            element["value"] = bcd_value(raw, decimals, ident)
        elements.append(element)
    return elements


def parse_report(r, out):
    r.take(2, "F1F1")
    out["body_station"] = hx(r.take(5, "station address"))
    out["station_type"] = hx(r.take(1, "station type"))
    groups = []
    r.kind = "element"
    while r.left() > 0:
        if not at_group_mark(r):
            raise DecodeError("element", "expected F0F0 at body byte %d, found %s" % (r.pos, hx(r.peek(2))))
        r.take(2, "F0F0")
        observed = parse_time(r.take(5, "observation time"), "observation time", False)
        groups.append({"observed": observed, "elements": parse_group_elements(r)})
    out["groups"] = groups


def parse_period_query(r, out):
    q = {}
    q["from"] = parse_time(r.take(4, "query start"), "query start", False)
    q["to"] = parse_time(r.take(4, "query end"), "query end", False)
    if r.take(2, "time-step code") != bytes([TIME_STEP_ID, 0x18]):
        raise DecodeError("element", "period query without 04 18 time-step code")
    step = bcd_digits(r.take(3, "time step"), "time step")
    q["step_minutes"] = int(step[0:2]) * 1440 + int(step[2:4]) * 60 + int(step[4:6])
    _, ident, definition = read_identifier(r)
    q["element"] = ident
    q["definition"] = "%02X" % definition
    out["query"] = q


def parse_requested(r, out):
    req = []
    while r.left() > 0:
        _, ident, definition = read_identifier(r)
        req.append({"id": ident, "definition": "%02X" % definition})
    out["requested"] = req


def has_address_mark(r):
    return r.left() >= 2 and r.data[r.pos] == ADDRESS_MARK and r.data[r.pos + 1] == ADDRESS_MARK


def parse_hex_body(body, fn, up, out):
    r = Reader(body)
    out["serial"] = int.from_bytes(r.take(2, "serial"), "big")
    out["sent"] = parse_time(r.take(6, "send time"), "send time", True)
    if up and (fn in REPORT_FNS_ALWAYS or fn in REPORT_FNS_ANSWERS):
        if has_address_mark(r):
            parse_report(r, out)
        elif fn in REPORT_FNS_ALWAYS:
            raise DecodeError("body", "report fn %02X without F1F1 station address" % fn)
    elif up and fn in CLOCK_FNS:
        if not has_address_mark(r):
            raise DecodeError("body", "clock answer fn %02X without F1F1 station address" % fn)
        r.take(2, "F1F1")
        out["clock_station"] = hx(r.take(5, "station address"))
    elif not up and fn == 0x38 and r.left() > 0:
        parse_period_query(r, out)
    elif not up and fn == 0x3A and r.left() > 0:
        parse_requested(r, out)
    if r.left() > 0:
        out["trailing"] = hx(r.data[r.pos:])


def base_result(encoding):
    return {"ok": True, "encoding": encoding, "direction": None, "centre": None, "station": None, "password": None,
            "fn": None, "length": None, "start": None, "packet": None, "end": None, "crc_ok": None,
            "serial": None, "sent": None, "station_type": None, "body_station": None, "groups": [],
            "clock_station": None, "query": None, "requested": None, "trailing": None}


def check_frame_extent(data, head_len, total_len, crc_len, crc_ok_at):
    """Length / truncation checks shared by both forms. total_len is what the length field implies."""
    if len(data) == total_len:
        return
    # Does the frame as received close properly with a different length? Then the length field is wrong.
    alt_ok = len(data) > head_len + crc_len and data[-1 - crc_len] in END_MARKS and crc_ok_at(len(data))
    if alt_ok:
        raise DecodeError("length", "length field implies %d bytes, the frame closes properly at %d"
                          % (total_len, len(data)))
    if len(data) < total_len:
        raise DecodeError("truncated", "frame is %d bytes, its length field implies %d" % (len(data), total_len))
    raise DecodeError("length", "%d byte(s) after the CRC that the length field implies" % (len(data) - total_len))


def decode_hex(data):
    out = base_result("hex")
    if len(data) < HEX_HEAD_LEN:
        raise DecodeError("truncated", "frame is %d bytes, the header alone is %d" % (len(data), HEX_HEAD_LEN))
    dl = (data[11] << 8) | data[12]
    direction, length = dl >> 12, dl & 0x0FFF
    if direction == 0x0:
        out["direction"], up = "up", True
        out["centre"], out["station"] = data[2], hx(data[3:8])
    elif direction == 0x8:
        out["direction"], up = "down", False
        out["station"], out["centre"] = hx(data[2:7]), data[7]
    else:
        raise DecodeError("direction", "direction nibble %X is neither 0 (up) nor 8 (down)" % direction)
    out["password"] = hx(data[8:10])
    fn = data[10]
    out["fn"] = "%02X" % fn
    out["length"] = length
    start = data[13]
    if start == STX:
        out["start"] = "STX"
    elif start == SYN:
        out["start"] = "SYN"
        if length < 3:
            raise DecodeError("length", "SYN frame with length %d cannot hold the packet header" % length)
    else:
        raise DecodeError("start", "start mark %02X is neither STX 02 nor SYN 16" % start)

    def crc_ok_at(n):
        return crc16_modbus(data[:n - 2]) == (data[n - 2] << 8 | data[n - 1])

    check_frame_extent(data, HEX_HEAD_LEN, HEX_HEAD_LEN + length + 3, 2, crc_ok_at)
    end = data[HEX_HEAD_LEN + length]
    if end not in END_MARKS:
        raise DecodeError("end", "byte %02X where the end mark should be" % end)
    out["end"] = END_MARKS[end]
    computed = crc16_modbus(data[:-2])
    received = data[-2] << 8 | data[-1]
    if computed != received:
        raise DecodeError("crc", "computed %04X, frame carries %04X" % (computed, received))
    out["crc_ok"] = True
    body = data[HEX_HEAD_LEN:HEX_HEAD_LEN + length]
    if start == SYN:
        pk = int.from_bytes(body[:3], "big")
        total, seq = pk >> 12, pk & 0x0FFF
        if seq < 1 or total < 1 or seq > total:
            raise DecodeError("packet", "packet %d of %d" % (seq, total))
        out["packet"] = {"total": total, "seq": seq}
        body = body[3:]
        # A multi-packet message is not reassembled here: only the first packet's head is read.
        if seq == 1 and len(body) >= 8:
            out["serial"] = int.from_bytes(body[:2], "big")
            out["sent"] = parse_time(body[2:8], "send time", True)
            body = body[8:]
        out["trailing"] = hx(body) if body else None
        return out
    parse_hex_body(body, fn, up, out)
    return out


# ---- ASCII form -----------------------------------------------------------------------------------------------

HEXCHARS = re.compile(r"^[0-9A-Fa-f]+$")
NUMERIC = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)$")


def ascii_field(data, a, b, what):
    try:
        text = data[a:b].decode("ascii")
    except UnicodeDecodeError:
        raise DecodeError("ascii", "%s is not ASCII" % what)
    if not HEXCHARS.match(text):
        raise DecodeError("ascii", "%s is not hex characters: %r" % (what, text))
    return text.upper()


def ascii_time(text, what, with_seconds):
    if not text.isdigit():
        raise DecodeError("bcd", "%s is not digits: %r" % (what, text))
    return parse_time(bytes.fromhex(text), what, with_seconds)


def parse_ascii_body(text, fn, up, out):
    tokens = text.split()
    if tokens and len(tokens[0]) == 16:  # serial and send time written without a space between them
        tokens = [tokens[0][:4], tokens[0][4:]] + tokens[1:]
    if len(tokens) < 2:
        raise DecodeError("body", "ASCII body without serial and send time")
    if len(tokens[0]) != 4 or not HEXCHARS.match(tokens[0]):
        raise DecodeError("body", "serial %r is not 4 hex characters" % tokens[0])
    out["serial"] = int(tokens[0], 16)
    if len(tokens[1]) != 12:
        raise DecodeError("body", "send time %r is not 12 digits" % tokens[1])
    out["sent"] = ascii_time(tokens[1], "send time", True)
    rest = tokens[2:]
    i = 0
    if rest[:1] == ["ST"]:
        if len(rest) < 2:
            raise DecodeError("body", "ST without a station address")
        station = rest[1].upper()
        i = 2
        if up and fn in CLOCK_FNS:
            out["clock_station"] = station
        else:
            out["body_station"] = station
            if i < len(rest) and rest[i] != "TT" and not NUMERIC.match(rest[i]):
                st = rest[i]
                out["station_type"] = "%02X" % ord(st) if len(st) == 1 else st
                i += 1
    groups = []
    group = None
    step = None
    while i < len(rest):
        tok = rest[i]
        i += 1
        if tok == "TT":
            if i >= len(rest):
                raise DecodeError("element", "TT without an observation time")
            group = {"observed": ascii_time(rest[i], "observation time", False), "elements": []}
            groups.append(group)
            i += 1
            continue
        if group is None:
            group = {"observed": None, "elements": []}
            groups.append(group)
        if tok.startswith("DR") and len(tok) == 5:  # time-step code DRxnn, x = D/H/N
            step = tok
            continue
        values = []
        while i < len(rest) and NUMERIC.match(rest[i]):
            values.append(rest[i])
            i += 1
            if step is None:
                break
        if not values:
            raise DecodeError("element", "identifier %r without a value" % tok)
        if step is not None:
            group["elements"].append({"id": tok, "step": step, "values": values})
            step = None
        else:
            group["elements"].append({"id": tok, "value": values[0]})
    out["groups"] = groups


def decode_ascii(data):
    out = base_result("ascii")
    if len(data) < ASCII_HEAD_LEN:
        raise DecodeError("truncated", "frame is %d bytes, the header alone is %d" % (len(data), ASCII_HEAD_LEN))
    dl = int(ascii_field(data, 19, 23, "direction/length"), 16)
    direction, length = dl >> 12, dl & 0x0FFF
    if direction == 0x0:
        out["direction"], up = "up", True
        out["centre"] = int(ascii_field(data, 1, 3, "centre address"), 16)
        out["station"] = ascii_field(data, 3, 13, "station address")
    elif direction == 0x8:
        out["direction"], up = "down", False
        out["station"] = ascii_field(data, 1, 11, "station address")
        out["centre"] = int(ascii_field(data, 11, 13, "centre address"), 16)
    else:
        raise DecodeError("direction", "direction nibble %X is neither 0 (up) nor 8 (down)" % direction)
    out["password"] = ascii_field(data, 13, 17, "password")
    fn = int(ascii_field(data, 17, 19, "function code"), 16)
    out["fn"] = "%02X" % fn
    out["length"] = length
    start = data[23]
    if start == STX:
        out["start"] = "STX"
    elif start == SYN:
        out["start"] = "SYN"
        if length < 6:
            raise DecodeError("length", "SYN frame with length %d cannot hold the packet header" % length)
    else:
        raise DecodeError("start", "start mark %02X is neither STX 02 nor SYN 16" % start)

    def crc_ok_at(n):
        try:
            return crc16_modbus(data[:n - 4]) == int(data[n - 4:n].decode("ascii"), 16)
        except (UnicodeDecodeError, ValueError):
            return False

    check_frame_extent(data, ASCII_HEAD_LEN, ASCII_HEAD_LEN + length + 5, 4, crc_ok_at)
    end = data[ASCII_HEAD_LEN + length]
    if end not in END_MARKS:
        raise DecodeError("end", "byte %02X where the end mark should be" % end)
    out["end"] = END_MARKS[end]
    received_text = ascii_field(data, len(data) - 4, len(data), "CRC")
    computed = crc16_modbus(data[:-4])
    if computed != int(received_text, 16):
        raise DecodeError("crc", "computed %04X, frame carries %s" % (computed, received_text))
    out["crc_ok"] = True
    body = data[ASCII_HEAD_LEN:ASCII_HEAD_LEN + length]
    if start == SYN:
        pk = int(ascii_field(body, 0, 6, "packet header"), 16)
        total, seq = pk >> 12, pk & 0x0FFF
        if seq < 1 or total < 1 or seq > total:
            raise DecodeError("packet", "packet %d of %d" % (seq, total))
        out["packet"] = {"total": total, "seq": seq}
        out["trailing"] = body[6:].decode("ascii", "replace") or None
        return out
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise DecodeError("ascii", "body is not ASCII")
    parse_ascii_body(text, fn, up, out)
    return out


# ---- driver ---------------------------------------------------------------------------------------------------


def decode_line(line):
    text = "".join(line.split())
    if not text:
        return {"ok": False, "error": "input", "detail": "empty line"}
    if len(text) % 2 or not HEXCHARS.match(text):
        return {"ok": False, "error": "input", "detail": "line is not an even number of hex digits"}
    data = bytes.fromhex(text)
    try:
        if data[:2] == b"\x7e\x7e":
            return decode_hex(data)
        if data[:1] == bytes([SOH]):
            return decode_ascii(data)
        raise DecodeError("start", "frame begins %s, neither 7E7E (HEX) nor 01 SOH (ASCII)" % hx(data[:2]))
    except DecodeError as e:
        return {"ok": False, "error": e.kind, "detail": e.detail}
    except Exception as e:  # a reference decoder reports, it does not crash
        return {"ok": False, "error": "internal", "detail": "%s: %s" % (type(e).__name__, e)}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(decode_line(line), ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
