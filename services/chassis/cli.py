"""The ``aira`` command: run the whole system, migrate, check status, serve one part.

- ``aira up``: embedded PostgreSQL and NATS (unless AIRA_DATABASE_URL / AIRA_NATS_URL are set),
  migrations, the seven services and the gateway under a supervisor; Ctrl-C stops everything.
- ``aira migrate``: create roles and schemas and run every service's migrations.
- ``aira status``: health of the database, NATS, each service and the gateway.
- ``aira serve <service|gateway>``: one process, as a Kubernetes pod runs it.
- ``aira revision <service> -m "…"``: autogenerate a migration for a service.
- ``aira mail [N]``: the development mailbox (mail sent without ``AIRA_SMTP_URL``); N shows one message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.chassis import log as logsetup
from services.chassis.keys import SecretKey, ensure_keys
from services.chassis.migrations import migrate_all, new_revision
from services.chassis.runtime.embedded_nats import EmbeddedNats
from services.chassis.runtime.embedded_postgres import EmbeddedPostgres
from services.chassis.runtime.supervisor import ProcessSpec, Supervisor
from services.chassis.service import stop_on_signals
from services.chassis.settings import SERVICES, Settings

DATABASE_NAME = "aira"
READY_TIMEOUT_SECONDS = 90.0


def _say(message: str) -> None:
    print(message, flush=True)


def embedded_postgres(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(data_dir=settings.home / "postgres", port=settings.pg_port)


def embedded_nats(settings: Settings) -> EmbeddedNats:
    return EmbeddedNats(store_dir=settings.home / "nats", port=settings.nats_port)


def with_infrastructure(settings: Settings) -> Settings:
    """``settings`` with the embedded database and NATS URLs filled in where none were given."""
    updates: dict[str, str] = {}
    if not settings.database_url:
        updates["database_url"] = embedded_postgres(settings).url(DATABASE_NAME)
    if not settings.nats_url:
        updates["nats_url"] = embedded_nats(settings).url
    return settings.model_copy(update=updates)


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Settings]:
    """Settings with a reachable database: the configured one, or the embedded one (started if idle)."""
    if settings.database_url:
        yield settings
        return
    pg = embedded_postgres(settings)
    process = None
    try:
        await pg.wait_ready(timeout=0.5)
    except TimeoutError:
        process = pg.popen(settings.home / "logs" / "postgres.log")
        await pg.wait_ready()
    try:
        await pg.ensure_database(DATABASE_NAME)
        yield settings.model_copy(update={"database_url": pg.url(DATABASE_NAME)})
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            await asyncio.to_thread(process.wait, 30)


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["AIRA_HOME"] = str(settings.home)
    env["AIRA_DATABASE_URL"] = settings.database_url or ""
    env["AIRA_NATS_URL"] = settings.nats_url or ""
    return env


def _serve_argv(name: str) -> list[str]:
    return [sys.executable, "-m", "services.chassis.cli", "serve", name]


async def _wait_gateway(settings: Settings) -> dict:
    """The gateway's readiness report once everything is ready (or the last one at the timeout)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_SECONDS
    report: dict = {}
    while loop.time() < deadline:
        code, report = await asyncio.to_thread(_get_json, f"{settings.gateway_url}/readyz")
        if code == 200:
            return report
        await asyncio.sleep(0.5)
    return report


def _get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError):
        return 0, {}


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def busy_ports(settings: Settings) -> list[str]:
    """The ports ``aira up`` needs that something else already listens on."""
    wanted = [("gateway", settings.gateway_host, settings.gateway_port)]
    wanted += [(name, *settings.grpc_listen_address(name).rsplit(":", 1)) for name in SERVICES]
    if not settings.database_url:
        wanted.append(("postgres", "127.0.0.1", settings.pg_port))
    if not settings.nats_url:
        wanted.append(("nats", "127.0.0.1", settings.nats_port))
    return [
        f"{name} port {port}"
        for name, host, port in wanted
        if _port_in_use("127.0.0.1" if host in ("0.0.0.0", "::") else host, int(port))
    ]


async def up(settings: Settings) -> int:
    """Run everything until SIGINT/SIGTERM."""
    if busy := busy_ports(settings):
        _say("cannot start: in use already: " + ", ".join(busy))
        _say("is Aira running already? (`aira status`) Ports are set by AIRA_*_PORT settings.")
        return 1
    settings.home.mkdir(parents=True, exist_ok=True)
    ensure_keys(settings.keys_path)
    supervisor = Supervisor(settings.home / "logs")
    stop = stop_on_signals()

    async def start() -> None:
        if not settings.database_url:
            pg = embedded_postgres(settings)
            await asyncio.to_thread(pg.initialise)
            await supervisor.start(
                ProcessSpec("postgres", pg.command(), run_as=pg.as_user(), stop_signal=signal.SIGINT)
            )
            await pg.wait_ready()
            await pg.ensure_database(DATABASE_NAME)
            _say(f"postgres  embedded on 127.0.0.1:{settings.pg_port} (data in {pg.data_dir})")
        if not settings.nats_url:
            nats_server = embedded_nats(settings)
            await supervisor.start(ProcessSpec("nats", nats_server.command()))
            await nats_server.wait_ready()
            _say(f"nats      embedded on 127.0.0.1:{settings.nats_port} (JetStream in {nats_server.store_dir})")
        ready = with_infrastructure(settings)
        await migrate_all(ready, SecretKey.load(settings.keys_path))
        _say("migrated  " + ", ".join(SERVICES))
        env = _child_env(ready)
        for name in SERVICES:
            await supervisor.start(ProcessSpec(name, _serve_argv(name), env=env))
        await supervisor.start(ProcessSpec("gateway", _serve_argv("gateway"), env=env))
        report = await _wait_gateway(settings)
        if report.get("status") == "ready":
            _say(f"\nAira is up: {settings.gateway_url}  (API docs at {settings.gateway_url}/docs)")
        else:
            _say(f"\nAira started but is not ready yet: {json.dumps(report)}")
        _say(f"logs in {settings.home / 'logs'}; Ctrl-C stops everything")

    starting = asyncio.create_task(start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done() and starting.exception() is not None:
            raise starting.exception()  # type: ignore[misc]
        await stopping
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        _say("stopping…")
        await supervisor.stop_all([["gateway"], list(SERVICES), ["nats"], ["postgres"]])
        _say("stopped")
    return 0


async def migrate(settings: Settings) -> int:
    ensure_keys(settings.keys_path)
    async with database(settings) as ready:
        await migrate_all(ready, SecretKey.load(settings.keys_path))
    _say("migrated " + ", ".join(SERVICES))
    return 0


async def revision(settings: Settings, service: str, message: str) -> int:
    ensure_keys(settings.keys_path)
    async with database(settings) as ready:
        secret = SecretKey.load(settings.keys_path)
        await migrate_all(ready, secret)
        await new_revision(ready, service, message)
    return 0


async def _check_grpc(target: str) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        except grpc.aio.AioRpcError as exc:
            return f"unreachable ({exc.code().name})"
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


async def _check_postgres(settings: Settings) -> str:
    import asyncpg

    from services.chassis.db import admin_url, asyncpg_connect_kwargs

    try:
        conn = await asyncpg.connect(**asyncpg_connect_kwargs(admin_url(settings)), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"unreachable ({exc})"
    try:
        return "ok (" + (await conn.fetchval("SHOW server_version")) + ")"
    finally:
        await conn.close()


async def _check_nats(settings: Settings) -> str:
    import nats

    try:
        nc = await nats.connect(settings.nats_url, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=0)
    except Exception as exc:  # any failure is the answer
        return f"unreachable ({type(exc).__name__})"
    try:
        info = await nc.jetstream().account_info()
        return f"ok (JetStream, {info.streams} streams)"
    except Exception as exc:
        return f"no JetStream ({type(exc).__name__})"
    finally:
        await nc.close()


async def status(settings: Settings) -> int:
    """Print the health of every part; exit 0 only when all are healthy."""
    settings = with_infrastructure(settings)
    rows: list[tuple[str, str]] = [
        ("postgres", await _check_postgres(settings)),
        ("nats", await _check_nats(settings)),
    ]
    for name in SERVICES:
        rows.append((name, await _check_grpc(settings.grpc_target(name))))
    code, report = await asyncio.to_thread(_get_json, f"{settings.gateway_url}/readyz")
    rows.append(
        ("gateway", f"{report.get('status', 'unreachable')} ({settings.gateway_url})" if code else "unreachable")
    )
    width = max(len(name) for name, _ in rows)
    healthy = True
    for name, state in rows:
        ok = state.startswith(("ok", "SERVING", "ready"))
        healthy &= ok
        _say(f"{'✓' if ok else '✗'} {name.ljust(width)}  {state}")
    return 0 if healthy else 1


def mail(settings: Settings, number: int | None, to: str | None) -> int:
    """List the development mailbox, newest first, or print message ``number`` in full."""
    import email
    import email.policy

    from services.chassis.mail import FileMailbox

    messages = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in reversed(FileMailbox(settings.mailbox_path, "").messages())
    ]
    if to:
        messages = [m for m in messages if to.lower() in str(m["To"]).lower()]
    if not messages:
        _say(f"no mail in {settings.mailbox_path}" + (f" to {to}" if to else ""))
        return 0
    if number is None:
        for index, message in enumerate(messages, start=1):
            _say(f"{index:>3}  {message['Date'] or '':31}  {message['To']!s:32}  {message['Subject']}")
        return 0
    if not 1 <= number <= len(messages):
        _say(f"there are {len(messages)} messages; choose 1-{len(messages)}")
        return 1
    message = messages[number - 1]
    _say(f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n")
    _say(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    return 0


def serve(name: str) -> int:
    """Run one service or the gateway in this process."""
    if name == "gateway":
        importlib.import_module("gateway.__main__").main()
        return 0
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; choose from gateway, {', '.join(SERVICES)}")
    module = importlib.import_module(f"services.{name}.__main__")
    module.main()
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="aira", description="Aira: AI product management platform")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole system until Ctrl-C")
    commands.add_parser("migrate", help="create schemas and roles and run all migrations")
    commands.add_parser("status", help="health of every part")
    serve_parser = commands.add_parser("serve", help="run one service or the gateway")
    serve_parser.add_argument("name", choices=["gateway", *SERVICES])
    revision_parser = commands.add_parser("revision", help="autogenerate a migration for a service")
    revision_parser.add_argument("service", choices=SERVICES)
    revision_parser.add_argument("-m", "--message", required=True)
    mail_parser = commands.add_parser("mail", help="read the development mailbox")
    mail_parser.add_argument("number", nargs="?", type=int, help="show message N (1 = newest)")
    mail_parser.add_argument("--to", help="only messages to this address")
    args = parser.parse_args(argv)

    if args.command == "serve":
        sys.exit(serve(args.name))
    settings = Settings()
    # The plain asyncio loop: uvloop's subprocesses cannot switch user (needed for PostgreSQL under root).
    logsetup.configure("aira", settings.log_level, "text")
    if args.command == "mail":
        sys.exit(mail(settings, args.number, args.to))
    if args.command == "up":
        code = asyncio.run(up(settings))
    elif args.command == "migrate":
        code = asyncio.run(migrate(settings))
    elif args.command == "status":
        code = asyncio.run(status(settings))
    else:
        code = asyncio.run(revision(settings, args.service, args.message))
    sys.exit(code)


if __name__ == "__main__":
    main()
