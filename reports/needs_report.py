"""The needs-and-expectations result of a unit in a round (seed 003's first phase) as a
deliverable: the ranked needs, the factors they were tagged with, and which phase of the
rollout roadmap picks each one up. A one-page PDF of its own and a section of the unit report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from assessment import roadmap, services, workshops
from assessment.brand import Brand
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import (
    Need,
    Organisation,
    PhaseKind,
    Round,
    Unit,
    Workshop,
    id_of,
    utcnow,
)
from reports.pdf import file_slug, render_html

TEMPLATE = "reports/needs.html"


@dataclass(frozen=True)
class PhaseRef:
    """A roadmap phase, as a need's pick-up."""

    name: str
    kind: str


@dataclass(frozen=True)
class NeedRow:
    """A need (with the notes merged into it), its dots, its factor and its pick-up: the first
    pilot or wave whose focus factors include the need's factor."""

    rank: int
    text: str
    merged: tuple[str, ...]
    dots: int
    factor_id: str | None
    phase: PhaseRef | None


@dataclass(frozen=True)
class NeedsResult:
    """Everything the needs-and-expectations result shows, independent of its language."""

    organisation_name: str
    unit_name: str
    round_name: str
    framework: Framework
    needs: tuple[NeedRow, ...]
    needs_phase: PhaseRef | None  # the roadmap's phase 0, when it has one
    sessions: int
    generated_at: datetime

    @property
    def empty(self) -> bool:
        """Whether no workshop of the unit in the round recorded a need."""
        return not self.needs


def _pick_ups(session: Session, organisation: Organisation,
              ) -> tuple[PhaseRef | None, list[tuple[PhaseRef, set[str]]]]:
    phases = roadmap.phases(session, organisation)
    needs_phase = next((PhaseRef(p.name, str(p.kind)) for p in phases
                        if p.kind == PhaseKind.needs), None)
    later = [(PhaseRef(p.name, str(p.kind)), {f for f in p.focus.split(",") if f})
             for p in phases if p.kind != PhaseKind.needs]
    return needs_phase, later


def build_needs_result(session: Session, registry: FrameworkRegistry, round_: Round,
                       unit: Unit, now: datetime | None = None) -> NeedsResult:
    """Gather the needs of the unit's workshops in the round, most dots first."""
    if unit.organisation_id != round_.organisation_id:
        raise services.InvalidInput(services.N_(
            "The unit and the round belong to different organisations."))
    organisation = session.get(Organisation, round_.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    framework, _ = services.round_framework(session, registry, round_)
    found = list(session.exec(select(Workshop).where(
        Workshop.round_id == id_of(round_), Workshop.unit_id == id_of(unit))
        .order_by(col(Workshop.id))))
    ranked = [r for w in found for r in workshops.ranked_needs(session, w)]
    ranked.sort(key=lambda r: -r.dots)  # stable: a session's own order among equal dots
    needs_phase, later = _pick_ups(session, organisation)
    known = {f.id for f in framework.factors}
    rows = []
    for rank, item in enumerate(ranked, 1):
        factor_id = item.need.factor_id if item.need.factor_id in known else None
        phase = next((ref for ref, focus in later if factor_id in focus), None) \
            if factor_id else None
        rows.append(NeedRow(rank, item.need.text, tuple(m.text for m in item.merged),
                            item.dots, factor_id, phase))
    return NeedsResult(organisation.name, unit.name, round_.name, framework, tuple(rows),
                       needs_phase, len(found), now or utcnow())


@dataclass(frozen=True)
class NeedsLink:
    """A unit whose workshop in a round recorded needs: where its needs result is."""

    round_id: int
    round_name: str
    unit_id: int
    unit_name: str
    needs: int


def needs_results(session: Session, organisation: Organisation) -> list[NeedsLink]:
    """Every unit with recorded needs, in the newest round that has them (for phase 0 of
    the roadmap), by unit name."""
    rows = session.execute(sa_select(
        col(Round.id), col(Round.name), col(Unit.id), col(Unit.name),
        func.count(col(Need.id))).select_from(Need)
        .join(Workshop, col(Workshop.id) == Need.workshop_id)
        .join(Round, col(Round.id) == Workshop.round_id)
        .join(Unit, col(Unit.id) == Workshop.unit_id)
        .where(col(Workshop.organisation_id) == id_of(organisation),
               col(Need.merged_into).is_(None))
        .group_by(col(Round.id), col(Round.name), col(Unit.id), col(Unit.name))
        .order_by(col(Round.id).desc()))
    newest: dict[int, NeedsLink] = {}
    for row in rows:
        round_id, round_name, unit_id, unit_name, count = (int(row[0]), str(row[1]),
                                                           int(row[2]), str(row[3]), int(row[4]))
        newest.setdefault(unit_id, NeedsLink(round_id, round_name, unit_id, unit_name, count))
    return sorted(newest.values(), key=lambda link: (link.unit_name.casefold(), link.unit_id))


def phase_kind_names(t: Translator) -> Mapping[str, str]:
    """The names of the kinds of phase."""
    return {"needs": t.gettext("Needs and expectations"), "pilot": t.gettext("Pilot"),
            "wave": t.gettext("Wave")}


def needs_html(result: NeedsResult, t: Translator, environment: Environment,
               brand: Brand | None = None) -> str:
    """The result as print-ready HTML in the translator's language."""
    return render_html(environment, TEMPLATE, t, {
        "needs": result, "framework": result.framework,
        "phase_kinds": phase_kind_names(t)}, brand=brand)


def needs_filename(result: NeedsResult, language: str) -> str:
    """A plain ASCII file name: needs-<unit>-<round>-<language>.pdf."""
    return (f"needs-{file_slug(result.unit_name)}-{file_slug(result.round_name)}-"
            f"{language}.pdf")
