#!/usr/bin/python3
"""Encodes values into Modbus register words with pymodbus's own BinaryPayloadBuilder (pymodbus 3.0).

Reads a JSON list of {"type": "int16|uint16|int32|uint32|float32", "order": "ABCD|CDAB|BADC|DCBA", "value": n}
on stdin and prints the same list as JSON with "registers" added: the words a pymodbus device would serve.
Order letters name where bytes A (most significant) .. D land on the wire: the byte order inside a word is
Big for AB/CD and Little for BA/DC; the word order is Big when the first word carries A or B.
"""
import json
import sys

from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadBuilder

ADDERS = {
    "int16": "add_16bit_int",
    "uint16": "add_16bit_uint",
    "int32": "add_32bit_int",
    "uint32": "add_32bit_uint",
    "float32": "add_32bit_float",
}

ORDERS = {
    "ABCD": (Endian.Big, Endian.Big),
    "CDAB": (Endian.Big, Endian.Little),
    "BADC": (Endian.Little, Endian.Big),
    "DCBA": (Endian.Little, Endian.Little),
}


def encode(entry):
    byteorder, wordorder = ORDERS[entry["order"]]
    builder = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    value = entry["value"]
    if entry["type"] == "float32":
        value = float(value)
    getattr(builder, ADDERS[entry["type"]])(value)
    return dict(entry, registers=builder.to_registers())


def main():
    table = json.load(sys.stdin)
    json.dump([encode(e) for e in table], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
