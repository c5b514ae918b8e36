"""The facilitator guide of a workshop: the timetable, per agenda item what to say and ask
(the template's notes, the framework's discussion prompts and the questions), how
participants join (with the QR code) and what to bring. Built as data first, rendered second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import segno
from jinja2 import Environment
from sqlmodel import Session

from assessment import services, workshops
from assessment.agendas import PlanItem
from assessment.brand import Brand
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import Organisation, Round, Unit, Workshop, utcnow
from reports.pdf import file_slug, render_html

LocalText = Mapping[str, str]
TEMPLATE = "reports/guide.html"


def prompts_of(item: object) -> tuple[LocalText, ...]:
    """A factor's or question's discussion prompts, when the framework has them (optional
    fields: a framework without them gives none)."""
    found = getattr(item, "prompts", None) or ()
    if isinstance(found, Mapping):
        found = (found,)
    return tuple(p for p in found if isinstance(p, Mapping))


@dataclass(frozen=True)
class GuideQuestion:
    """A question of a factor item, with its prompts."""

    text: LocalText
    prompts: tuple[LocalText, ...]


@dataclass(frozen=True)
class GuideItem:
    """One agenda item of the timetable and what to say and ask in it."""

    kind: str
    factor_id: str | None
    starts: int  # minutes from the start
    minutes: int
    notes: LocalText | None
    prompts: tuple[LocalText, ...]
    questions: tuple[GuideQuestion, ...]


@dataclass(frozen=True)
class Guide:
    """Everything the facilitator guide shows, independent of its language."""

    organisation_name: str
    unit_name: str
    round_name: str
    framework: Framework
    plan_name: LocalText
    code: str
    join_url: str
    join_base: str
    items: tuple[GuideItem, ...]
    checklist: tuple[LocalText, ...]
    dots: int
    generated_at: datetime

    @property
    def minutes(self) -> int:
        """The planned length of the whole agenda."""
        return sum(item.minutes for item in self.items)


def _item(framework: Framework, item: PlanItem, starts: int, notes: LocalText | None,
          ) -> GuideItem:
    prompts: tuple[LocalText, ...] = ()
    questions: tuple[GuideQuestion, ...] = ()
    if item.kind == "factor" and item.factor_id:
        factor = framework.factor(item.factor_id)
        prompts = prompts_of(factor)
        questions = tuple(GuideQuestion(q.text, prompts_of(q)) for q in factor.questions)
    return GuideItem(item.kind, item.factor_id, starts, item.minutes, notes, prompts,
                     questions)


def build_guide(session: Session, registry: FrameworkRegistry, workshop: Workshop,
                join_base: str, now: datetime | None = None) -> Guide:
    """Gather the guide of a workshop; `join_base` is the join page's address as phones
    reach it."""
    framework = services.framework_of_round(session, registry, workshop.round_id)
    organisation = session.get(Organisation, workshop.organisation_id)
    round_, unit = session.get(Round, workshop.round_id), session.get(Unit, workshop.unit_id)
    assert organisation is not None and round_ is not None and unit is not None  # foreign keys
    plan = workshops.plan_of(workshop, framework)
    items, starts = [], 0
    for item in plan.items:
        items.append(_item(framework, item, starts, plan.notes_for(item)))
        starts += item.minutes
    return Guide(organisation.name, unit.name, round_.name, framework, plan.name, workshop.code,
                 f"{join_base}?code={workshop.code}", join_base, tuple(items), plan.checklist,
                 workshop.dots_per_participant, now or utcnow())


def qr_svg(url: str) -> str:
    """The join address as a QR code (SVG)."""
    return str(segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True))


def guide_html(guide: Guide, t: Translator, environment: Environment,
               brand: Brand | None = None) -> str:
    """The guide as print-ready HTML in the translator's language."""
    return render_html(environment, TEMPLATE, t, {
        "guide": guide, "framework": guide.framework, "qr_svg": qr_svg(guide.join_url),
        "names": item_names(t, guide.framework, guide.items)}, brand=brand)


def guide_filename(guide: Guide, language: str) -> str:
    """A plain ASCII file name: guide-<unit>-<code>-<language>.pdf."""
    return f"guide-{file_slug(guide.unit_name)}-{guide.code.lower()}-{language}.pdf"


def item_names(t: Translator, framework: Framework, items: Sequence[GuideItem]) -> list[str]:
    """Each item's name in the timetable."""
    names = {"needs": t.gettext("Needs and expectations"),
             "needs_vote": t.gettext("Prioritise the needs"), "targets": t.gettext("Targets"),
             "wrapup": t.gettext("Wrap-up")}
    return [t.text(framework.factor(i.factor_id).name) if i.kind == "factor" and i.factor_id
            else names.get(i.kind, i.kind) for i in items]
