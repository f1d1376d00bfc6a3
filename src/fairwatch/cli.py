"""Command line: parses arguments and calls `app`; no logic of its own."""

from __future__ import annotations

import asyncio
import logging
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from fairwatch.access import create_token, parse_role
from fairwatch.app import App
from fairwatch.audit import verify_chain
from fairwatch.clock import SystemClock
from fairwatch.errors import ConfigError, InvalidInput
from fairwatch.model import Role
from fairwatch.rules import load_rules
from fairwatch.settings import Settings, from_env
from fairwatch.store import SqlStore, sqlite_url

cli = typer.Typer(help="Fairwatch: an alarm platform for control rooms that cannot be turned against people.",
                  no_args_is_help=True, add_completion=False)
rules_cli = typer.Typer(help="Rule files.", no_args_is_help=True)
token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
cli.add_typer(rules_cli, name="rules")
cli.add_typer(token_cli, name="token")
cli.add_typer(audit_cli, name="audit")

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
    config = uvicorn.Config(app.entry, host=host, port=port, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    for line in banner or []:
        typer.echo(line)
    asyncio.run(server.serve())


def build_or_exit(settings: Settings) -> App:
    """Build the app, or print every configuration error and exit 2."""
    try:
        return App.build(settings)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (FAIRWATCH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FAIRWATCH_PORT).")] = None,
    data: DataOpt = None,
    site: Annotated[Path | None, typer.Option(help="Site file (FAIRWATCH_SITE).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file (FAIRWATCH_RULES).")] = None,
) -> None:
    """Run the server."""
    settings = _settings(host=host, port=port, data=data, site=site, rules=rules)
    app = build_or_exit(settings)
    serve_app(app, settings.host, settings.port, [f"Fairwatch listening on http://{settings.host}:{settings.port}/"])


def _demo_file(name: str) -> Path:
    return Path(str(resources.files("fairwatch.sim") / "demo" / name))


@cli.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Listen address (FAIRWATCH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FAIRWATCH_PORT).")] = None,
    data: DataOpt = None,
    scenario: Annotated[str, typer.Option(help="Simulator scenario: riverside, quiet or burst.")] = "riverside",
) -> None:
    """Serve the bundled Riverside Festival with its rules and a simulator feeding it."""
    settings = _settings(host=host, port=port, data=data).with_overrides(
        site=_demo_file("riverside.site.yaml"), rules=_demo_file("riverside.rules.yaml")
    )
    app = build_or_exit(settings)
    now = SystemClock().now()
    with app.store.transaction() as txn:
        operator = create_token(txn, "demo-operator", Role.OPERATOR, "demo", now)
        device = create_token(txn, "demo-simulator", Role.DEVICE, "demo", now)
    url = f"http://{settings.host}:{settings.port}"
    banner = [
        f"Fairwatch demo (Riverside Festival) on {url}/",
        f"  operator token: {operator}",
        f"  try: curl -H 'Authorization: Bearer {operator}' {url}/api/v1/alarms",
        f"  simulator scenario '{scenario}' is feeding events; every demo rule fires within 3 minutes.",
    ]
    asyncio.run(_serve_with_simulator(app, settings.host, settings.port, url, device, scenario, banner))


async def _serve_with_simulator(
    app: App, host: str, port: int, url: str, token: str, scenario: str, banner: list[str]
) -> None:
    from fairwatch.sim import run as run_simulator

    config = uvicorn.Config(app.entry, host=host, port=port, log_level="warning", lifespan="on", access_log=False)
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


@rules_cli.command("check")
def rules_check(path: Path) -> None:
    """Validate a rules file; print every error with file:line; exit 2 when invalid."""
    try:
        ruleset = load_rules(path)
    except ConfigError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{path}: {len(ruleset.rules)} rules OK")


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


@audit_cli.command("verify")
def audit_verify(data: DataOpt = None) -> None:
    """Walk the hash chain; name the first bad seq. Exit 1 when the log was tampered with."""
    settings = _settings(data=data)
    store = _store(settings)
    result = verify_chain(store.iter_audit())
    store.close()
    if result.ok:
        typer.echo(f"audit log OK: {result.checked} records verified")
        return
    typer.echo(f"audit log BROKEN: {result.problem}", err=True)
    raise typer.Exit(1)


def main() -> None:
    """Entry point of the `fairwatch` command."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    cli()
