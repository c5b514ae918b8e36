"""The `maturity` command: serve the app, migrate the database, load demo data, check files."""

from __future__ import annotations

import json
import secrets
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
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
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
    """Load the demo organisation (units, three rounds, answers) once, and print the sign-in
    details of its users (one per role; their password is set anew on every run)."""
    from assessment.demo import demo_users, load_demo

    settings = Settings()
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    password = (settings.demo_password.get_secret_value() if settings.demo_password
                else secrets.token_urlsafe(9))
    engine = _engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        result = load_demo(session, registry.get(framework_id))
        users = demo_users(session, result.organisation, password)
        name = result.organisation.name
    engine.dispose()
    if result.created:
        typer.echo(f"demo loaded: {name}: {result.units} units, {result.rounds} rounds, "
                   f"{result.answers} answers")
    else:
        typer.echo(f"demo already loaded: {name}")
    typer.echo(f"sign in at /sign-in with password {password} as:")
    for user in users:
        typer.echo(f"  {user.role:<11} {user.email}  ({user.name})")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Email address (the sign-in name).")],
    name: Annotated[str, typer.Option(help="The person's name.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make an administrator.")] = False,
    password: Annotated[str | None, typer.Option(
        help="Password (asked for when not given).")] = None,
) -> None:
    """Create a user; the first one is usually an administrator (--admin)."""
    from assessment.accounts import create_user
    from assessment.services import ServiceError

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = Settings()
    engine = _engine(settings)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            user = create_user(session, email=email, name=name, password=password,
                               is_admin=admin)
            summary_line = f"created {'administrator' if admin else 'user'} {user.email}"
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(summary_line)


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
