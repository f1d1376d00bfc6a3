"""Command line: parses arguments and calls `app`; no logic of its own."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fairwatch import __version__, config, server, supervisor
from fairwatch.access import (
    KIOSK_DAYS,
    NAME_RE,
    RevocationMarker,
    create_kiosk,
    create_token,
    parse_role,
    revoke_kiosk,
    revoke_token,
    save_user,
    set_user_disabled,
)
from fairwatch.app import App, open_store
from fairwatch.clock import SystemClock
from fairwatch.console.kiosk import claim_url
from fairwatch.console.routes import PEOPLE_ONLY
from fairwatch.errors import ConfigError, Conflict, InvalidInput, NotFound, Problem, StoreUnavailable
from fairwatch.field import FieldDesk, link
from fairwatch.field.service import field_link
from fairwatch.model import Role
from fairwatch.settings import Settings, from_env
from fairwatch.store import SqlStore, Txn
from fairwatch.taxonomy import check_taxonomy_file
from fairwatch.transparency import retention
from fairwatch.transparency import verify as witness_verify
from fairwatch.transparency.logcheck import check_chains, check_store, has_chains, verification_key
from fairwatch.welfare import retention as short_retention
from fairwatch.welfare.photos import PhotoFiles

cli = typer.Typer(
    help="Fairwatch: an alarm platform for control rooms that cannot be turned against people.",
    no_args_is_help=True,
    add_completion=False,
)
rules_cli = typer.Typer(help="Rule files.", no_args_is_help=True)
token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
cli.add_typer(rules_cli, name="rules")
cli.add_typer(token_cli, name="token")
cli.add_typer(audit_cli, name="audit")
taxonomy_cli = typer.Typer(
    help="Alarm types: the built-in catalogue and site additions.", no_args_is_help=True
)
cli.add_typer(taxonomy_cli, name="taxonomy")
transparency_cli = typer.Typer(help="Witness a deployment's public export.", no_args_is_help=True)
cli.add_typer(transparency_cli, name="transparency")
field_cli = typer.Typer(help="Field units and their phones' one-time sign-in links.", no_args_is_help=True)
cli.add_typer(field_cli, name="field")
user_cli = typer.Typer(help="Console users (people who sign in to the web console).", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
kiosk_cli = typer.Typer(
    help="Kiosk (wall display) sessions: read-only, long-lived, revocable.", no_args_is_help=True
)
cli.add_typer(kiosk_cli, name="kiosk")

T = TypeVar("T")
SchemasOpt = Annotated[
    Path | None,
    typer.Option("--schemas", help="Event types added to the built-in event schemas (FAIRWATCH_SCHEMAS)."),
]

OperationsOpt = Annotated[
    Path | None,
    typer.Option(
        "--operations",
        help="Operations file: field and welfare timers (FAIRWATCH_OPERATIONS; docs/field.md).",
    ),
]


DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (FAIRWATCH_DATA).")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Store URL, e.g. postgresql+psycopg://user@host/db (FAIRWATCH_DATABASE_URL); default SQLite in --data.",
    ),
]

KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="The deployment's Ed25519 key, one file for every process of a cluster (FAIRWATCH_KEY_FILE);"
        " default <data>/keys/deployment.key.",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fairwatch {__version__}")
        raise typer.Exit()


@cli.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Fairwatch: an alarm platform for control rooms that cannot be turned against people."""


def _settings(**overrides: Any) -> Settings:
    try:
        return from_env().with_overrides(**overrides)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _store(settings: Settings) -> SqlStore:
    return _or_exit(lambda: open_store(settings))


def build_or_exit(settings: Settings) -> App:
    """Build the app, or print every configuration error and exit 2."""
    return _or_exit(lambda: App.build(settings))


def _or_exit(step: Callable[[], T]) -> T:
    """`step()`, or its start-up error as clear lines (no traceback) and exit 2."""
    try:
        return step()
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
    except StoreUnavailable as exc:
        first = str(exc).splitlines()[0]  # driver errors run on over several lines
        typer.echo(f"database: {first}: check --database-url or FAIRWATCH_DATABASE_URL", err=True)
    raise typer.Exit(2)


def _run_server(
    settings: Settings,
    banner: Callable[[App], list[str]],
    background: Callable[[App], server.Background] | None = None,
    workers: int = 1,
) -> None:
    """Lock the data, build the app, listen and serve until stopped (with `workers` HTTP processes when more than
    one); start-up errors exit 2 with one line."""
    lock = _or_exit(lambda: server.DataLock.acquire(settings))
    try:
        app = build_or_exit(settings)
        try:
            sock = _or_exit(lambda: server.bind(settings.host, settings.port))
        except typer.Exit:
            app.store.close()
            raise
        bg = background(app) if background is not None else None
        if workers > 1:
            _or_exit(lambda: supervisor.run(app, sock, banner(app), workers, bg))
        else:
            _or_exit(lambda: server.run(app, sock, banner(app), bg))
    finally:
        lock.release()


_ROLE_HELP = "all (one process, the default), edge or worker of a cluster (FAIRWATCH_ROLE)."
NatsOpt = Annotated[
    str | None,
    typer.Option("--nats", help="NATS server URLs of the cluster, comma-separated (FAIRWATCH_NATS)."),
]


def _run_edge(settings: Settings) -> None:
    """`serve --role edge`: no data lock (edges share the database and hold no state); start-up errors exit 2."""
    from fairwatch.cluster.edge import build_edge

    edge = _or_exit(lambda: build_edge(settings))
    try:
        sock = _or_exit(lambda: server.bind(settings.host, settings.port))
    except typer.Exit:
        edge.app.store.close()
        raise
    lines = [f"Fairwatch edge listening on http://{settings.host}:{settings.port}/ (NATS {settings.nats})"]
    _or_exit(lambda: server.run(edge.app, sock, lines))


def _run_worker(settings: Settings, health_port: int | None) -> None:
    """`serve --role worker`: owns cluster partitions (fairwatch.cluster.worker); /healthz only on an explicit --port."""
    from fairwatch.cluster import worker

    _or_exit(lambda: worker.run(settings, health_port))


_MQTT_HELP = (
    "MQTT broker to ingest from, like mqtt://user:pass@host:1883 or mqtts://host (FAIRWATCH_MQTT_URL)."
)
_PHASES_HELP = "Run-of-show file (phases and their rules files); replaces --rules (FAIRWATCH_PHASES)."
_FRIGATE_HELP = "Frigate NVR topic prefix on that broker, e.g. frigate (FAIRWATCH_FRIGATE_PREFIX)."


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (FAIRWATCH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FAIRWATCH_PORT).")] = None,
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
    site: Annotated[Path | None, typer.Option(help="Site file (FAIRWATCH_SITE).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file (FAIRWATCH_RULES).")] = None,
    phases: Annotated[Path | None, typer.Option(help=_PHASES_HELP)] = None,
    mqtt: Annotated[str | None, typer.Option("--mqtt", help=_MQTT_HELP)] = None,
    frigate_prefix: Annotated[str | None, typer.Option(help=_FRIGATE_HELP)] = None,
    notify: Annotated[Path | None, typer.Option(help="Notification routes file (FAIRWATCH_NOTIFY).")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Site additions to the taxonomy (FAIRWATCH_TAXONOMY).")
    ] = None,
    cards: Annotated[Path | None, typer.Option(help="Action cards file (FAIRWATCH_CARDS).")] = None,
    schemas: SchemasOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="HTTP worker processes; 0 or unset: one per core; 1: one process (FAIRWATCH_WORKERS)."
        ),
    ] = None,
    operations: OperationsOpt = None,
    role: Annotated[str | None, typer.Option("--role", help=_ROLE_HELP)] = None,
    nats: NatsOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Run the server."""
    settings = _settings(
        host=host,
        port=port,
        data=data,
        database_url=database_url,
        site=site,
        rules=rules,
        phases=phases,
        taxonomy=taxonomy,
        schemas=schemas,
        mqtt_url=mqtt,
        frigate_prefix=frigate_prefix,
        notify=notify,
        cards=cards,
        workers=workers,
        operations=operations,
        role=role,
        nats=nats,
        key_file=key_file,
    )
    if settings.role == "edge":
        _run_edge(settings)
        return
    if settings.role == "worker":
        _run_worker(
            settings,
            port if port is not None else settings.port if os.environ.get("FAIRWATCH_PORT") else None,
        )
        return
    count = supervisor.workers_for(settings)
    lines = [f"Fairwatch listening on http://{settings.host}:{settings.port}/"]
    if count > 1:
        lines.append(f"{count} HTTP workers, one writer process")
    _run_server(settings, lambda _app: lines, workers=count)


@cli.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Listen address (FAIRWATCH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FAIRWATCH_PORT).")] = None,
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
    scenario: Annotated[
        str, typer.Option(help="Simulator scenario: riverside, quiet or burst.")
    ] = "riverside",
) -> None:
    """Serve the bundled Riverside Festival with its rules and a simulator feeding it."""
    from fairwatch.sim import (
        demo_cards_path,
        demo_checklists_path,
        demo_rules_path,
        demo_site_path,
        seed_incidents,
        seed_units,
    )

    settings = _settings(host=host, port=port, data=data, database_url=database_url).with_overrides(
        site=demo_site_path(),
        rules=demo_rules_path(),
        cards=demo_cards_path(),
        field_checklists=demo_checklists_path(),
    )
    url = f"http://{settings.host}:{settings.port}"
    device: list[str] = []

    def banner(app: App) -> list[str]:
        now = SystemClock().now()
        with app.store.transaction() as txn:
            operator = create_token(txn, "demo-operator", Role.OPERATOR, "demo", now)
            device.append(create_token(txn, "demo-simulator", Role.DEVICE, "demo", now))
            console_password = secrets.token_urlsafe(12)
            save_user(txn, "operator", Role.SUPERVISOR, console_password, "demo", now)
            seed_incidents(txn, app.ctx.incidents, now)  # a few exercise incidents with log traffic
            seed_units(txn, app.ctx.field_desk, 1, now)  # field teams on duty, two on their way to incident 1
        return [
            f"Fairwatch demo (Riverside Festival) on {url}/",
            f"  console: {url}/  user: operator  password: {console_password}",
            f"  operator token: {operator}",
            f"  try: curl -H 'Authorization: Bearer {operator}' {url}/api/v1/alarms",
            f"  simulator scenario '{scenario}' is feeding events; every demo rule fires within 3 minutes.",
            f"  field units: {url}/units  (a phone's sign-in link: fairwatch field invite --unit 'Medic 2' --data ...)",
        ]

    def simulator(app: App) -> server.Background:
        from fairwatch.sim import run as run_simulator
        from fairwatch.sim import run_units

        async def both() -> object:
            clock = SystemClock()
            units = run_units(app.pipeline, app.ctx.field_desk, app.hub, clock, asyncio.sleep,
                              taxonomy=app.config.taxonomy, schemas=app.config.schemas,
                              lists=app.config.checklists)  # fmt: skip
            return await asyncio.gather(
                run_simulator(url, device[0], scenario, clock=clock, sleep=asyncio.sleep), units
            )

        return both

    _run_server(settings, banner, simulator)


@cli.command()
def simulate(
    url: Annotated[str, typer.Option(help="Base URL of a Fairwatch server.")],
    token: Annotated[str, typer.Option(help="A device token (posting events is the device permission).")],
    scenario: Annotated[str, typer.Option(help="riverside, quiet or burst.")] = "riverside",
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    seed: Annotated[int, typer.Option(help="Scenario seed (same seed, same events).")] = 1,
) -> None:
    """Feed a server with a simulated scenario until interrupted (or for --duration seconds)."""
    from fairwatch.sim import SCENARIOS, run

    if scenario not in SCENARIOS:
        typer.echo(
            f"scenario: unknown scenario {scenario!r} (expected one of {', '.join(sorted(SCENARIOS))})",
            err=True,
        )
        raise typer.Exit(2)
    stats = asyncio.run(
        run(url, token, scenario, clock=SystemClock(), sleep=asyncio.sleep, duration=duration, seed=seed)
    )
    typer.echo(f"sent {stats.sent} events in {stats.batches} batches ({stats.retries} retries)")


TaxonomyOpt = Annotated[
    Path | None,
    typer.Option("--taxonomy", help="Site additions to the built-in taxonomy (FAIRWATCH_TAXONOMY)."),
]


@rules_cli.command("check")
def rules_check(
    path: Path,
    taxonomy: TaxonomyOpt = None,
    site: Annotated[
        Path | None, typer.Option(help="Site file, for rules that name zones (FAIRWATCH_SITE).")
    ] = None,
    schemas: SchemasOpt = None,
    operations: OperationsOpt = None,
) -> None:
    """Validate a rules file against the taxonomy (and site); print every error with file:line; exit 2 when invalid.

    The files go through the same checks as in `serve`, the rights guard's included."""
    env = _settings()
    check = Settings(
        taxonomy=taxonomy or env.taxonomy, site=site or env.site, schemas=schemas or env.schemas, rules=path,
        operations=operations or env.operations,
    )  # fmt: skip
    ruleset = _or_exit(lambda: config.load(check)).rules
    typer.echo(f"{path}: {len(ruleset.rules)} rules OK")


@taxonomy_cli.command("check")
def taxonomy_check(path: Path) -> None:
    """Check a taxonomy file: one REJECTED line per refused type; exit 0 all pass, 1 any rejected, 2 malformed."""
    try:
        result = check_taxonomy_file(path)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None
    for line in result.lines():
        typer.echo(line)
    typer.echo(f"{path}: {len(result.accepted)} accepted, {len(result.rejected)} rejected", err=True)
    raise typer.Exit(result.exit_code)


@rules_cli.command("test")
def rules_test(files: Annotated[list[Path], typer.Argument(help="Rule test files (YAML).")]) -> None:
    """Run rule test files: PASS/FAIL per test; exit 1 if a test fails, 2 if a file is malformed."""
    from fairwatch.replay.command import rules_test as run_tests

    _emit(run_tests(files))


@cli.command("replay")
def replay(
    rules: Annotated[Path, typer.Option("--rules", help="The rules to replay.")],
    events: Annotated[
        Path | None, typer.Option("--events", help="JSON-lines file of events (the HTTP contract).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Replay stored events from this RFC 3339 time.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Stored events up to this RFC 3339 time (exclusive).")
    ] = None,
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
    against: Annotated[
        Path | None, typer.Option("--against", help="Rules to compare with (default FAIRWATCH_RULES).")
    ] = None,
    site: Annotated[
        Path | None, typer.Option(help="Site file the rules name zones of (FAIRWATCH_SITE).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Replay recorded events through rules with simulated time: alarms, diff and alarm-load report."""
    from fairwatch.replay.command import replay_command

    env = _settings(data=data, site=site, database_url=database_url)
    settings = replace(env, rules=rules, phases=None, notify=None)  # only what replay reads
    output = _or_exit(
        lambda: replay_command(
            settings, events=events, since=since, until=until, against=against or env.rules, json=as_json
        )
    )
    _emit(output)


@cli.command("report")
def report(
    start: Annotated[str, typer.Option("--from", help="Start of the period, RFC 3339 with a zone.")],
    end: Annotated[str, typer.Option("--to", help="End of the period (exclusive), RFC 3339 with a zone.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write (HTML, or PDF with --pdf).")],
    site: Annotated[str | None, typer.Option("--site", help="Only this site's alarms and incidents.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Write PDF (needs the fairwatch[pdf] extra).")] = False,
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """The post-event report of a period: alarm load, response times, incidents and their decisions."""
    from fairwatch.report.command import report_command

    settings = _settings(data=data, database_url=database_url)
    line = _or_exit(lambda: report_command(settings, start=start, end=end, site=site, out=out, pdf=pdf))
    typer.echo(line)


def _emit(output: Any) -> None:
    """Print a command's Output (fairwatch.replay.command) and exit with its code."""
    for line in output.out:
        typer.echo(line)
    for line in output.err:
        typer.echo(line, err=True)
    if output.code:
        raise typer.Exit(output.code)


@token_cli.command("create")
def token_create(
    role: Annotated[
        str, typer.Option(help="device, steward, viewer, welfare, operator, supervisor or admin")
    ],
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a token; prints it alone on stdout, once. Only its hash is stored."""
    settings = _settings(data=data, database_url=database_url)
    try:
        parsed = parse_role(role)
        store = _store(settings)
        with store.transaction() as txn:
            token = create_token(txn, name, parsed, "cli", SystemClock().now())
        store.close()
    except InvalidInput as exc:
        for p in exc.problems:
            typer.echo(f"{p.field}: {p.message} (got {p.value!r})", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)


@user_cli.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="Sign-in name: letters, digits, _ . @ -")],
    role: Annotated[str, typer.Option(help="viewer, welfare, operator, supervisor or admin")],
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a console user, or give an existing one a new password and role (clears a sign-in lockout).

    The password is read from stdin when stdin is not a terminal; otherwise it is asked for twice."""
    settings = _settings(data=data, database_url=database_url)
    try:
        parsed = parse_role(role)
        if parsed in PEOPLE_ONLY:
            raise InvalidInput([Problem("role", role, PEOPLE_ONLY[parsed])], "invalid role")
        password = _read_password()
        store = _store(settings)
        try:
            existing = store.get_user(name) if NAME_RE.match(name) else None
            disabled = existing is not None and existing.disabled  # a new password does not re-enable
            with store.transaction() as txn:
                save_user(txn, name, parsed, password, "cli", SystemClock().now(), disabled)
        finally:
            store.close()
    except InvalidInput as exc:
        for p in exc.problems:
            typer.echo(f"{p.field}: {p.message} (got {p.value!r})", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {name} saved with role {parsed.value}")


@token_cli.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name; every live token of that name is revoked.")],
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Revoke a token: a running server on this data directory refuses it on its next request (elsewhere within
    `token_cache_seconds`) and ends its streams."""
    count = _access_change(data, database_url, lambda txn, now: len(revoke_token(txn, name, "cli", now)))
    typer.echo(f"token {name} revoked ({count} token{'s' if count != 1 else ''})")


@user_cli.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Disable a console user: their sessions end at once and they cannot sign in until enabled."""
    _access_change(data, database_url, lambda txn, now: set_user_disabled(txn, name, True, "cli", now))
    typer.echo(f"user {name} disabled")


@user_cli.command("enable")
def user_enable(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Enable a disabled console user (they sign in again; old sessions stay ended)."""
    _access_change(data, database_url, lambda txn, now: set_user_disabled(txn, name, False, "cli", now))
    typer.echo(f"user {name} enabled")


@kiosk_cli.command("create")
def kiosk_create(
    name: Annotated[str, typer.Option(help="The display's name: letters, digits, _ . @ -")],
    days: Annotated[int, typer.Option(help="How long the display stays signed in (1-365).")] = KIOSK_DAYS,
    url: Annotated[
        str | None,
        typer.Option(help="The server's address as the display reaches it; default http://HOST:PORT."),
    ] = None,
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Make a kiosk; prints its one-time link alone on stdout (open it on the display within a day)."""
    settings = _settings(data=data, database_url=database_url)
    code = _access_change(data, database_url, lambda txn, now: create_kiosk(txn, name, days, "cli", now))
    typer.echo(claim_url(url or f"http://{settings.host}:{settings.port}", code))


@kiosk_cli.command("revoke")
def kiosk_revoke(
    name: Annotated[str, typer.Argument(help="The display's name.")],
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Revoke a kiosk: its display is signed out at its next request, and its live stream within a heartbeat."""
    _access_change(data, database_url, lambda txn, now: revoke_kiosk(txn, name, "cli", now))
    typer.echo(f"kiosk {name} revoked")


def _access_change(data: Path | None, database_url: str | None, change: Callable[[Txn, float], T]) -> T:
    """Run one audited access change in a transaction; a bad name or unknown token/user exits 2 with one line.
    Once committed, the revocation marker tells a server on the same data directory to drop its token cache."""
    settings = _settings(data=data, database_url=database_url)
    store = _store(settings)
    try:
        with store.transaction() as txn:
            result = change(txn, SystemClock().now())
        RevocationMarker.in_data(settings.data).touch()
        return result
    except InvalidInput as exc:
        for p in exc.problems:
            typer.echo(f"{p.field}: {p.message} (got {p.value!r})", err=True)
        raise typer.Exit(2) from None
    except (NotFound, Conflict) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()


@field_cli.command("invite")
def field_invite(
    unit: Annotated[str, typer.Option("--unit", help="The unit's name; created when there is none.")],
    kind: Annotated[
        str | None, typer.Option("--kind", help="steward, security, medic, fire or police_liaison")
    ] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", help="How long the link works (default 12).")
    ] = None,
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Make a one-time sign-in link for a unit's phone; prints the link alone on stdout. It works once."""
    settings = _settings(data=data, database_url=database_url)
    store = _store(settings)
    desk = FieldDesk(invite_hours=settings.field_invite_hours)
    try:
        with store.transaction() as txn:
            code, _invite = field_link(txn, desk, unit, kind, hours, SystemClock().now())
    except InvalidInput as exc:
        for p in exc.problems:
            typer.echo(f"{p.field}: {p.message} (got {p.value!r})", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    typer.echo(link(code, settings.field_link_base))


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


_PUBLIC_KEY_HELP = "Check signatures with this base64 Ed25519 public key instead of the deployment key file."


@audit_cli.command("verify")
def audit_verify(
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
    public_key: Annotated[str | None, typer.Option("--public-key", help=_PUBLIC_KEY_HELP)] = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Verify the hash chain and every signed checkpoint; name truncation, rewrite and the first bad seq.
    A cluster's log: every chain (one per partition plus _global) and every signed root over their heads.
    Exit 1 when the log was tampered with."""
    settings = _settings(data=data, database_url=database_url, key_file=key_file)
    try:
        key, source = verification_key(settings, public_key)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None
    store = _store(settings)
    try:
        if has_chains(store):
            _verify_chains(store, key, source)
            return
        report = check_store(store, key, source)
    finally:
        store.close()
    if report.ok:
        typer.echo(report.summary())
        return
    for problem in report.problems:
        typer.echo(f"audit log BROKEN: {problem}", err=True)
    raise typer.Exit(1)


def _verify_chains(store: SqlStore, key: Ed25519PublicKey | None, source: str) -> None:
    """`audit verify` on a cluster's log: one line per chain, then the verdict; exit 1 naming chain and seq."""
    report = check_chains(store, key, source)
    problems = list(report.problems)
    if store.list_checkpoints():  # checkpoints of the single process's chain, from before the cluster
        problems += [f"chain (single): {p}" for p in check_store(store, key, source).problems]
    for chain, line in zip(report.chains, report.lines(), strict=True):
        if chain.ok:
            typer.echo(line)
    if not problems:
        typer.echo(report.summary())
        return
    for problem in problems:
        typer.echo(f"audit log BROKEN: {problem}", err=True)
    raise typer.Exit(1)


@cli.command()
def purge(
    data: DataOpt = None,
    database_url: DatabaseOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
) -> None:
    """Delete events and resolved alarms older than their retention (audited as `events-purged`), and closed
    welfare cases and scene photos older than theirs (audited as `short-retention-purged`)."""
    settings = _settings(data=data, database_url=database_url)
    store = _store(settings)
    now = SystemClock().now()
    cutoffs = retention.Cutoffs.at(settings, now)
    short_cutoffs = short_retention.ShortCutoffs.at(settings, now)
    try:
        if dry_run:
            short = short_retention.dry_run(store, short_cutoffs)
            report = retention.dry_run(store, cutoffs)
        else:
            with store.transaction() as txn:
                short = short_retention.purge(txn, short_cutoffs, actor="cli")
            PhotoFiles(settings.data / "photos").remove(short.photos)  # once their rows are gone
            with store.transaction() as txn:
                report = retention.purge(txn, cutoffs, actor="cli")
    finally:
        store.close()
    typer.echo(retention.describe(report, dry=dry_run))
    typer.echo(short_retention.describe(short, dry=dry_run))


_TRUST_HELP = "A deployment public key (base64) or key id to trust, e.g. a new key it announced; repeatable."
_PIN_HELP = "First run only: create the witness state and pin the key the export publishes."
FLAGGED_EXIT = 3


@transparency_cli.command("verify")
def transparency_verify(
    url: Annotated[str, typer.Argument(help="Base URL, or the URL of /.well-known/alarm-taxonomy.json.")],
    witness: Annotated[Path, typer.Option("--witness", help="Where this witness keeps what it saw.")],
    trust_key: Annotated[list[str] | None, typer.Option("--trust-key", help=_TRUST_HELP)] = None,
    pin: Annotated[bool, typer.Option("--pin", help=_PIN_HELP)] = False,
) -> None:
    """Check a deployment's signed export against what this witness saw before. Exit 1 naming what is wrong;
    exit 3 when it verifies but changes were flagged (a type or rule redefined, a status change ...)."""
    report = witness_verify(url, witness, trust_keys=trust_key or (), pin=pin)
    if report.ok:
        typer.echo(report.summary)
        for flag in report.flags:
            typer.echo(f"FLAGGED: {flag}")
        if report.flags:
            raise typer.Exit(FLAGGED_EXIT)
        return
    for problem in report.problems:
        typer.echo(f"FAILED: {problem}", err=True)
    raise typer.Exit(1)


cluster_cli = typer.Typer(
    help="A cluster on NATS JetStream and PostgreSQL: set it up, see its partitions (docs/deploy.md).",
    no_args_is_help=True,
)
cli.add_typer(cluster_cli, name="cluster")


@cluster_cli.command("init")
def cluster_init(nats: NatsOpt = None, database_url: DatabaseOpt = None, key_file: KeyFileOpt = None) -> None:
    """Create the streams, key-value buckets, the schema and (if FILE does not exist) the deployment key;
    idempotent: prints what it made."""
    from fairwatch.cluster import status as cluster_status

    settings = _settings(nats=nats, database_url=database_url, key_file=key_file)
    made = _or_exit(lambda: asyncio.run(cluster_status.init(settings)))
    for line in made:
        typer.echo(f"made {line}")
    typer.echo("cluster ready" if made else "cluster ready: nothing to make")


@cluster_cli.command("status")
def cluster_status_command(
    nats: NatsOpt = None,
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Partitions, their owners and epochs, lag and last commit."""
    from fairwatch.cluster import status as cluster_status

    settings = _settings(nats=nats, database_url=database_url)
    rows = _or_exit(lambda: asyncio.run(cluster_status.status(settings)))
    if as_json:
        typer.echo(cluster_status.as_json(rows))
        return
    from rich.console import Console as RichConsole
    from rich.table import Table

    table = Table("partition", "site", "owner", "epoch", "lag", "last seq", "committed")
    for r in rows:
        at = "-" if r.committed_at is None else _rfc3339(r.committed_at)
        table.add_row(
            r.partition,
            r.site or "-",
            r.owner or "(none)",
            "-" if r.epoch is None else str(r.epoch),
            "-" if r.lag is None else str(r.lag),
            "-" if r.last_seq is None else str(r.last_seq),
            at,
        )
    RichConsole(width=120).print(table)
    if not rows:
        typer.echo("no partitions yet: no edge has published an event")


_CLUSTER_ROOT = Path("build/cluster")


@cluster_cli.command("up")
def cluster_up(
    root: Annotated[Path, typer.Option(help="Where the cluster's state, data and logs go.")] = _CLUSTER_ROOT,
    port: Annotated[
        int, typer.Option(help="The first edge's port; the second edge takes the next one.")
    ] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 3,
) -> None:
    """Start a local cluster on loopback: 3 NATS nodes, a throwaway PostgreSQL, 2 edges, workers and the
    Riverside simulator (`make cluster`); prints the console URLs."""
    from fairwatch.cluster import local

    _or_exit(lambda: local.up(root, port=port, workers=workers, say=typer.echo))


@cluster_cli.command("down")
def cluster_down(
    root: Annotated[Path, typer.Option(help="The folder `cluster up` used.")] = _CLUSTER_ROOT,
) -> None:
    """Stop everything `cluster up` started (`make cluster-stop`) and remove its throwaway data."""
    from fairwatch.cluster import local

    local.down(root, say=typer.echo)


def _rfc3339(when: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(when, datetime.UTC).isoformat(timespec="seconds")


def main() -> None:
    """Entry point of the `fairwatch` command."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the simulator's every POST is not news
    cli()
