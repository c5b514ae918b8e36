"""The `maturity` command: serve the app, migrate the database, load demo data, check files."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from assessment.agendas import (
    AGENDAS,
    AgendaFileError,
    agenda_json_schema,
    agenda_summary,
    load_agenda,
)
from assessment.db import create_db_engine, session_scope
from assessment.framework import (
    Framework,
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

    from assessment.brand import Brand
    from assessment.i18n import Translator
    from assessment.models import Round, Unit, Workshop

app = typer.Typer(help="SoMe Maturity Workshop.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
framework_app = typer.Typer(help="Framework files.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(framework_app, name="framework")
report_app = typer.Typer(help="Reports as PDFs and PowerPoint decks.", no_args_is_help=True)
app.add_typer(report_app, name="report")

DEFAULT_FRAMEWORK = "some-maturity"


def _engine(settings: Settings) -> Engine:
    return create_db_engine(settings.database_url,
                            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def _registry(settings: Settings) -> FrameworkRegistry:
    """The shipped and the published frameworks; an invalid file ends the command with its
    problems."""
    from assessment.framework_library import load_registry

    try:
        return load_registry(settings.frameworks_dir, settings.published_frameworks_dir)
    except FrameworkFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None


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
        _registry(settings)
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
    registry = _registry(settings)
    known = sorted(f.id for f in registry.current)
    if framework_id not in known:
        typer.echo(f"unknown framework {framework_id!r} in {settings.frameworks_dir}; "
                   f"choose one with --framework: {', '.join(known) or '(none)'}", err=True)
        raise typer.Exit(2)
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
        registry = _registry(settings)
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


# A report command's gatherer: from the database, what the report is made of (a `Made`),
# and what to say once it is written ("wrote … to FILE").
@dataclass(frozen=True)
class Made:
    """A gathered report: how to lay it out as HTML (for the PDF) and, where the report has
    one, how to make its slide deck."""

    html: Callable[[Translator, Environment, Brand], str] | None
    deck: Callable[[Translator, Brand], bytes] | None
    wrote: str


Gather = Callable[[Session, FrameworkRegistry, Settings], tuple[Made, int]]


def _round_and_unit(session: Session, round_id: int, unit_id: int) -> tuple[Round, Unit]:
    """The round and the unit a report is of (the same organisation's), or _Missing."""
    from assessment.models import Round, Unit

    round_, unit = session.get(Round, round_id), session.get(Unit, unit_id)
    if round_ is None or unit is None or unit.organisation_id != round_.organisation_id:
        raise _Missing(f"there is no round {round_id} with a unit {unit_id}")
    return round_, unit


def _workshop_and_round(session: Session, workshop_id: int) -> tuple[Workshop, Round]:
    """The workshop a report is of and its round, or _Missing."""
    from assessment.models import Round, Workshop

    workshop = session.get(Workshop, workshop_id)
    round_ = session.get(Round, workshop.round_id) if workshop else None
    if workshop is None or round_ is None:
        raise _Missing(f"there is no workshop {workshop_id}")
    return workshop, round_
FORMATS = ("pdf", "pptx")


def _write_report(language: str | None, output: Path, gather: Gather, fmt: str = "pdf",
                  ) -> None:
    """Gather a report's data, lay it out in the language and write it as a PDF or a
    PowerPoint deck, in the installation's brand (and the client's, if it has one)."""
    from assessment.brand import defaults_for, organisation_brand
    from assessment.i18n import LANGUAGES, Catalogues
    from reports.pdf import render_pdf, report_environment

    settings = Settings()
    language = language or settings.default_language
    if language not in LANGUAGES:
        typer.echo(f"error: the language is one of {', '.join(LANGUAGES)}", err=True)
        raise typer.Exit(code=2)
    if fmt not in FORMATS:
        typer.echo(f"error: the format is one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(code=2)
    registry = _registry(settings)
    engine = _engine(settings)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            made, organisation_id = gather(session, registry, settings)
            brand = organisation_brand(session, defaults_for(settings), organisation_id)
    except _Missing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    t = Catalogues().translator(language)
    if fmt == "pptx":
        if made.deck is None:
            typer.echo("error: this report is made as a PDF only", err=True)
            raise typer.Exit(code=2)
        output.write_bytes(made.deck(t, brand))
    else:
        if made.html is None:
            typer.echo("error: this report is made as a PowerPoint deck only (--format pptx)",
                       err=True)
            raise typer.Exit(code=2)
        output.write_bytes(render_pdf(made.html(t, report_environment(), brand)))
    typer.echo(f"{made.wrote} to {output}")


LANGUAGE_OPTION = typer.Option(help="fi or en (default: the default_language setting).")
OUTPUT_OPTION = typer.Option("--output", "-o", help="The file to write.")
FORMAT_OPTION = typer.Option("--format", help="pdf or pptx (a PowerPoint deck).")


@report_app.command("unit")
def report_unit(
    round_id: Annotated[int, typer.Option("--round", help="The round's id.")],
    unit_id: Annotated[int, typer.Option("--unit", help="The unit's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
    fmt: Annotated[str, FORMAT_OPTION] = "pdf",
) -> None:
    """Write the unit report of a unit in a round as a PDF or a PowerPoint deck."""
    from reports.slides import unit_deck
    from reports.unit_report import build_unit_report, unit_report_html

    def gather(session: Session, registry: FrameworkRegistry,
               settings: Settings) -> tuple[Made, int]:
        round_, unit = _round_and_unit(session, round_id, unit_id)
        report = build_unit_report(session, registry, round_, unit,
                                   min_votes=settings.workshop_min_votes)
        return Made(partial(unit_report_html, report), partial(unit_deck, report),
                    f"wrote the unit report of {report.unit_name} ({report.round_name})"
                    ), round_.organisation_id

    _write_report(language, output, gather, fmt)


@report_app.command("guide")
def report_guide(
    workshop_id: Annotated[int, typer.Option("--workshop", help="The workshop's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
) -> None:
    """Write the facilitator guide of a workshop as a PDF (the join address from the
    public_url setting, else the local address the quick start serves)."""
    from reports.guide import build_guide, guide_html

    def gather(session: Session, registry: FrameworkRegistry,
               settings: Settings) -> tuple[Made, int]:
        workshop, round_ = _workshop_and_round(session, workshop_id)
        base = (settings.public_url or "http://127.0.0.1:8000").rstrip("/") + "/join"
        guide = build_guide(session, registry, workshop, base)
        return Made(partial(guide_html, guide), None,
                    f"wrote the facilitator guide of {guide.unit_name} ({guide.code})"
                    ), round_.organisation_id

    _write_report(language, output, gather)


@report_app.command("needs")
def report_needs(
    round_id: Annotated[int, typer.Option("--round", help="The round's id.")],
    unit_id: Annotated[int, typer.Option("--unit", help="The unit's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
) -> None:
    """Write the needs-and-expectations result of a unit in a round as a one-page PDF."""
    from reports.needs_report import build_needs_result, needs_html

    def gather(session: Session, registry: FrameworkRegistry,
               _settings: Settings) -> tuple[Made, int]:
        round_, unit = _round_and_unit(session, round_id, unit_id)
        result = build_needs_result(session, registry, round_, unit)
        return Made(partial(needs_html, result), None,
                    f"wrote the needs and expectations of {result.unit_name} "
                    f"({result.round_name})"), round_.organisation_id

    _write_report(language, output, gather)


@report_app.command("roadmap")
def report_roadmap(
    organisation_id: Annotated[int, typer.Option("--organisation", help="The organisation's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
    fmt: Annotated[str, FORMAT_OPTION] = "pdf",
) -> None:
    """Write the organisation's rollout roadmap as a PDF or a PowerPoint deck."""
    from assessment.models import Organisation
    from reports.roadmap_report import build_roadmap_report, roadmap_report_html
    from reports.slides import roadmap_deck

    def gather(session: Session, registry: FrameworkRegistry,
               _settings: Settings) -> tuple[Made, int]:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise _Missing(f"there is no organisation {organisation_id}")
        report = build_roadmap_report(session, registry, organisation)
        return Made(partial(roadmap_report_html, report), partial(roadmap_deck, report),
                    f"wrote the roadmap of {report.organisation_name}"), organisation_id

    _write_report(language, output, gather, fmt)


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
               _settings: Settings) -> tuple[Made, int]:
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
        return Made(partial(brief_html, brief), None,
                    f"wrote the leadership brief of {brief.organisation_name} "
                    f"({scope}{brief.round_name or 'no rounds yet'})"), organisation_id

    _write_report(language, output, gather)


@report_app.command("wrapup")
def report_wrapup(
    workshop_id: Annotated[int, typer.Option("--workshop", help="The workshop's id.")],
    output: Annotated[Path, OUTPUT_OPTION],
    language: Annotated[str | None, LANGUAGE_OPTION] = None,
    fmt: Annotated[str, FORMAT_OPTION] = "pptx",
) -> None:
    """Write a workshop's wrap-up as a PowerPoint deck."""
    from reports.slides import wrapup_deck
    from reports.wrapup import build_wrapup

    def gather(session: Session, registry: FrameworkRegistry,
               settings: Settings) -> tuple[Made, int]:
        workshop, round_ = _workshop_and_round(session, workshop_id)
        wrapup = build_wrapup(session, registry, workshop,
                              min_votes=settings.workshop_min_votes)
        return Made(None, partial(wrapup_deck, wrapup),
                    f"wrote the wrap-up of the workshop of {wrapup.unit_name} "
                    f"({wrapup.round_name})"), round_.organisation_id

    _write_report(language, output, gather, fmt)
def _is_agenda(file: Path) -> bool:
    """Whether a file is an agenda template (in an `agendas` folder, or with `steps`)."""
    if file.parent.name == AGENDAS:
        return True
    try:
        import yaml

        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except Exception:  # the framework check reports an unreadable file
        return False
    return isinstance(data, dict) and "steps" in data and "stages" not in data


def _check_agenda(file: Path, frameworks: list[Framework]) -> str:
    return agenda_summary(load_agenda(file, frameworks))


@framework_app.command("check")
def framework_check(files: Annotated[list[Path], typer.Argument(
        help="Framework files and agenda templates (files in an `agendas` folder).")],
                    ) -> None:
    """Validate framework files and agenda templates: print every problem (exit 1) or a
    summary line (exit 0). An agenda template's factor ids are checked against the
    framework files given, else against the frameworks the app uses."""
    failed = False
    agendas = [f for f in files if _is_agenda(f)]
    frameworks: list[Framework] = []
    for file in files:
        if file in agendas:
            continue
        try:
            framework = load_framework(file)
            frameworks.append(framework)
            typer.echo(f"{file}: OK: {summary(framework)}")
        except FrameworkFileError as exc:
            typer.echo(str(exc), err=True)
            failed = True
    if agendas and not frameworks and not failed:
        try:
            frameworks = FrameworkRegistry.from_directories([Settings().frameworks_dir]).current
        except FrameworkFileError:
            frameworks = []
    for file in agendas:
        try:
            typer.echo(f"{file}: OK: {_check_agenda(file, frameworks)}")
        except AgendaFileError as exc:
            typer.echo(str(exc), err=True)
            failed = True
    if failed:
        raise typer.Exit(code=1)


@app.command("openapi")
def openapi() -> None:
    """Print the JSON API's OpenAPI document (committed as openapi.json)."""
    from assessment.web.api.app import openapi_text

    typer.echo(openapi_text(), nl=False)
@framework_app.command("import")
def framework_import(
    file: Annotated[Path, typer.Argument(help="A framework workbook (.xlsx).")],
    output: Annotated[Path | None, typer.Option(
        "--output", help="The framework file to write (default: FILE with .yaml).")] = None,
) -> None:
    """Read a framework workbook and write it as a framework file (YAML): every problem is
    printed with its sheet, row and column (exit 1) and nothing is written."""
    from assessment.framework_workbook import WorkbookError, framework_from_workbook, framework_yaml

    target = output or file.with_suffix(".yaml")
    try:
        framework = framework_from_workbook(file.read_bytes(), str(file))
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(code=1) from None
    except WorkbookError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    target.write_text(framework_yaml(framework, comment=f"Imported from {file.name}"),
                      encoding="utf-8")
    typer.echo(f"{target}: {summary(framework)}")


@framework_app.command("export")
def framework_export(
    framework_id: Annotated[str, typer.Argument(help="The framework's id.")],
    file: Annotated[Path, typer.Argument(help="The workbook to write (.xlsx).")],
    version: Annotated[str | None, typer.Option(
        "--version", help="An earlier version (default: the current one).")] = None,
) -> None:
    """Write a framework (the current version, or --version) as a workbook to edit in Excel
    and read back with `maturity framework import`."""
    from assessment.framework_workbook import workbook_bytes

    registry = _registry(Settings())
    found = [f for f in registry.versions(framework_id)
             if version is None or f.version == version]
    if not found:
        known = ", ".join(f"{f.id} {f.version}" for f in registry.current)
        typer.echo(f"error: no framework {framework_id}" + (f" version {version}" if version
                                                           else "") + f" (known: {known})",
                   err=True)
        raise typer.Exit(code=1)
    file.write_bytes(workbook_bytes(found[0]))
    typer.echo(f"{file}: {summary(found[0])}")


@framework_app.command("schema")
def framework_schema(agenda: Annotated[bool, typer.Option(
        "--agenda", help="The agenda template format's schema instead.")] = False) -> None:
    """Print the JSON Schema of the framework file format (or the agenda template's)."""
    schema = agenda_json_schema() if agenda else json_schema()
    typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))
