"""``python -m tsp``: the standalone emulator (wire-protocol §6).

Prints ``listening on HOST:PORT`` as its first stdout line (flushed) - with ``--web``, ``web console on
http://HOST:PORT/`` as the second (docs/web.md) - logs to stderr, stops on SIGINT or
SIGTERM (stops accepting, closes every connection, exit status 0). A bad scenario file prints one line
naming file, line and key on stderr and exits with status 2; so do bad arguments. A port that cannot be
bound exits with status 1.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import logging
import os
import signal
import ssl
import sys
from typing import Any, Callable, Sequence

import trio

from protocol.constants import DEFAULT_PORT
from protocol.version import __version__
from tsp import logqueue
from tsp.clock import ClockError, make_clock
from tsp.faults import FaultError
from tsp.gcpolicy import tune_gc
from tsp.cdr import CdrWriter
from tsp.scenario import Scenario, ScenarioError, default_scenario, load_scenario
from tsp.server import EmulatorServer, ServerConfig
from tsp.web import DEFAULT_WEB_ADDRESS, parse_web_address, serve_web

log = logging.getLogger("tsp")

#: LogRecord attributes that are not "extra" fields of a call (everything else is copied into JSON).
_STANDARD_RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _read_switch_time(switch_time: Callable[[], float | None] | None) -> float | None:
    if switch_time is None:
        return None
    try:
        return switch_time()
    except Exception:  # noqa: BLE001 - a log line must never fail because the clock cannot be read
        return None


class TextLogFormatter(logging.Formatter):
    """``--log-format text``: ``2026-12-01 20:12:23,456 INFO    switch=812.250 tsp.server: conn 3: ...``.

    ``switch=`` is the switch clock (seconds since the scenario start) when the record was written; it is
    left out where there is none (before the server runs, after it stopped). The time before it is the
    local wall clock."""

    def __init__(self, switch_time: Callable[[], float | None] | None = None) -> None:
        super().__init__()
        self.switch_time = switch_time

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        now = _read_switch_time(self.switch_time)
        switch = f"switch={now:.3f} " if now is not None else ""
        text = f"{self.formatTime(record)} {record.levelname:<7} {switch}{record.name}: {record.message}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return text


class JsonLogFormatter(logging.Formatter):
    """``--log-format json``: one JSON object per line and per record, so a run can be kept and compared.

    Keys: ``time`` (wall clock, UTC, ISO 8601 with milliseconds), ``switch_time`` (the switch clock, in
    seconds since the scenario start, when the record was written; present while the emulator runs),
    ``level``, ``logger``, ``message`` (the text the text format shows), any ``extra=`` fields of the
    call, and ``exception`` (the traceback) when there is one. Drop ``time`` to compare two runs.
    """

    def __init__(self, switch_time: Callable[[], float | None] | None = None) -> None:
        super().__init__()
        self.switch_time = switch_time

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _dt.datetime.fromtimestamp(record.created, _dt.timezone.utc).isoformat(timespec="milliseconds"),
        }
        now = _read_switch_time(self.switch_time)
        if now is not None:
            out["switch_time"] = round(now, 3)
        out.update(level=record.levelname, logger=record.name, message=record.getMessage())
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_KEYS and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def _switch_time_of(server: EmulatorServer) -> Callable[[], float | None]:
    """The server's switch time, read only inside the running trio loop (None elsewhere)."""

    def read() -> float | None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            return None
        return server.now()

    return read

EXIT_OK = 0
EXIT_CANNOT_SERVE = 1
EXIT_USAGE = 2


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return value


def _int_at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low`` (one-line message naming the value otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text!r}")
        return value

    return parse


_positive_int = _int_at_least(1)
_count = _int_at_least(0)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {text!r}")
    return value


def _web_address(text: str) -> tuple[str, int]:
    try:
        return parse_web_address(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``python -m tsp: argument --port: ...``, exit 2), like ``tapi``'s."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    defaults = ServerConfig()
    p = _Parser(
        prog="python -m tsp",
        description="TAPI service-provider emulator: an ACD switch speaking MS-TRP packets over TCP.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--scenario", metavar="FILE", help="scenario TOML file (default: the built-in lively call centre)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"TCP port; 0 picks a free one (default {DEFAULT_PORT})")
    p.add_argument("--clock", choices=("real", "manual"), default="real",
                   help="real: time runs (times --speed); manual: time stands still until EmuAdvanceClock")
    p.add_argument("--speed", type=_positive_float, default=1.0,
                   help="the switch clock runs X times faster than real time (real clock only; default 1)")
    p.add_argument("--control", action="store_true",
                   help="serve the emulator control extension (Req_Func 1000 EmuAdvanceClock, 1001 EmuOfferCall)")
    p.add_argument("--max-conn", type=_positive_int, default=defaults.max_connections, metavar="N",
                   help=f"connections served at once (default {defaults.max_connections})")
    p.add_argument("--read-timeout", type=_positive_float, default=defaults.read_timeout, metavar="SECONDS",
                   help="ERROR 5 and close for a connection without HELLO this long after connecting, without an "
                        "initialized hLineApp this long after its HELLO, or with a frame not complete this long "
                        f"after its first byte (default {defaults.read_timeout:g})")
    p.add_argument("--max-queued", type=_positive_int, default=defaults.max_queued_bytes, metavar="BYTES",
                   help="outgoing bytes queued for one client before it is cut off as not reading "
                        f"(default {defaults.max_queued_bytes})")
    p.add_argument("--max-queued-total", type=_positive_int, default=defaults.max_queued_total, metavar="BYTES",
                   help="outgoing bytes held for all clients together; past it the client holding the most is cut "
                        f"off with ERROR 5 (default {defaults.max_queued_total}, at least 327684)")
    p.add_argument("--max-in-flight", type=_positive_int, default=defaults.max_in_flight, metavar="N",
                   help="answers the server may hold back (delay faults) for one connection; one more request "
                        f"gets LINEERR_RESOURCEUNAVAIL (default {defaults.max_in_flight})")
    p.add_argument("--max-apps", type=_positive_int, default=defaults.max_apps_per_connection, metavar="N",
                   help="hLineApps one connection may have initialized at once; one more Initialize gets "
                        f"LINEERR_RESOURCEUNAVAIL (default {defaults.max_apps_per_connection})")
    p.add_argument("--max-lines", type=_positive_int, default=defaults.max_lines_per_connection, metavar="N",
                   help="lines one connection may have open at once; one more Open gets LINEERR_RESOURCEUNAVAIL "
                        f"(default {defaults.max_lines_per_connection})")
    p.add_argument("--max-agents", type=_count, default=defaults.max_agents, metavar="N",
                   help="agents CreateAgent may create over the wire (unknown agent IDs; scenario agents do not "
                        f"count); one more gets LINEERR_RESOURCEUNAVAIL, 0 = none (default {defaults.max_agents})")
    p.add_argument("--max-lines-total", type=_positive_int, default=defaults.max_lines_total, metavar="N",
                   help="lines all connections together may have open at once; one more Open gets "
                        f"LINEERR_RESOURCEUNAVAIL (default {defaults.max_lines_total})")
    p.add_argument("--tls-cert", metavar="FILE",
                   help="serve TLS with this PEM certificate chain (needs --tls-key unless the file holds the key)")
    p.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    # --- web console hook (tsp/web, docs/web.md) ---
    p.add_argument("--web", nargs="?", const=DEFAULT_WEB_ADDRESS, type=_web_address, metavar="HOST:PORT",
                   help="also serve the web console on HOST:PORT (off unless given; without a value "
                        f"{DEFAULT_WEB_ADDRESS}; PORT 0 picks a free one); with --control it has a control panel")
    p.add_argument("--cdr", metavar="FILE",
                   help="write a call detail record (one JSON object per line, docs/cdr.md) for every call "
                        "when it leaves the switch, and for the calls still in it at the end; the file is "
                        "truncated at start")
    p.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="text: one readable line per record (default); json: one JSON object per line")
    verbosity = p.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", "-q", action="store_true", help="log warnings only")
    verbosity.add_argument("--verbose", "-v", action="store_true", help="log every request and event too")
    return p


def _configure_logging(quiet: bool, verbose: bool, log_format: str = "text") -> logqueue.InstalledLog:
    """Log to stderr through the bounded queue and its writer thread (tsp/logqueue.py): a stderr nobody
    reads never stalls the server; what does not fit is dropped and counted."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    formatter = JsonLogFormatter() if log_format == "json" else TextLogFormatter()
    return logqueue.install(formatter, level, stream=sys.stderr)


async def _serve(server: EmulatorServer, host: str, port: int, web: tuple[str, int] | None = None,
                 control: bool = False) -> str | None:
    """Serve until SIGINT/SIGTERM; returns None, or why it could not listen."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            try:
                address = await nursery.start(server.serve_tcp, host, port)
            except OSError as err:
                return f"cannot listen on {host}:{port}: {err.strerror or err}"
            print(f"listening on {address[0]}:{address[1]}", flush=True)
            if web is not None:  # the web console, in the same nursery (tsp/web)
                try:
                    console = await nursery.start(lambda task_status: serve_web(
                        server, web[0], web[1], control=control, task_status=task_status))
                except OSError as err:
                    server.stop()
                    return f"cannot listen on {web[0]}:{web[1]} for the web console: {err.strerror or err}"
                print(f"web console on {console.url}", flush=True)
            async for signum in signals:
                log.info("%s received: closing every connection and stopping", signal.Signals(signum).name)
                server.stop()
                break
    return None


def server_ssl_context(cert: str, key: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or later) with the PEM certificate chain ``cert`` and ``key``.

    Raises ValueError naming the file when it cannot be read or the key does not match."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for what, path in (("certificate", cert), ("key", key)):
        if path is not None and not os.path.isfile(path):
            raise ValueError(f"TLS {what} file not found: {path}")
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as err:
        if key is None:  # OpenSSL only says "PEM lib": say what is missing
            raise ValueError(f"the TLS certificate file {cert!r} holds no private key (or not the right one): "
                             "give the key file with --tls-key") from None
        raise ValueError(f"cannot load the TLS certificate {cert!r} with key {key or cert!r}: {err}") from None
    return context


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tls_key and not args.tls_cert:
        parser.error("--tls-key needs --tls-cert")
    if args.max_queued_total < 0x50004:
        parser.error(f"--max-queued-total must hold at least one maximal frame (327684 bytes), got {args.max_queued_total}")
    logs = _configure_logging(args.quiet, args.verbose, args.log_format)
    try:
        return _main(args, logs)
    finally:
        logs.close(timeout=1.0)  # a stderr nobody reads must not keep the process from ending


def _main(args: argparse.Namespace, logs: logqueue.InstalledLog) -> int:
    tune_gc()  # the process's garbage-collector setting (tsp/gcpolicy.py)
    try:
        scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
        clock = make_clock(args.clock, args.speed)
        config = ServerConfig(
            control=args.control,
            max_connections=args.max_conn,
            read_timeout=args.read_timeout,
            max_queued_bytes=max(args.max_queued, 0x50004),
            max_in_flight=args.max_in_flight,
            max_apps_per_connection=args.max_apps,
            max_lines_per_connection=args.max_lines,
            max_agents=args.max_agents,
            max_lines_total=args.max_lines_total,
            max_queued_total=args.max_queued_total,
            ssl_context=server_ssl_context(args.tls_cert, args.tls_key) if args.tls_cert else None,
        )
        cdr = _open_cdr(args.cdr, scenario) if args.cdr else None
        server = EmulatorServer(scenario, clock, config, cdr=cdr)
        formatter = logs.handler.formatter
        if isinstance(formatter, (JsonLogFormatter, TextLogFormatter)):
            formatter.switch_time = _switch_time_of(server)
    except ScenarioError as err:
        print(f"tsp: bad scenario: {err}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except (ClockError, FaultError, ValueError) as err:
        print(f"tsp: {err}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    try:
        return _run(args, logs, scenario, server)
    finally:
        if server.cdr is not None:
            server.cdr.close(timeout=5.0)
            log.info("CDR %s: %d call records written", server.cdr.path, server.cdr.written)


def _open_cdr(path: str, scenario: Scenario) -> CdrWriter:
    try:
        return CdrWriter(path, scenario)
    except OSError as err:
        raise ValueError(f"cannot write the CDR file {path!r}: {err.strerror or err}") from None


def _run(args: argparse.Namespace, logs: logqueue.InstalledLog, scenario: Scenario, server: EmulatorServer) -> int:
    if args.clock == "manual" and not args.control:
        log.warning("the manual clock only moves by EmuAdvanceClock, which needs --control: time will stand still")
    log.info(
        "scenario %r: %d lines, %d groups, %d agents; clock %s%s; control %s; TLS %s",
        scenario.switch.name, scenario.switch.lines, len(scenario.groups), len(scenario.agents), args.clock,
        f" x{args.speed:g}" if args.clock == "real" and args.speed != 1 else "", "on" if args.control else "off",
        "on" if args.tls_cert else "off",
    )
    try:
        failure = trio.run(_serve, server, args.host, args.port, args.web, args.control)
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        failure = None
    if failure:
        logs.close(timeout=1.0)  # the lines logged so far first, then the reason
        print(f"tsp: {failure}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_SERVE
    log.info("stopped")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
