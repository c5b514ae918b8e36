"""The `maturity` command: serve the app, migrate the database, load demo data, check files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from assessment.db import create_db_engine, session_scope
from assessment.framework import (
    FrameworkFileError,
    FrameworkRegistry,
    json_schema,
    load_framework,
    summary,
)
from assessment.migrate import upgrade
from assessment.settings import Settings

app = typer.Typer(help="SoMe Maturity Workshop.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
framework_app = typer.Typer(help="Framework files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(framework_app, name="framework")

DEFAULT_FRAMEWORK = "some-maturity"


def _engine(settings: Settings) -> Engine:
    return create_db_engine(settings.database_url,
                            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Number of app processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Upgrade the database first.")] = True,
) -> None:
    """Run the web app (upgrading the database schema first)."""
    import uvicorn

    settings = Settings()
    try:  # refuse to start on an invalid framework file, with the file's problems
        FrameworkRegistry.from_directories([settings.frameworks_dir])
    except FrameworkFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    if migrate:
        engine = _engine(settings)
        upgrade(engine)
        engine.dispose()
    typer.echo(f"SoMe Maturity Workshop: http://{host}:{port}")
    uvicorn.run("assessment.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level=settings.log_level, proxy_headers=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
               ) -> None:
    """Create or upgrade the database schema."""
    settings = Settings()
    engine = _engine(settings)
    upgrade(engine, revision)
    engine.dispose()
    typer.echo(f"database at {revision}")


@app.command()
def demo(
    framework_id: Annotated[str, typer.Option("--framework", help="Framework id.")]
    = DEFAULT_FRAMEWORK,
) -> None:
    """Load the demo organisation (units, three rounds, answers), unless it is there already."""
    from assessment.demo import load_demo

    settings = Settings()
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    engine = _engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        result = load_demo(session, registry.get(framework_id))
        name = result.organisation.name
    engine.dispose()
    if result.created:
        typer.echo(f"demo loaded: {name}: {result.units} units, {result.rounds} rounds, "
                   f"{result.answers} answers")
    else:
        typer.echo(f"demo already loaded: {name}")


@framework_app.command("check")
def framework_check(files: Annotated[list[Path], typer.Argument(help="Framework files.")],
                    ) -> None:
    """Validate framework files: print every problem (exit 1) or a summary line (exit 0)."""
    failed = False
    for file in files:
        try:
            typer.echo(f"{file}: OK: {summary(load_framework(file))}")
        except FrameworkFileError as exc:
            typer.echo(str(exc), err=True)
            failed = True
    if failed:
        raise typer.Exit(code=1)


@framework_app.command("schema")
def framework_schema() -> None:
    """Print the JSON Schema of the framework file format."""
    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))
