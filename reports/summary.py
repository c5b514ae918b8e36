"""The one-page executive summary that opens the unit report, the roadmap and the leadership
brief (and their slide decks): the three largest gaps to target, and the next phase of the
rollout with its gates. Built as data from what the reports already gather."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from assessment.framework import Framework
from assessment.i18n import Translator
from assessment.models import PhaseKind, id_of
from assessment.roadmap import PhaseProgress

GAPS_SHOWN = 3


@dataclass(frozen=True)
class GapLine:
    """A factor below its target: whose (None: the unit the report is about), by how much."""

    factor_id: str
    unit: str | None
    current: int | None  # the stage level reached; None: not measured
    target: int
    gap: int


@dataclass(frozen=True)
class GateLine:
    """A gate of a phase: every unit of the phase must reach the stage on the factor."""

    factor_id: str
    level: int
    reached: int
    units: int

    @property
    def holds(self) -> bool:
        """Whether every unit of the phase has reached the stage."""
        return self.units > 0 and self.reached == self.units


@dataclass(frozen=True)
class PhaseLine:
    """A phase of the rollout as the summary tells it."""

    kind: str
    wave: int | None
    name: str
    starts_on: date | None
    ends_on: date | None
    unit_ids: tuple[int, ...]
    units: tuple[str, ...]
    gates: tuple[GateLine, ...]

    @property
    def gates_hold(self) -> bool:
        """Whether the phase has gates and every one of them holds."""
        return bool(self.gates) and all(g.holds for g in self.gates)


def phase_lines(progress: Sequence[PhaseProgress]) -> tuple[PhaseLine, ...]:
    """The roadmap's phases, in order, with their units and gates."""
    lines, waves = [], 0
    for item in progress:
        phase = item.phase
        waves += phase.kind == PhaseKind.wave
        lines.append(PhaseLine(
            kind=str(phase.kind), wave=waves if phase.kind == PhaseKind.wave else None,
            name=phase.name, starts_on=phase.starts_on, ends_on=phase.ends_on,
            unit_ids=tuple(id_of(u.unit) for u in item.units),
            units=tuple(u.unit.name for u in item.units),
            gates=tuple(GateLine(g.gate.factor_id, g.gate.level, g.reached, g.units)
                        for g in item.gates)))
    return tuple(lines)


def next_phase(phases: Sequence[PhaseLine], unit_id: int | None = None,
               today: date | None = None) -> PhaseLine | None:
    """The phase that comes next: for a unit, the phase it is placed in; otherwise (or when
    the unit is in none) the first phase not yet passed. A phase is passed when its gates
    all hold, or when it has no gates and its last day is before `today`. None: no phase is
    left to pass."""
    if unit_id is not None:
        own = next((p for p in phases if unit_id in p.unit_ids), None)
        if own is not None:
            return own

    def passed(phase: PhaseLine) -> bool:
        if phase.gates:
            return phase.gates_hold
        return bool(today and phase.ends_on and phase.ends_on < today)

    return next((p for p in phases if not passed(p)), None)


def largest_gaps(units: Iterable[tuple[str | None, Mapping[str, int], Mapping[str, int]]],
                 framework: Framework) -> tuple[GapLine, ...]:
    """The largest gaps between target and reached stage, largest first (framework order
    among equals), from (unit name, targets, reached levels) per unit."""
    order = {f.id: i for i, f in enumerate(framework.factors)}
    found = []
    for name, targets, reached in units:
        for factor_id, target in targets.items():
            current = reached.get(factor_id)
            if factor_id in order and current is not None and target > current:
                found.append(GapLine(factor_id, name, current, target, target - current))
    found.sort(key=lambda g: (-g.gap, order[g.factor_id], g.unit or ""))
    return tuple(found[:GAPS_SHOWN])


def phase_label(t: Translator, phase: PhaseLine) -> str:
    """"Wave 2: Sales" (or the name alone when it already says its kind)."""
    label = {"needs": t.gettext("Needs and expectations"), "pilot": t.gettext("Pilot")}.get(
        phase.kind) or t.gettext("Wave {n}", n=phase.wave or 0)
    if phase.name.casefold().startswith(label.casefold()):
        return phase.name
    return t.gettext("{kind}: {name}", kind=label, name=phase.name)


def gap_sentence(t: Translator, framework: Framework, gap: GapLine) -> str:
    """One gap in words a manager reads at a glance."""
    factor = t.text(framework.factor(gap.factor_id).name)
    current = t.text(framework.stage_by_level(gap.current).name) if gap.current else "–"
    target = t.text(framework.stage_by_level(gap.target).name)
    stages = t.ngettext("{n} stage", "{n} stages", gap.gap)
    if gap.unit:
        return t.gettext("{factor}: {unit} is at {current}, its target is {target} "
                         "({stages} to go).", factor=factor, unit=gap.unit, current=current,
                         target=target, stages=stages)
    return t.gettext("{factor}: now {current}, target {target} ({stages} to go).",
                     factor=factor, current=current, target=target, stages=stages)


def gate_sentence(t: Translator, framework: Framework, gate: GateLine) -> str:
    """A gate and how it stands, in words."""
    factor = t.text(framework.factor(gate.factor_id).name)
    stage = t.text(framework.stage_by_level(gate.level).name)
    standing = (t.gettext("holds") if gate.holds else
                t.gettext("{reached} of {units} units there", reached=t.number(gate.reached),
                          units=t.number(gate.units)))
    return t.gettext("Every unit reaches {stage} in {factor}: {standing}.", stage=stage,
                     factor=factor, standing=standing)


def phase_window(t: Translator, phase: PhaseLine) -> str:
    """The phase's dates ("1.2.2027 – 30.4.2027"), or that it has none yet."""
    if phase.starts_on and phase.ends_on:
        return t.gettext("{start} – {end}", start=t.date(phase.starts_on),
                         end=t.date(phase.ends_on))
    if phase.starts_on:
        return t.gettext("from {date}", date=t.date(phase.starts_on))
    return t.gettext("no dates yet")


@dataclass(frozen=True)
class ExecutiveText:
    """The executive summary in the reader's language, for the PDF page and the slide."""

    lede: tuple[str, ...]
    gaps: tuple[str, ...]
    no_gaps: str  # said instead of the gaps when there are none
    phase_title: str | None  # None: no phase comes next
    phase_window: str
    phase_units: str
    gates: tuple[str, ...]
    no_phase: str


def executive_text(t: Translator, framework: Framework, lede: tuple[str, ...],
                   gaps: Sequence[GapLine], phase: PhaseLine | None, *,
                   has_targets: bool) -> ExecutiveText:
    """Put the summary's facts into sentences."""
    no_gaps = (t.gettext("Every factor with a target has reached it.") if has_targets else
               t.gettext("No targets have been set yet: agree them in a workshop or on the "
                         "unit's plan."))
    if phase is None:
        return ExecutiveText(lede, tuple(gap_sentence(t, framework, g) for g in gaps), no_gaps,
                             None, "", "", (), t.gettext(
                                 "No rollout phase is waiting: either none is planned or the "
                                 "gates of every phase hold."))
    gates = tuple(gate_sentence(t, framework, g) for g in phase.gates) or (
        t.gettext("The phase has no gate criteria yet: agree what every unit must reach "
                  "before the next phase starts."),)
    units = (t.gettext("Units: {units}.", units=", ".join(phase.units)) if phase.units else
             t.gettext("No units placed in this phase yet."))
    return ExecutiveText(lede, tuple(gap_sentence(t, framework, g) for g in gaps), no_gaps,
                         phase_label(t, phase), phase_window(t, phase), units, gates, "")
