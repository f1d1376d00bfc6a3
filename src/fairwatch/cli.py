"""Command line: parses arguments and calls `app`; no logic of its own."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from fairwatch.access import create_token, parse_role, save_user
from fairwatch.app import App
from fairwatch.clock import SystemClock
from fairwatch.errors import ConfigError, InvalidInput, PolicyViolation, Problem
from fairwatch.model import Role
from fairwatch.rules import load_rules
from fairwatch.settings import Settings, from_env
from fairwatch.site import load_site
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.taxonomy import Taxonomy, check_taxonomy_file
from fairwatch.transparency import retention
from fairwatch.transparency import verify as witness_verify
from fairwatch.transparency.logcheck import check_store, verification_key

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
user_cli = typer.Typer(help="Console users (people who sign in to the web console).", no_args_is_help=True)
cli.add_typer(user_cli, name="user")

DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (FAIRWATCH_DATA).")]


def _settings(**overrides: Any) -> Settings:
    try:
        return from_env().with_overrides(**overrides)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _store(settings: Settings) -> SqlStore:
    settings.data.mkdir(parents=True, exist_ok=True)
    return SqlStore(settings.database_url or sqlite_url(settings.data))


def serve_app(app: App, host: str, port: int, banner: list[str] | None = None) -> None:
    """Run `app` under uvicorn until interrupted."""
    config = uvicorn.Config(
        app.entry, host=host, port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    for line in banner or []:
        typer.echo(line)
    _run_server_loop(server.serve())


def _run_server_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the server on uvloop when it is installed (uvicorn[standard] brings it): faster socket I/O than the
    default selector loop; `uvicorn.run` would choose it too, but we drive `Server.serve` ourselves."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency through uvicorn[standard]
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def build_or_exit(settings: Settings) -> App:
    """Build the app, or print every configuration error and exit 2."""
    try:
        return App.build(settings)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None


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
    site: Annotated[Path | None, typer.Option(help="Site file (FAIRWATCH_SITE).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file (FAIRWATCH_RULES).")] = None,
    phases: Annotated[Path | None, typer.Option(help=_PHASES_HELP)] = None,
    mqtt: Annotated[str | None, typer.Option("--mqtt", help=_MQTT_HELP)] = None,
    frigate_prefix: Annotated[str | None, typer.Option(help=_FRIGATE_HELP)] = None,
    notify: Annotated[Path | None, typer.Option(help="Notification routes file (FAIRWATCH_NOTIFY).")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Site additions to the taxonomy (FAIRWATCH_TAXONOMY).")
    ] = None,
) -> None:
    """Run the server."""
    settings = _settings(
        host=host,
        port=port,
        data=data,
        site=site,
        rules=rules,
        phases=phases,
        taxonomy=taxonomy,
        mqtt_url=mqtt,
        frigate_prefix=frigate_prefix,
        notify=notify,
    )
    app = build_or_exit(settings)
    serve_app(
        app, settings.host, settings.port, [f"Fairwatch listening on http://{settings.host}:{settings.port}/"]
    )


@cli.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Listen address (FAIRWATCH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FAIRWATCH_PORT).")] = None,
    data: DataOpt = None,
    scenario: Annotated[
        str, typer.Option(help="Simulator scenario: riverside, quiet or burst.")
    ] = "riverside",
) -> None:
    """Serve the bundled Riverside Festival with its rules and a simulator feeding it."""
    from fairwatch.sim import demo_rules_path, demo_site_path

    settings = _settings(host=host, port=port, data=data).with_overrides(
        site=demo_site_path(), rules=demo_rules_path()
    )
    app = build_or_exit(settings)
    now = SystemClock().now()
    with app.store.transaction() as txn:
        operator = create_token(txn, "demo-operator", Role.OPERATOR, "demo", now)
        device = create_token(txn, "demo-simulator", Role.DEVICE, "demo", now)
        console_password = secrets.token_urlsafe(12)
        save_user(txn, "operator", Role.SUPERVISOR, console_password, "demo", now)
    url = f"http://{settings.host}:{settings.port}"
    banner = [
        f"Fairwatch demo (Riverside Festival) on {url}/",
        f"  console: {url}/  user: operator  password: {console_password}",
        f"  operator token: {operator}",
        f"  try: curl -H 'Authorization: Bearer {operator}' {url}/api/v1/alarms",
        f"  simulator scenario '{scenario}' is feeding events; every demo rule fires within 3 minutes.",
    ]
    _run_server_loop(_serve_with_simulator(app, settings.host, settings.port, url, device, scenario, banner))


async def _serve_with_simulator(
    app: App, host: str, port: int, url: str, token: str, scenario: str, banner: list[str]
) -> None:
    from fairwatch.sim import run as run_simulator

    config = uvicorn.Config(
        app.entry, host=host, port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            return
        await asyncio.sleep(0.05)
    for line in banner:
        typer.echo(line)
    stop = asyncio.Event()
    sim = asyncio.create_task(
        run_simulator(url, token, scenario, clock=SystemClock(), sleep=asyncio.sleep, stop=stop)
    )
    await serving
    stop.set()
    sim.cancel()


@cli.command()
def simulate(
    url: Annotated[str, typer.Option(help="Base URL of a Fairwatch server.")],
    token: Annotated[str, typer.Option(help="A token of role device or higher.")],
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


def _taxonomy_or_exit(path: Path | None) -> Taxonomy:
    try:
        return Taxonomy.from_file(path) if path else Taxonomy.builtin()
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
    except PolicyViolation as exc:
        for problem in exc.problems:
            typer.echo(f"{path}: {problem}", err=True)
    raise typer.Exit(2)


@rules_cli.command("check")
def rules_check(
    path: Path,
    taxonomy: TaxonomyOpt = None,
    site: Annotated[
        Path | None, typer.Option(help="Site file, for rules that name zones (FAIRWATCH_SITE).")
    ] = None,
) -> None:
    """Validate a rules file against the taxonomy (and site); print every error with file:line; exit 2 when invalid."""
    settings = _settings()
    known = _taxonomy_or_exit(taxonomy or settings.taxonomy)
    try:
        site_path = site or settings.site
        ruleset = load_rules(path, known.is_active, load_site(site_path) if site_path else None)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None
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

    settings = _settings(data=data, site=site)
    try:
        output = replay_command(
            rules,
            events=events,
            since=since,
            until=until,
            data=settings.data,
            against=against or settings.rules,
            json=as_json,
            site=settings.site,
        )
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None
    _emit(output)


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
    role: Annotated[str, typer.Option(help="device, viewer, operator, supervisor or admin")],
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    data: DataOpt = None,
) -> None:
    """Create a token; prints it alone on stdout, once. Only its hash is stored."""
    settings = _settings(data=data)
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
    role: Annotated[str, typer.Option(help="viewer, operator, supervisor or admin")],
    data: DataOpt = None,
) -> None:
    """Create a console user, or give an existing one a new password and role (clears a sign-in lockout).

    The password is read from stdin when stdin is not a terminal; otherwise it is asked for twice."""
    settings = _settings(data=data)
    try:
        parsed = parse_role(role)
        if parsed is Role.DEVICE:
            raise InvalidInput([Problem("role", role, "is for API tokens, not people")], "invalid role")
        password = _read_password()
        store = _store(settings)
        try:
            with store.transaction() as txn:
                save_user(txn, name, parsed, password, "cli", SystemClock().now())
        finally:
            store.close()
    except InvalidInput as exc:
        for p in exc.problems:
            typer.echo(f"{p.field}: {p.message} (got {p.value!r})", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {name} saved with role {parsed.value}")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


_PUBLIC_KEY_HELP = "Check signatures with this base64 Ed25519 public key instead of the deployment key file."


@audit_cli.command("verify")
def audit_verify(
    data: DataOpt = None,
    public_key: Annotated[str | None, typer.Option("--public-key", help=_PUBLIC_KEY_HELP)] = None,
) -> None:
    """Verify the hash chain and every signed checkpoint; name truncation, rewrite and the first bad seq.
    Exit 1 when the log was tampered with."""
    settings = _settings(data=data)
    try:
        key, source = verification_key(settings, public_key)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None
    store = _store(settings)
    try:
        report = check_store(store, key, source)
    finally:
        store.close()
    if report.ok:
        typer.echo(report.summary())
        return
    for problem in report.problems:
        typer.echo(f"audit log BROKEN: {problem}", err=True)
    raise typer.Exit(1)


@cli.command()
def purge(
    data: DataOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
) -> None:
    """Delete events and resolved alarms older than their retention; audited as `events-purged`."""
    settings = _settings(data=data)
    store = _store(settings)
    cutoffs = retention.Cutoffs.at(settings, SystemClock().now())
    try:
        if dry_run:
            report = retention.dry_run(store, cutoffs)
        else:
            with store.transaction() as txn:
                report = retention.purge(txn, cutoffs, actor="cli")
    finally:
        store.close()
    typer.echo(retention.describe(report, dry=dry_run))


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


def main() -> None:
    """Entry point of the `fairwatch` command."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the simulator's every POST is not news
    cli()
