"""The organisation as JSON: export → import into an empty database → export is identical,
and an invalid file is refused with every problem and without changing anything."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session
from sqlmodel import select as sql_select

from assessment import exchange, roadmap, workshops
from assessment.db import create_db_engine, session_scope
from assessment.demo import load_demo
from assessment.framework import Framework
from assessment.models import Organisation, Participant, Round, Unit, Workshop, metadata
from tests.factories import make_organisation, make_unit

SECOND_DATABASE = "maturity_exchange_test"


@pytest.fixture
def second_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database of the same kind: an SQLite file, or a second PostgreSQL
    database on the test server."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'second.db'}"
    else:
        parsed = make_url(database_url)
        admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False)
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {SECOND_DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {SECOND_DATABASE}")
        url = parsed.set(database=SECOND_DATABASE).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows every table has."""
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables}


def rich_organisation(session: Session, framework: Framework) -> Organisation:
    """The demo organisation (unit tree, three rounds, a finished workshop, phases with units,
    owners and gates, actions) plus an open workshop with merged needs, a facilitator's need,
    unrevealed questions and target votes, a target set by hand and hand-written actions."""
    organisation = load_demo(session, framework).organisation
    rounds = list(session.exec(sql_select(Round).where(
        Round.organisation_id == organisation.id).order_by(Round.id)))
    units = {u.name: u for u in session.exec(sql_select(Unit).where(
        Unit.organisation_id == organisation.id))}
    latest, unit = rounds[-1], units["Markkinointi"]
    workshop = workshops.create_workshop(session, latest, unit, by=None, dots=2)
    people = [workshops.join(session, workshop, name)[0] for name in ("Äänekäs", None, "Öljy")]
    first = workshops.post_need(session, workshop, framework, people[0], "Selkeät = tavoitteet",
                                "goals")
    second = workshops.post_need(session, workshop, framework, people[1], "Tavoitteet näkyviin")
    workshops.post_need(session, workshop, framework, None, "Fasilitaattorin huomio", None)
    workshops.go_to(session, workshop, framework, 1)
    workshops.place_dot(session, workshop, framework, people[2], id_or_0(second))
    workshops.place_dot(session, workshop, framework, people[2], id_or_0(second))
    workshops.place_dot(session, workshop, framework, people[0], id_or_0(first))
    workshops.merge_needs(session, workshop, id_or_0(second), id_or_0(first))
    question = framework.factors[0].questions[0].id
    step = next(s.index for s in workshops.agenda(framework) if s.question_id == question)
    workshops.go_to(session, workshop, framework, step)
    workshops.vote(session, workshop, framework, people[0], question, "2")
    workshops.vote(session, workshop, framework, people[1], question, "dont_know")
    workshops.set_revealed(session, workshop, framework, question, True)
    workshops.set_revealed(session, workshop, framework, question, False)
    workshops.record_consensus(session, workshop, framework, question, "2", "Keskusteltu")
    factor = framework.factors[1].id
    target_step = next(s.index for s in workshops.agenda(framework)
                       if s.kind is workshops.StepKind.target and s.factor_id == factor)
    workshops.go_to(session, workshop, framework, target_step)
    workshops.target_vote(session, workshop, framework, people[0], factor, "4")
    workshops.target_vote(session, workshop, framework, people[2], factor, "3")
    roadmap.set_target(session, latest, units["Myynti"], framework, framework.factors[2].id, "3")
    roadmap.add_action(session, units["Myynti"], framework, framework.factors[2].id,
                       roadmap.ActionInput("=Kirjoitetaan ohje; vastuu €", "Åsa Ö", "2027-01-31",
                                           "in_progress"))
    roadmap.add_action(session, units["Myynti"], framework, framework.factors[2].id,
                       roadmap.ActionInput("Toinen", "", None))
    session.commit()
    return organisation


def id_or_0(row: Any) -> int:
    return int(row.id or 0)


@pytest.fixture
def exported(session: Session, framework: Framework) -> str:
    organisation = rich_organisation(session, framework)
    return exchange.dump_json(exchange.export_organisation(session, organisation))


@pytest.fixture(scope="module")
def demo_export(framework: Framework) -> str:
    """The rich organisation's export, built once for the tests that only read the file."""
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        organisation = rich_organisation(session, framework)
        text = exchange.dump_json(exchange.export_organisation(session, organisation))
    engine.dispose()
    return text


def test_export_import_export_gives_identical_json(session: Session, exported: str,
                                                   second_engine: Engine) -> None:
    data = json.loads(exported)
    assert [u["key"] for u in data["units"]][:3] == ["unit-1", "unit-2", "unit-3"]
    assert any(u["parent"] for u in data["units"]) and len(data["rounds"]) == 3
    assert len(data["framework_versions"]) == 1
    workshops_ = [w for r in data["rounds"] for w in r["workshops"]]
    assert len(workshops_) == 2 and {w["status"] for w in workshops_} == {"open", "closed"}
    open_one = next(w for w in workshops_ if w["status"] == "open")
    # No nickname is tied to the participants, nor to their votes (the respondents).
    assert len(open_one["participants"]) == 3 and "nickname" not in exported
    assert [n["merged_into"] for n in open_one["needs"]] == ["need-8", None, None]
    assert [n["participant"] for n in open_one["needs"]] == ["participant-7", "participant-8",
                                                             None]
    assert [d["need"] for d in open_one["dots"]] == ["need-8"] * 3
    assert len(open_one["target_votes"]) == 2
    assert any(not q["revealed"] for q in open_one["questions"])
    respondents = [r for rd in data["rounds"] for a in rd["assessments"]
                   for r in a["respondents"]]
    assert len(respondents) == 9 and all(r["answers"] for r in respondents[:6])
    phases = data["phases"]
    assert [p["kind"] for p in phases][:2] == ["needs", "pilot"]
    assert all(p["owners"] for p in phases) and any(p["gates"] for p in phases)
    assert any(p["units"] for p in phases)
    assert any(a["text"].startswith("=Kirjoitetaan") for a in data["actions"])
    assert any(a["library_id"] for a in data["actions"])

    with Session(second_engine, expire_on_commit=False) as other:
        imported = exchange.import_organisation(other, data)
        other.commit()
        again = exchange.dump_json(exchange.export_organisation(other, imported))
    assert again == exported


def test_the_export_never_holds_token_hashes_and_imported_participants_get_new_ones(
        session: Session, exported: str, second_engine: Engine) -> None:
    old = {p.token_hash for p in session.exec(sql_select(Participant))}
    assert len(old) == 9
    assert "token" not in exported
    assert not any(value in exported for value in old)
    with session_scope(second_engine) as other:
        exchange.import_organisation(other, exported)
    with Session(second_engine) as other:
        new = {p.token_hash for p in other.exec(sql_select(Participant))}
        assert len(new) == 9 and not new & old
        assert all(len(value) == 64 for value in new)
        assert {w.created_by for w in other.exec(sql_select(Workshop))} == {None}


def test_import_refuses_a_database_that_already_has_an_organisation(
        session: Session, exported: str, engine: Engine) -> None:
    before = row_counts(engine)
    with pytest.raises(exchange.InvalidImportFile) as caught:
        exchange.import_organisation(session, exported)
    session.rollback()
    problems = {p.path: p.message for p in caught.value.problems}
    assert "empty database" in problems[""]
    # Workshop codes are unique across the database, so they clash too.
    assert problems["rounds[1].workshops[0].code"] == "a workshop with this code already exists"
    with pytest.raises(exchange.InvalidImportFile) as caught:  # also with a malformed file
        exchange.import_organisation(session, {**json.loads(exported), "units": None})
    session.rollback()
    assert {p.path for p in caught.value.problems} == {"units", ""}
    assert row_counts(engine) == before


def broken(exported: str) -> dict[str, Any]:
    """The export with one problem of every kind."""
    data = json.loads(exported)
    data["units"][1]["key"] = data["units"][0]["key"]  # duplicate key
    data["units"][2]["parent"] = "unit-99"  # unknown reference
    first = data["rounds"][0]["assessments"][0]
    first["answers"][0]["level"] = 9  # out of range for a five-stage framework
    first["answers"][0]["choice"] = "level"
    first["answers"][1]["question_id"] = "no-such-question"
    data["rounds"][1]["targets"].append({**data["rounds"][1]["targets"][0],
                                         "factor_id": "no-such-factor"})
    data["rounds"][1]["workshops"][0]["participants"][0]["respondent"] = "respondent-999"
    data["rounds"][1]["workshops"][0]["dots"][0]["need"] = "need-999"
    data["phases"][1]["gates"] = [{"factor_id": "goals", "level": 7}]
    data["framework_versions"][0]["snapshot"]["version"] = "tampered"
    data["rounds"][2]["framework"] = "0" * 64
    return data


def test_an_invalid_file_lists_every_problem_with_its_path_and_changes_nothing(
        demo_export: str, second_engine: Engine) -> None:
    data = broken(demo_export)
    before = row_counts(second_engine)
    with pytest.raises(exchange.InvalidImportFile) as caught, \
            session_scope(second_engine) as other:
        exchange.import_organisation(other, data)
    problems = {p.path: p.message for p in caught.value.problems}
    assert problems["units[1].key"] == "duplicate unit key 'unit-1'"
    assert "unknown unit 'unit-99'" in problems["units[2].parent"]
    assert problems["rounds[0].assessments[0].answers[0].level"] == \
        "level 9 is out of range 1–5"
    assert "unknown question 'no-such-question'" in \
        problems["rounds[0].assessments[0].answers[1].question_id"]
    target_index = len(data["rounds"][1]["targets"]) - 1
    assert "unknown factor 'no-such-factor'" in \
        problems[f"rounds[1].targets[{target_index}].factor_id"]
    assert "unknown respondent" in problems["rounds[1].workshops[0].participants[0].respondent"]
    assert "unknown need 'need-999'" in problems["rounds[1].workshops[0].dots[0].need"]
    assert problems["phases[1].gates[0].level"] == "level 7 is out of range 1–5"
    assert problems["framework_versions[0].content_hash"] == "does not match the snapshot"
    assert problems["rounds[2].framework"] == f"unknown framework version '{'0' * 64}'"
    assert "rounds[1].workshops[0].participants[0].respondent" in str(caught.value)
    assert row_counts(second_engine) == before


def test_wrong_types_and_missing_or_unknown_fields_are_all_listed(
        demo_export: str, second_engine: Engine) -> None:
    data = json.loads(demo_export)
    data["schema_version"] = "1"
    del data["organisation"]["created_at"]
    data["units"][0]["colour"] = "red"
    data["rounds"][0]["assessments"][0]["kind"] = "peer"
    data["rounds"][0]["created_at"] = "2026-01-01T10:00:00"  # no time zone
    data["actions"][0]["due_on"] = "31.1.2027"
    with pytest.raises(exchange.InvalidImportFile) as caught, \
            session_scope(second_engine) as other:
        exchange.import_organisation(other, data)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"schema_version", "organisation.created_at", "units[0].colour",
                     "rounds[0].assessments[0].kind", "rounds[0].created_at",
                     "actions[0].due_on"}
    assert row_counts(second_engine)["organisation"] == 0
    for text in ("not json", "[]", '{"schema_version": 1}'):
        with pytest.raises(exchange.InvalidImportFile) as caught:
            exchange.parse_file(text)
        assert caught.value.problems


def test_a_problem_in_the_very_last_element_still_changes_nothing(
        demo_export: str, second_engine: Engine) -> None:
    data = json.loads(demo_export)
    data["actions"][-1]["factor_id"] = "no-such-factor"
    before = row_counts(second_engine)
    with pytest.raises(exchange.InvalidImportFile) as caught, \
            session_scope(second_engine) as other:
        exchange.import_organisation(other, data)
    last = len(data["actions"]) - 1
    assert [p.path for p in caught.value.problems] == [f"actions[{last}].factor_id"]
    assert row_counts(second_engine) == before


def test_a_failure_while_writing_rolls_the_whole_import_back(
        demo_export: str, second_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    original = exchange._Importer.add_all
    calls = {"n": 0}

    def failing_at_the_actions(self: exchange._Importer, rows: Any) -> None:
        calls["n"] += 1
        if rows and type(rows[0]).__name__ == "Action":
            raise RuntimeError("the disk is full")
        original(self, rows)

    monkeypatch.setattr(exchange._Importer, "add_all", failing_at_the_actions)
    before = row_counts(second_engine)
    with pytest.raises(RuntimeError), session_scope(second_engine) as other:
        exchange.import_organisation(other, demo_export)
    assert calls["n"] > 20  # everything before the actions had been written
    assert row_counts(second_engine) == before


def test_a_roadmap_without_rounds_needs_the_apps_frameworks(
        session: Session, framework: Framework, second_engine: Engine) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    phase = roadmap.create_phase(session, organisation, framework, roadmap.PhaseInput(
        "pilot", "Pilotti", "2027-01-01", "2027-03-31", ["listening"]))
    roadmap.place_unit(session, phase, unit)
    roadmap.set_gate(session, phase, framework, "listening", "3")
    session.commit()
    data = exchange.export_organisation(session, organisation)
    with pytest.raises(exchange.InvalidImportFile) as caught, \
            session_scope(second_engine) as other:
        exchange.import_organisation(other, copy.deepcopy(data))
    assert {p.path for p in caught.value.problems} == {"phases[0].focus[0]",
                                                       "phases[0].gates[0].factor_id"}
    with session_scope(second_engine) as other:
        imported = exchange.import_organisation(other, data, fallback_frameworks=[framework])
        assert exchange.export_organisation(other, imported) == data


def test_summary_counts_what_the_file_holds(demo_export: str) -> None:  # no database
    line = exchange.summary(exchange.parse_file(demo_export))
    assert line.startswith("Pohjolan Palvelu Oy (demo): 8 units, 3 rounds, ")
    assert "2 workshops" in line


# Damaged files: everything the app itself would refuse ------------------------------------

def _first_workshop(data: dict[str, Any]) -> dict[str, Any]:
    return next(w for r in data["rounds"] for w in r["workshops"])


def _too_many_dots(data: dict[str, Any]) -> None:
    workshop = _first_workshop(data)
    workshop["dots_per_participant"] = 3
    dot = {"need": workshop["needs"][0]["key"], "participant": workshop["participants"][0]["key"],
           "created_at": workshop["created_at"]}
    workshop["dots"] = [dot] * 11


def _step_out_of_range(data: dict[str, Any]) -> None:
    _first_workshop(data)["step_index"] = 999


def _submitted_without_time(data: dict[str, Any]) -> None:
    assessment = data["rounds"][0]["assessments"][0]
    assessment["status"], assessment["submitted_at"] = "submitted", None


def _proposed_twice(data: dict[str, Any]) -> None:
    proposed = next(a for a in data["actions"] if a["library_id"])
    data["actions"].append(dict(proposed))


def _nul_in_a_name(data: dict[str, Any]) -> None:
    data["units"][0]["name"] = "Myynti\x00"


def _untrimmed_name(data: dict[str, Any]) -> None:
    data["units"][0]["name"] = " Myynti\nja markkinointi"


def _huge_position(data: dict[str, Any]) -> None:
    data["actions"][0]["position"] = 10**25


def _closed_without_time(data: dict[str, Any]) -> None:
    workshop = _first_workshop(data)
    workshop["status"], workshop["closed_at"] = "closed", None


def _empty_own_action(data: dict[str, Any]) -> None:
    data["actions"].append({**data["actions"][0], "library_id": None, "text": "  ",
                            "from_level": None})


def _nicknamed_vote(data: dict[str, Any]) -> None:
    data["rounds"][1]["assessments"][1]["respondents"][0]["nickname"] = "Äänekäs"


DAMAGED = {
    "more dots than the limit": (_too_many_dots, "rounds[1].workshops[0].dots[3]",
                                 "more than the workshop's 3 dots"),
    "a step index out of range": (_step_out_of_range, "rounds[1].workshops[0].step_index",
                                  "step 999 is out of range"),
    "submitted without a time": (_submitted_without_time,
                                 "rounds[0].assessments[0].submitted_at",
                                 "needs the time it was submitted"),
    "a duplicated proposed action": (_proposed_twice, None, "duplicate proposed action"),
    "NUL in a name": (_nul_in_a_name, "units[0].name", "NUL character"),
    "an untrimmed name": (_untrimmed_name, "units[0].name", "leading, trailing"),
    "a number too large": (_huge_position, "actions[0].position", "less than or equal"),
    "closed without a time": (_closed_without_time, "rounds[1].workshops[0].closed_at",
                              "needs the time it closed"),
    "an own action without text": (_empty_own_action, None, "needs a text"),
    "a nickname on a vote": (_nicknamed_vote, "rounds[1].assessments[1].respondents[0]."
                                              "nickname", "Extra inputs"),
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_file_is_refused_with_a_message_at_its_path(
        demo_export: str, session: Session, engine: Engine, damage: str) -> None:
    mutate, path, message = DAMAGED[damage]
    data = json.loads(demo_export)
    mutate(data)
    before = row_counts(engine)
    with pytest.raises(exchange.InvalidImportFile) as caught:
        exchange.import_organisation(session, data)
    session.rollback()
    found = [p for p in caught.value.problems if message in p.message]
    assert found, [str(p) for p in caught.value.problems]
    assert path is None or found[0].path == path, [str(p) for p in found]
    assert row_counts(engine) == before


def _nested(text: str) -> str:
    return text.replace('"actions": [', '"actions": [' + "[" * 1000 + "]" * 1000 + ",", 1)


def _long_integer(text: str) -> str:
    return re.sub(r'"step_index": \d+', '"step_index": ' + "9" * 4300, text, count=1)


def _duplicate_key(text: str) -> str:
    return text.replace('"format": ', '"format": "other",\n  "format": ', 1)


def _nul_escape(text: str) -> str:
    return text.replace('"name": "', '"name": "\\u0000', 1)


RAW = {"nested 1,000 deep": (_nested, "nested more than 40 levels deep"),
       "an integer of 4,300 digits": (_long_integer, "a number of 4300 digits"),
       "a duplicate key": (_duplicate_key, "the key 'format' appears more than once"),
       "a NUL escape": (_nul_escape, "NUL character"),
       "NaN": (lambda text: re.sub(r'"step_index": \d+', '"step_index": NaN', text, count=1),
               "NaN is not a JSON number")}


@pytest.mark.parametrize("damage", RAW)
def test_a_hostile_json_text_is_refused_without_a_traceback(demo_export: str,
                                                             damage: str) -> None:
    mutate, message = RAW[damage]
    text = mutate(demo_export)
    assert text != demo_export
    with pytest.raises(exchange.InvalidImportFile) as caught:
        exchange.parse_file(text)
    assert any(message in str(p) for p in caught.value.problems), \
        [str(p) for p in caught.value.problems]
    nested = {"format": exchange.FORMAT, "deep": []}
    inner = nested["deep"]
    for _ in range(5000):  # parsed data too (as the web would hand over), far past the stack
        inner.append([])
        inner = inner[0]
    with pytest.raises(exchange.InvalidImportFile):
        exchange.parse_file(nested)


def test_a_version_1_file_is_read_and_its_nicknames_dropped(demo_export: str) -> None:
    data = json.loads(demo_export)
    data["schema_version"] = 1
    _nicknamed_vote(data)
    _first_workshop(data)["participants"][0]["nickname"] = "Öljy"
    parsed = exchange.parse_file(data)
    assert parsed.schema_version == exchange.SCHEMA_VERSION
    assert "nickname" not in json.dumps(parsed.model_dump(mode="json"))
