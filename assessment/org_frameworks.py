"""Several frameworks in one organisation: which frameworks its rounds use, the rounds of
each, and the framework its roadmap speaks.

Factors are matched only inside one framework (by id); versions of one framework compare on
the factors they share. The organisation-level views (dashboard, trends, comparison, brief,
roadmap, gates, targets, exports) each work on one framework at a time, chosen in the URL
(`?framework=ID`); the roadmap speaks the framework the organisation chose for it, else the
framework of its newest round, else the default framework.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from assessment import services
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import FrameworkVersion, Organisation, Round, id_of
from assessment.services import N_, InvalidInput

DEFAULT_FRAMEWORK_ID = "some-maturity"


@dataclass(frozen=True)
class FrameworkChoice:
    """One framework of an organisation: the version its pages speak (that of its newest
    round on it, else the current one) and its rounds, oldest first."""

    id: str
    framework: Framework
    rounds: tuple[Round, ...]


def default_framework(registry: FrameworkRegistry) -> Framework:
    """The framework of an organisation without rounds: the default one when it is
    available, else the first by id."""
    try:
        return registry.get(DEFAULT_FRAMEWORK_ID)
    except KeyError:
        return min(registry.current, key=lambda f: f.id)


def framework_ids(session: Session, rounds: Sequence[Round]) -> dict[int, str]:
    """The framework id of each round (round id -> framework id), in one query."""
    if not rounds:
        return {}
    rows = session.exec(select(Round.id, FrameworkVersion.framework_id).join(
        FrameworkVersion, col(Round.framework_version_id) == FrameworkVersion.id).where(
        col(Round.id).in_([id_of(r) for r in rounds])))
    return {int(rid): fid for rid, fid in rows if rid is not None}


def rounds_on(session: Session, rounds: Sequence[Round], framework_id: str) -> list[Round]:
    """The rounds pinned to any version of the framework, in the given order."""
    ids = framework_ids(session, rounds)
    return [r for r in rounds if ids.get(id_of(r)) == framework_id]


def choices(session: Session, registry: FrameworkRegistry, organisation: Organisation,
            rounds: Sequence[Round] | None = None) -> list[FrameworkChoice]:
    """The frameworks the organisation's rounds use, the one of the newest round first,
    plus the roadmap's framework when no round uses it."""
    rounds = list(rounds) if rounds is not None else services.list_rounds(session,
                                                                           organisation)
    ids = framework_ids(session, rounds)
    found: dict[str, list[Round]] = {}
    for round_ in reversed(rounds):
        found.setdefault(ids[id_of(round_)], []).insert(0, round_)
    result = [FrameworkChoice(fid, services.round_framework(session, registry, own[-1])[0],
                              tuple(own)) for fid, own in found.items()]
    chosen = organisation.roadmap_framework_id
    if chosen and chosen not in found:
        current = _current(registry, chosen)
        if current is not None:
            result.append(FrameworkChoice(chosen, current, ()))
    if not result:
        fallback = default_framework(registry)
        result.append(FrameworkChoice(fallback.id, fallback, ()))
    return result


def _current(registry: FrameworkRegistry, framework_id: str) -> Framework | None:
    try:
        return registry.get(framework_id)
    except KeyError:
        versions = registry.versions(framework_id)
        return versions[0] if versions else None


def pick(options: Sequence[FrameworkChoice], raw: str | None,
         default: str | None = None) -> FrameworkChoice | None:
    """The framework asked for (None when it is not one of the options), else `default`'s,
    else the first."""
    wanted = (raw or "").strip() or default
    if wanted:
        return next((c for c in options if c.id == wanted), None)
    return options[0] if options else None


def roadmap_choice(session: Session, registry: FrameworkRegistry,
                   organisation: Organisation,
                   rounds: Sequence[Round] | None = None) -> FrameworkChoice:
    """The framework the organisation's roadmap speaks, with its rounds: the one chosen for
    it, else that of the newest round, else the default framework."""
    options = choices(session, registry, organisation, rounds)
    chosen = pick(options, organisation.roadmap_framework_id) \
        if organisation.roadmap_framework_id else None
    return chosen or options[0]


def roadmap_framework(session: Session, registry: FrameworkRegistry,
                      organisation: Organisation) -> Framework:
    """The framework (version) the organisation's roadmap speaks."""
    return roadmap_choice(session, registry, organisation).framework


def offered(session: Session, registry: FrameworkRegistry,
            organisation: Organisation) -> list[Framework]:
    """The frameworks an organisation's roadmap may speak: those its rounds use and every
    current one."""
    seen: dict[str, Framework] = {c.id: c.framework for c in choices(session, registry,
                                                                      organisation)}
    for framework in registry.current:
        seen.setdefault(framework.id, framework)
    return list(seen.values())


def set_roadmap_framework(session: Session, registry: FrameworkRegistry,
                          organisation: Organisation, framework_id: str | None) -> None:
    """Choose the framework of the organisation's roadmap (one of `offered`)."""
    wanted = (framework_id or "").strip()
    if wanted not in {f.id for f in offered(session, registry, organisation)}:
        raise InvalidInput(N_("Choose one of the frameworks."), field="roadmap_framework")
    organisation.roadmap_framework_id = wanted
    session.add(organisation)
    session.flush()


def keep_roadmap_framework(session: Session, registry: FrameworkRegistry,
                           organisation: Organisation) -> Framework:
    """The roadmap's framework, stored on the organisation when it was only the default: a
    roadmap that has phases and gates keeps speaking it when a later round uses another
    framework."""
    choice = roadmap_choice(session, registry, organisation)
    if organisation.roadmap_framework_id is None:
        organisation.roadmap_framework_id = choice.id
        session.add(organisation)
        session.flush()
    return choice.framework
