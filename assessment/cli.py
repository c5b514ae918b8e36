"""The `maturity` command: serve the app, migrate the database, load demo data, check files."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

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

if TYPE_CHECKING:
    from jinja2 import Environment

    from assessment.i18n import Translator

app = typer.Typer(help="SoMe Maturity Workshop.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
framework_app = typer.Typer(help="Framework files.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(framework_app, name="framework")
report_app = typer.Typer(help="PDF reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")

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
                # The app reads X-Forwarded-For itself, from MATURITY_TRUSTED_PROXIES only:
                # uvicorn's own proxy headers would believe any local client.
                workers=workers, log_level=settings.log_level, proxy_headers=False,
                # Live screens hold streams open; on stopping, end them after a few seconds
                # (their browsers reconnect to whichever process serves them next).
                timeout_graceful_shutdown=5)


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
    units: Annotated[int | None, typer.Option(
        "--units", min=1, max=5000, help="Also load a large organisation with this many units.")]
    = None,
    rounds: Annotated[int, typer.Option(
        "--rounds", min=1, max=50, help="Rounds of the large organisation.")] = 12,
) -> None:
    """Load the demo organisation (units, three rounds, answers, a workshop and a roadmap)
    once, and print the sign-in details of its users (one per role; their password is set
    anew on every run). With --units, also load a large generated organisation (for example
    --units 200 --rounds 12) where the demo consultant and leadership user have their roles."""
    from sqlmodel import select

    from assessment.accounts import grant
    from assessment.demo import demo_users, large_demo_name, load_demo, load_large_demo
    from assessment.models import Role, User

    settings = Settings()
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    password = (settings.demo_password.get_secret_value() if settings.demo_password
                else secrets.token_urlsafe(9))
    engine = _engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        current = registry.get(framework_id)
        result = load_demo(session, current, earlier=registry.earlier(current))
        users = demo_users(session, result.organisation, password)
        name = result.organisation.name
        large = None
        if units is not None:
            large = load_large_demo(session, registry.get(framework_id), units=units,
                                    rounds=rounds)
            for demo_user in users:
                if demo_user.role in (Role.consultant, Role.leadership):
                    account = session.exec(select(User).where(
                        User.email == demo_user.email)).one()
                    grant(session, account, large.organisation, Role(demo_user.role))
    engine.dispose()
    if large is not None and large.created:
        typer.echo(f"large demo loaded: {large_demo_name(units or 0, rounds)}: {large.units} "
                   f"units, {large.rounds} rounds, {large.answers} answers")
    elif large is not None:
        typer.echo(f"large demo already loaded: {large_demo_name(units or 0, rounds)}")
    if result.created:
        typer.echo(f"demo loaded: {name}: {result.units} units, {result.rounds} rounds, "
                   f"{result.answers} answers")
    else:
        typer.echo(f"demo already loaded: {name}")
    typer.echo(f"sign in at /sign-in with password {password} as:")
    for user in users:
        typer.echo(f"  {user.role:<11} {user.email}  ({user.name})")


@app.command("export")
def export_command(
    organisation_id: Annotated[int, typer.Argument(help="The organisation's id.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSON file to write.")],
) -> None:
    """Write everything an organisation holds to a JSON file (not users, memberships,
    invitations or the audit log)."""
    from assessment.exchange import dump_json, export_organisation
    from assessment.models import Organisation

    settings = Settings()
    engine = _engine(settings)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            organisation = session.get(Organisation, organisation_id)
            if organisation is None:
                typer.echo(f"error: there is no organisation {organisation_id}", err=True)
                raise typer.Exit(code=1)
            text = dump_json(export_organisation(session, organisation))
            name = organisation.name
    finally:
        engine.dispose()
    output.write_text(text, encoding="utf-8")
    typer.echo(f"exported {name} to {output}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A JSON file made by `maturity export`.")],
) -> None:
    """Import an organisation from a JSON file into an empty database: every problem of an
    invalid file is printed and nothing is changed."""
    from assessment.exchange import InvalidImportFile, import_organisation, parse_file, summary

    settings = Settings()
    try:
        registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
        data = parse_file(file.read_bytes())
    except (FrameworkFileError, InvalidImportFile) as exc:
        typer.echo(f"{file}: {exc}" if isinstance(exc, InvalidImportFile) else str(exc),
                   err=True)
        raise typer.Exit(code=1) from None
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(code=1) from None
    engine = _engine(settings)
    upgrade(engine)
    try:
        with session_scope(engine) as session:  # one transaction: all or nothing
            organisation = import_organisation(session, data,
                                               fallback_frameworks=registry.current)
            session.flush()
            organisation_id = organisation.id
    except InvalidImportFile as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(code=1) from None
    except SQLAlchemyError as exc:  # the transaction was rolled back: nothing was imported
        typer.echo(f"error: the database refused the import, nothing was imported: "
                   f"{type(exc).__name__}: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(f"imported organisation {organisation_id}: {summary(data)}")


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


class _Missing(Exception):
    """What a report command asked for is not in the database (the message says what)."""


# A report command's gatherer: from the database, the function that lays the report out as
# HTML in a language, and what to say once it is written ("wrote … to FILE").
LayOut = Callable[["Translator", "Environment"], str]
Gather = Callable[[Session, FrameworkRegistry, Settings], tuple[LayOut, str]]


def _write_report(language: str | None, output: Path, gather: Gather) -> None:
    """Gather a report's data, lay it out in the language and write it as a PDF."""
    from assessment.i18n import LANGUAGES, Catalogues
    from reports.pdf import render_pdf, report_environment

    settings = Settings()
    language = language or settings.default_language
    if language not in LANGUAGES:
        typer.echo(f"error: the language is one of {', '.join(LANGUAGES)}", err=True)
        raise typer.Exit(code=2)
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    engine = _engine(settings)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            lay_out, wrote = gather(session, registry, settings)
    except _Missing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    output.write_bytes(render_pdf(lay_out(Catalogues().translator(language),
                                          report_environment())))
    typer.echo(f"{wrote} to {output}")


LANGUAGE_OPTION = typer.Option(help="fi or en (default: the default_language setting).")
OUTPUT_OPTION = typer.Option("--output", "-o", help="The PDF file to write.")


@report_app.command("unit")
def report_unit(
    round_id: Annotated[int, typer.Option("--round", help="The round's id.")],
    unit_id: Annotated[int, typer.Option("--unit", help="The unit's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
) -> None:
    """Write the unit report of a unit in a round as a PDF."""
    from assessment.models import Round, Unit
    from reports.unit_report import build_unit_report, unit_report_html

    def gather(session: Session, registry: FrameworkRegistry,
               settings: Settings) -> tuple[LayOut, str]:
        round_, unit = session.get(Round, round_id), session.get(Unit, unit_id)
        if round_ is None or unit is None or unit.organisation_id != round_.organisation_id:
            raise _Missing(f"there is no round {round_id} with a unit {unit_id}")
        report = build_unit_report(session, registry, round_, unit,
                                   min_votes=settings.workshop_min_votes)
        return (partial(unit_report_html, report),
                f"wrote the unit report of {report.unit_name} ({report.round_name})")

    _write_report(language, output, gather)


@report_app.command("roadmap")
def report_roadmap(
    organisation_id: Annotated[int, typer.Option("--organisation", help="The organisation's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
) -> None:
    """Write the organisation's rollout roadmap as a PDF."""
    from assessment.models import Organisation
    from reports.roadmap_report import build_roadmap_report, roadmap_report_html

    def gather(session: Session, registry: FrameworkRegistry,
               _settings: Settings) -> tuple[LayOut, str]:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise _Missing(f"there is no organisation {organisation_id}")
        report = build_roadmap_report(session, registry, organisation)
        return (partial(roadmap_report_html, report),
                f"wrote the roadmap of {report.organisation_name}")

    _write_report(language, output, gather)


@report_app.command("brief")
def report_brief(
    organisation_id: Annotated[int, typer.Option("--organisation", help="The organisation's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    round_id: Annotated[int | None, typer.Option(
        "--round", help="The round's id (default: the newest round).")] = None,
    unit_id: Annotated[int | None, typer.Option(
        "--unit", help="Only this unit and the units below it.")] = None,
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
) -> None:
    """Write the leadership brief (the dashboard of a round) as a PDF."""
    from assessment.models import Organisation, Round, Unit
    from reports.brief import brief_html, build_brief

    def gather(session: Session, registry: FrameworkRegistry,
               _settings: Settings) -> tuple[LayOut, str]:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise _Missing(f"there is no organisation {organisation_id}")
        round_ = session.get(Round, round_id) if round_id is not None else None
        if round_id is not None and (round_ is None
                                     or round_.organisation_id != organisation_id):
            raise _Missing(f"the organisation has no round {round_id}")
        root = session.get(Unit, unit_id) if unit_id is not None else None
        if unit_id is not None and (root is None or root.organisation_id != organisation_id):
            raise _Missing(f"the organisation has no unit {unit_id}")
        brief = build_brief(session, registry, organisation, round_, root)
        scope = f"{brief.root_name} and below, " if brief.root_name else ""
        return (partial(brief_html, brief),
                f"wrote the leadership brief of {brief.organisation_name} "
                f"({scope}{brief.round_name or 'no rounds yet'})")

    _write_report(language, output, gather)


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
