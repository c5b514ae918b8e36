"""A plausible demo organisation: a unit tree, three rounds and answers that improve over time."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from assessment import accounts, roadmap, services, survey, workshops
from assessment.framework import Framework
from assessment.models import (
    ActionStatus,
    Answer,
    Assessment,
    AssessmentStatus,
    Choice,
    Organisation,
    Role,
    Round,
    Unit,
    User,
    utcnow,
)
from assessment.workshops import StepKind

DEMO_NAME = "Pohjolan Palvelu Oy (demo)"
DEFAULT_FRAMEWORK = "some-maturity"  # the framework the demo's texts were written for
ROUNDS = ("Syksy 2025", "Kevät 2026", "Syksy 2026")

# (name, parent, starting stage per factor as a rough level, growth per round)
_UNITS: tuple[tuple[str, str | None, float, float], ...] = (
    ("Johto ja strategia", None, 2.2, 0.4),
    ("Viestintä ja markkinointi", None, 3.1, 0.5),
    ("Markkinointi", "Viestintä ja markkinointi", 3.4, 0.4),
    ("Sisäinen viestintä", "Viestintä ja markkinointi", 2.6, 0.5),
    ("Asiakaspalvelu", None, 1.9, 0.7),
    ("Puhelin- ja chat-palvelu", "Asiakaspalvelu", 1.6, 0.6),
    ("Myynti", None, 1.7, 0.3),
    ("Henkilöstö ja rekrytointi", None, 1.4, 0.5),
)
# Some factors are harder everywhere: measuring and culture lag behind, as the seeds observe.
_FACTOR_BIAS = {"goals": 0.2, "audiences-channels": 0.4, "activities": 0.1, "ownership": -0.1,
                "listening": -0.3, "participation": 0.0, "measurement": -0.6, "culture": -0.4}
_NOTES = {
    "goals": "Tavoitteet on kirjattu, mutta niitä ei ole käyty läpi johtoryhmässä.",
    "audiences-channels": "Osalla yksiköistä on oma hiljainen tili, joka pitäisi yhdistää.",
    "activities": "Vuosikello on olemassa, mutta sitä ei päivitetä säännöllisesti.",
    "ownership": "Somevastaavan rooli on kirjattu työnkuvaan tänä vuonna.",
    "listening": "Seurantatyökalu on hankittu, mutta raportteja ei analysoida.",
    "participation": "Kommentteihin vastataan, kun ehditään; linjausta kritiikkiin ei ole.",
    "measurement": "Seuraajamäärät raportoidaan, mutta niitä ei tulkita.",
    "culture": "Asiantuntijat kaipaavat koulutusta omien kanavien käyttöön.",
}


# The spring workshop of the pilot unit: what its participants wrote as needs and expectations.
# Each factor id names one of the default framework's factors; another framework gets the
# factor at the same position instead (see `_factor_for`).
_NEEDS = (
    ("Selkeä vastuunjako siihen, kuka vastaa asiakkaiden kysymyksiin somessa.", "ownership"),
    ("Yhteinen vuosikello, jotta kampanjat eivät tule yllätyksenä.", "activities"),
    ("Pelisäännöt kriittisiin kommentteihin ja maineriskeihin.", "participation"),
    ("Seurantatyökalun raportit käyttöön viikkopalaveriin.", "listening"),
    ("Koulutusta omien kanavien käyttöön.", "culture"),
    ("Hiljaiset signaalit talteen asiakaspalvelusta.", None),
)
# For another framework: needs that fit any maturity model.
_GENERIC_NEEDS = (
    ("Selkeä vastuunjako: kuka tekee mitäkin ja kuka päättää.", "ownership"),
    ("Yhteinen aikataulu, jotta muutokset eivät tule yllätyksenä.", "activities"),
    ("Sovitut toimintatavat poikkeustilanteisiin.", "participation"),
    ("Seurannan tulokset käyttöön viikkopalaveriin.", "listening"),
    ("Koulutusta uusiin käytäntöihin.", "culture"),
    ("Parempi tieto siitä, missä olemme nyt.", None),
)
PILOT_UNIT = "Asiakaspalvelu"
# The unit whose people answered a pre-workshop survey in the newest round.
SURVEY_UNIT = "Myynti"
SURVEY_RESPONDENTS = 7
# (kind, name, start, end, focus factors, units, owners, gates as (factor, level))
_PHASES: tuple[tuple[str, str, date, date, tuple[str, ...], tuple[str, ...],
                     tuple[tuple[str, str], ...], tuple[tuple[str, int], ...]], ...] = (
    ("needs", "Tarpeet ja odotukset", date(2026, 1, 12), date(2026, 2, 27), (), (),
     (("Kalle Konsultti", "Työpajojen vetäjä"), ("Johanna Johtaja", "Ohjausryhmän puheenjohtaja")),
     ()),
    ("pilot", "Pilotti: asiakaspalvelu", date(2026, 3, 2), date(2026, 8, 28),
     ("ownership", "listening"), (PILOT_UNIT, "Puhelin- ja chat-palvelu"),
     (("Ulla Yksikkö", "Pilotin omistaja"), ("Sanna Saarinen", "Yhteisömanageri")),
     (("ownership", 3), ("listening", 3))),
    ("wave", "Aalto 1: viestintä ja markkinointi", date(2026, 9, 1), date(2027, 2, 26),
     ("activities", "measurement"),
     ("Viestintä ja markkinointi", "Markkinointi", "Sisäinen viestintä"),
     (("Johanna Johtaja", "Sponsori"),), (("activities", 3),)),
    ("wave", "Aalto 2: myynti ja henkilöstö", date(2027, 3, 1), date(2027, 8, 27),
     ("participation", "culture"), ("Myynti", "Henkilöstö ja rekrytointi", "Johto ja strategia"),
     (("Kalle Konsultti", "Muutostuki"),), ()),
)


# (email, name, role or None for the administrator, units a unit lead leads)
DEMO_USERS: tuple[tuple[str, str, Role | None, tuple[str, ...]], ...] = (
    ("admin@demo.example", "Aino Admin", None, ()),
    ("konsultti@demo.example", "Kalle Konsultti", Role.consultant, ()),
    ("johto@demo.example", "Johanna Johtaja", Role.leadership, ()),
    ("asiakaspalvelu@demo.example", "Ulla Yksikkö", Role.unit_lead, ("Asiakaspalvelu",)),
)


@dataclass(frozen=True)
class DemoUser:
    """A demo account and its role, for printing sign-in details."""

    email: str
    name: str
    role: str


def demo_users(session: Session, organisation: Organisation, password: str) -> list[DemoUser]:
    """Create the demo users (one per role) or reset their passwords to `password`."""
    units = {u.name: u for u in session.exec(select(Unit).where(
        Unit.organisation_id == organisation.id))}
    created: list[DemoUser] = []
    for email, name, role, led in DEMO_USERS:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = accounts.create_user(session, email=email, name=name, password=password,
                                        is_admin=role is None)
        else:
            user.password_hash = accounts.hash_password(accounts.check_new_password(password))
            user.session_version += 1
            session.add(user)
        if role is not None:
            accounts.grant(session, user, organisation, role, [units[n].id or 0 for n in led])
        created.append(DemoUser(email, name, str(role) if role else "admin"))
    session.flush()
    return created


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` created."""

    organisation: Organisation
    units: int
    rounds: int
    answers: int
    created: bool


def demo_name(framework: Framework) -> str:
    """The demo organisation's name: the same as ever for the default framework, with the
    framework's id for another, so that each framework can have its own demo."""
    if framework.id == DEFAULT_FRAMEWORK:
        return DEMO_NAME
    return f"Pohjolan Palvelu Oy (demo, {framework.id})"


def _scaled(framework: Framework, rough: float) -> float:
    """A rough level on the default framework's scale (1–5) on this framework's scale."""
    if (framework.first_level, framework.last_level) == (1, 5):
        return rough
    return framework.first_level + (rough - 1) / 4 * (framework.stage_count - 1)


def _level(rng: random.Random, base: float, framework: Framework) -> int:
    """A level around `base` (on the default framework's scale), within the framework's."""
    value = round(_scaled(framework, base) + rng.gauss(0, 0.7))
    return max(framework.first_level, min(framework.last_level, value))


def _factor_for(framework: Framework, factor_id: str) -> str:
    """The factor the demo's data names, or for another framework the factor at the same
    position in its list (the default framework's factors in `_FACTOR_BIAS` order)."""
    ids = [f.id for f in framework.factors]
    if factor_id in ids:
        return factor_id
    return ids[list(_FACTOR_BIAS).index(factor_id) % len(ids)]


def _bias(framework: Framework, factor_id: str) -> float:
    """How far a factor lags or leads (the default framework's factors; others level)."""
    return _FACTOR_BIAS.get(factor_id, 0.0) if framework.id == DEFAULT_FRAMEWORK else 0.0


def _answers_for(rng: random.Random, framework: Framework, base: float,
                 completeness: float) -> list[services.AnswerInput]:
    inputs: list[services.AnswerInput] = []
    for factor in framework.factors:
        centre = base + _bias(framework, factor.id)
        for question in factor.questions:
            roll = rng.random()
            if roll > completeness:
                continue
            if roll < 0.04:
                choice = "dont_know"
            elif roll < 0.06:
                allowed = framework.not_applicable_allowed(question, workshop=False)
                choice = "not_applicable" if allowed else "dont_know"
            else:
                choice = str(_level(rng, centre, framework))
            note = _NOTES.get(factor.id) if rng.random() < 0.06 else None
            inputs.append(services.AnswerInput(question.id, choice, note))
    return inputs


def load_demo(session: Session, framework: Framework, *, earlier: Framework | None = None,
              seed: int = 2026) -> DemoSummary:
    """Create the demo organisation unless it exists; the same seed gives the same data.
    With `earlier` (an older version of the framework), every round but the newest is pinned
    to it and only the newest to `framework`, as when a new version comes out mid-rollout;
    the spring workshop and the roadmap then belong to the earlier version."""
    name = demo_name(framework)
    existing = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if existing is not None:
        return DemoSummary(existing, 0, 0, 0, created=False)
    rng = random.Random(seed)
    organisation = services.create_organisation(session, name)
    units: dict[str, Unit] = {}
    for name, parent, _base, _growth in _UNITS:
        parent_id = units[parent].id if parent else None
        units[name] = services.create_unit(session, organisation, name, parent_id)
    answers = 0
    for index, round_name in enumerate(ROUNDS):
        latest = index == len(ROUNDS) - 1
        pinned = framework if latest or earlier is None else earlier
        round_ = services.create_round(session, organisation, round_name, pinned)
        for position, (name, _parent, base, growth) in enumerate(_UNITS):
            if latest and position % 4 == 3:
                continue  # not every unit has started the current round yet
            assessment = services.get_or_create_assessment(session, round_, units[name])
            completeness = 0.6 if latest and position % 3 == 0 else 0.97
            inputs = _answers_for(rng, pinned, base + growth * index, completeness)
            services.save_answers(session, assessment, pinned, inputs)
            answers += len(inputs)
            if not (latest and position % 3 == 0):
                services.submit_assessment(session, assessment)
    rounds = services.list_rounds(session, organisation)
    spring = earlier or framework
    _demo_workshop(session, spring, rounds[1], units[PILOT_UNIT], random.Random(seed + 1))
    _demo_roadmap(session, spring, organisation, rounds[1], units)
    _demo_survey(session, framework, rounds[-1], units[SURVEY_UNIT], random.Random(seed + 2))
    return DemoSummary(organisation, len(units), len(ROUNDS), answers, created=True)


def _demo_workshop(session: Session, framework: Framework, round_: Round, unit: Unit,
                   rng: random.Random) -> None:
    """A finished workshop: needs with dots, every question voted and agreed, targets."""
    workshop = workshops.create_workshop(session, round_, unit, by=None)
    people = [workshops.join(session, workshop, f"Osallistuja {i}")[0] for i in range(1, 7)]
    written = _NEEDS if framework.id == DEFAULT_FRAMEWORK else _GENERIC_NEEDS
    needs = [workshops.post_need(session, workshop, framework, person, text,
                                 _factor_for(framework, factor) if factor else None)
             for person, (text, factor) in zip(people, written, strict=True)]
    steps = workshops.agenda(framework)
    workshops.go_to(session, workshop, framework, 1)
    for number, person in enumerate(people):
        for need in (needs[0], needs[number % 4], needs[(number * 2 + 1) % 5]):
            workshops.place_dot(session, workshop, framework, person, need.id or 0)
    base = 2.6
    for step in steps:
        if step.kind is StepKind.question and step.question_id and step.factor_id:
            workshops.go_to(session, workshop, framework, step.index)
            centre = base + _bias(framework, step.factor_id)
            levels = [_level(rng, centre, framework) for _ in people]
            for person, level in zip(people, levels, strict=True):
                workshops.vote(session, workshop, framework, person, step.question_id, str(level))
            workshops.set_revealed(session, workshop, framework, step.question_id, True)
            agreed = int(statistics.median_low(levels))
            workshops.record_consensus(session, workshop, framework, step.question_id,
                                       str(agreed), "Mediaani; keskustelun jälkeen yksimielinen.")
        elif step.kind is StepKind.target and step.factor_id:
            workshops.go_to(session, workshop, framework, step.index)
            centre = base + _bias(framework, step.factor_id) + 1.0
            for person in people:
                workshops.target_vote(session, workshop, framework, person, step.factor_id,
                                      str(_level(rng, centre, framework)))
            target = statistics.median_low(workshops.target_votes(session, workshop,
                                                                  step.factor_id))
            workshops.record_target(session, workshop, framework, step.factor_id, str(target))
    workshops.go_to(session, workshop, framework, steps[-1].index)
    workshops.close_workshop(session, workshop)


def _demo_survey(session: Session, framework: Framework, round_: Round, unit: Unit,
                 rng: random.Random) -> None:
    """A closed pre-workshop survey: people agree on some practices (close answers) and not
    on others (answers spread over several stages)."""
    item = survey.open_survey(session, round_, unit, by=None)
    clear = {q.id: rng.random() < 0.5 for f in framework.factors for q in f.questions}
    base = 2.0
    for _ in range(SURVEY_RESPONDENTS):
        respondent = survey.start(session, item, "demo", limit=SURVEY_RESPONDENTS,
                                  window=timedelta(minutes=1))[0]
        inputs = []
        for factor in framework.factors:
            centre = _scaled(framework, base + _FACTOR_BIAS.get(factor.id, 0.0))
            for question in factor.questions:
                noise = 0.3 if clear[question.id] else 0.9
                level = max(framework.first_level,
                            min(framework.last_level, round(centre + rng.gauss(0, noise))))
                choice = "dont_know" if rng.random() < 0.03 else str(level)
                inputs.append(services.AnswerInput(question.id, choice))
        survey.answer(session, item, framework, respondent, inputs)
    survey.close_survey(session, item)


def _demo_roadmap(session: Session, framework: Framework, organisation: Organisation,
                  plan_round: Round, units: dict[str, Unit]) -> None:
    """Phases from needs through the pilot to two waves, and the pilot's actions."""
    for kind, name, starts, ends, focus, members, owners, gates in _PHASES:
        focus = tuple(dict.fromkeys(_factor_for(framework, f) for f in focus))
        phase = roadmap.create_phase(session, organisation, framework, roadmap.PhaseInput(
            kind, name, starts.isoformat(), ends.isoformat(), focus))
        for member in members:
            roadmap.place_unit(session, phase, units[member])
        for person, role in owners:
            if framework.id != DEFAULT_FRAMEWORK and role == "Yhteisömanageri":
                role = "Kehittämisvastaava"  # another model's demo has no community manager
            roadmap.add_owner(session, phase, person, role)
        for factor, level in gates:
            roadmap.set_gate(session, phase, framework, _factor_for(framework, factor),
                             str(round(_scaled(framework, level))))
    pilot = units[PILOT_UNIT]
    measured = roadmap.round_scores(session, framework, plan_round, [pilot.id or 0])
    targets = roadmap.targets(session, plan_round.id or 0, [pilot.id or 0])[pilot.id or 0]
    proposed = roadmap.propose_actions(session, pilot, framework,
                                       roadmap.gaps(framework, measured.get(pilot.id or 0),
                                                    targets))
    for number, action in enumerate(proposed):
        action.owner = ("Ulla Yksikkö", "Sanna Saarinen")[number % 2]
        action.due_on = date(2026, 4 + number % 5, 28)
        action.status = list(ActionStatus)[number % 3]  # done, in progress and planned ones
        session.add(action)
    session.flush()


# A large organisation, for trying the leadership view at scale ------------------------------

_DIVISIONS = ("Asiakaskokemus", "Markkinointi ja viestintä", "Myynti", "Tuotanto", "Henkilöstö",
              "Talous", "Tietohallinto", "Tutkimus ja kehitys")
_TEAMS = ("Pohjoinen", "Etelä", "Itä", "Länsi", "Keskusta", "Verkko", "Kenttä", "Tuki")


def large_demo_name(units: int, rounds: int) -> str:
    """The name of the generated organisation with this many units and rounds."""
    return f"Suuri demo Oy ({units} yksikköä, {rounds} kierrosta)"


def load_large_demo(session: Session, framework: Framework, *, units: int, rounds: int,
                    seed: int = 2026) -> DemoSummary:
    """An organisation of `units` units in a three-level tree (divisions, departments,
    teams) assessed in `rounds` rounds, every unit improving at its own pace; created once."""
    if units < 1 or rounds < 1:
        raise services.InvalidInput(services.N_("Give at least one unit and one round."))
    name = large_demo_name(units, rounds)
    existing = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if existing is not None:
        return DemoSummary(existing, 0, 0, 0, created=False)
    rng = random.Random(seed)
    organisation = services.create_organisation(session, name)
    made: list[tuple[Unit, float, float]] = []

    def add(unit_name: str, parent: Unit | None) -> Unit:
        unit = services.create_unit(session, organisation, unit_name,
                                    parent.id if parent else None)
        made.append((unit, rng.uniform(1.2, 3.2), rng.uniform(0.0, 0.3)))
        return unit

    divisions = [add(_DIVISIONS[i % len(_DIVISIONS)]
                     + (f" {i // len(_DIVISIONS) + 1}" if i >= len(_DIVISIONS) else ""), None)
                 for i in range(max(1, units // 25))]
    departments = [add(f"{divisions[i % len(divisions)].name}, osasto {i + 1}",
                       divisions[i % len(divisions)])
                   for i in range(min(units - len(made), 4 * len(divisions)))]
    parents = departments or divisions
    for i in range(units - len(made)):
        parent = parents[i % len(parents)]
        add(f"{parent.name}, tiimi {_TEAMS[i % len(_TEAMS)]} {i + 1}", parent)
    questions = [(f.id, q.id) for f in framework.factors for q in f.questions]
    answers = 0
    for number in range(rounds):
        round_ = services.create_round(session, organisation, f"Kierros {number + 1:02d}",
                                       framework)
        rows = [Assessment(round_id=round_.id or 0, unit_id=unit.id or 0,
                           status=AssessmentStatus.submitted, submitted_at=utcnow())
                for unit, _base, _growth in made]
        session.add_all(rows)
        session.flush()
        batch = []
        for assessment, (_unit, base, growth) in zip(rows, made, strict=True):
            for factor_id, question_id in questions:
                level = _level(rng, base + growth * number + _bias(framework, factor_id),
                               framework)
                batch.append(Answer(assessment_id=assessment.id or 0, question_id=question_id,
                                    choice=Choice.level, level=level))
        session.add_all(batch)
        session.flush()
        answers += len(batch)
    return DemoSummary(organisation, len(made), rounds, answers, created=True)
