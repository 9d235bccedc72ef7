#!/usr/bin/python3
"""A real Modbus slave for tests, on Debian's pymodbus 3.0.0 (run with /usr/bin/python3).

    pymodbus_slave.py (--tcp HOST:PORT | --rtu DEVICE [--baud 9600] [--parity N|E|O] [--stopbits 1|2]) --map FILE.json

FILE.json: {"units": {"1": {"holding": {"0": [1, 2, 3], "100": [7]}, "input": {"0": [5]}}}}
(decimal start address -> list of 16-bit words). Units not listed never answer (a silent slave on the line).
Reading an address outside the written blocks gives exception 2 (illegal data address).
Prints exactly one line `READY` on stdout once listening; exits with status 0 on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import json
import logging
import signal
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer


def sparse_block(blocks):
    values = {}
    for start, words in (blocks or {}).items():
        base = int(start, 10)
        for offset, word in enumerate(words):
            if not 0 <= int(word) <= 0xFFFF:
                raise ValueError(f"word {word} at {base + offset} is not a 16-bit value")
            values[base + offset] = int(word)
    # mutable=False: a write outside the map fails instead of silently widening it.
    return ModbusSparseDataBlock(values, mutable=False)


def build_context(map_path):
    with open(map_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    slaves = {}
    for unit, tables in spec.get("units", {}).items():
        # An empty sparse block has no valid address at all; the server answers every read with exception 2.
        slaves[int(unit, 10)] = ModbusSlaveContext(
            di=sparse_block({}),
            co=sparse_block({}),
            hr=sparse_block(tables.get("holding")),
            ir=sparse_block(tables.get("input")),
            zero_mode=True,
        )
    return ModbusServerContext(slaves=slaves, single=False)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Modbus slave for fenghuo tests")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", metavar="HOST:PORT")
    where.add_argument("--rtu", metavar="DEVICE")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--parity", choices=["N", "E", "O"], default="N")
    parser.add_argument("--stopbits", type=int, choices=[1, 2], default=1)
    parser.add_argument("--map", required=True, metavar="FILE.json")
    return parser.parse_args(argv)


async def serve_tcp(context, host_port, stop):
    host, _, port = host_port.rpartition(":")
    server = ModbusTcpServer(
        context,
        framer=ModbusSocketFramer,
        address=(host.strip("[]") or "127.0.0.1", int(port, 10)),
        allow_reuse_address=True,
        ignore_missing_slaves=True,
    )
    task = asyncio.create_task(server.serve_forever())
    done, _ = await asyncio.wait({task, asyncio.ensure_future(server.serving)}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises the bind error
        return 1
    print("READY", flush=True)
    await stop.wait()
    for handler in list(server.active_connections.values()):
        handler.transport.close()
    if server.server is not None:
        server.server.close()
    task.cancel()
    return 0


async def serve_rtu(context, args, stop):
    server = ModbusSerialServer(
        context,
        framer=ModbusRtuFramer,
        port=args.rtu,
        baudrate=args.baud,
        parity=args.parity,
        stopbits=args.stopbits,
        bytesize=8,
        ignore_missing_slaves=True,
        auto_reconnect=True,
        reconnect_delay=0.2,
    )
    await server.start()
    while server.transport is None:
        if stop.is_set():
            return 0
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    await stop.wait()
    server.auto_reconnect = False
    await server.shutdown()
    return 0


async def main(argv):
    args = parse_args(argv)
    context = build_context(args.map)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.tcp:
        return await serve_tcp(context, args.tcp, stop)
    return await serve_rtu(context, args, stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.exit(asyncio.run(main(sys.argv[1:])))
