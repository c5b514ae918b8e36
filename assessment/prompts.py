"""Discussion prompts on the workshop console, and the one the facilitator puts on the wall.

The framework holds prompts per factor and per question, and divergence prompts with
placeholders for the stages voted ({low}, {high}, {median}). A prompt is named by a short key
(`q:<question>:<n>`, `f:<factor>:<n>` or `d:<question>:<n>`) that the workshop stores while it
is on the projector; the text is resolved in each screen's own language, and a key that no
longer belongs to the workshop's current question is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assessment.framework import Framework, Text
from assessment.services import N_, InvalidInput
from assessment.workshops import VoteSummary

PromptKind = Literal["question", "factor", "divergence"]
_PREFIX: dict[str, PromptKind] = {"q": "question", "f": "factor", "d": "divergence"}
UNKNOWN_PROMPT = N_("There is no such prompt for this question. Choose one of the prompts "
                    "shown on the console.")


@dataclass(frozen=True)
class Spread:
    """The stages a revealed question's votes span, and the median's stage (1-based)."""

    low: int
    high: int
    median: int


def spread_of(summary: VoteSummary | None, revealed: bool) -> Spread | None:
    """The spread of revealed votes that diverge (None for votes hidden, unrevealed or
    close together: then no divergence prompt is offered)."""
    if summary is None or not revealed or summary.hidden or not summary.divergent:
        return None
    levels = [level for level, count in enumerate(summary.by_level, start=1) if count]
    median = summary.suggested_level
    if not levels or median is None:
        return None
    return Spread(min(levels), max(levels), median)


@dataclass(frozen=True)
class Prompt:
    """A prompt as a screen shows it: its key, kind and its text in every language (the
    divergence prompts with the stages filled in)."""

    key: str
    kind: PromptKind
    text: Text


def _stage(framework: Framework, level: int, language: str) -> str:
    name = framework.stage_by_level(level).name
    return f"{level} ({name.get(language) or next(iter(name.values()))})"


def _filled(framework: Framework, text: Text, spread: Spread) -> Text:
    """A divergence prompt with its placeholders filled in, in each language."""
    return {lang: value.format(**{name: _stage(framework, getattr(spread, name), lang)
                                  for name in ("low", "high", "median")})
            for lang, value in text.items()}


def question_prompts(framework: Framework, question_id: str,
                     spread: Spread | None = None) -> list[Prompt]:
    """The prompts for a question step: the question's own, its factor's, and, with the
    `spread` of votes that diverge, the divergence prompts filled in with its stages."""
    try:
        factor, question = framework.question(question_id)
    except KeyError:
        return []
    found = [Prompt(f"q:{question.id}:{i}", "question", text)
             for i, text in enumerate(question.prompts)]
    found += [Prompt(f"f:{factor.id}:{i}", "factor", text) for i, text in enumerate(factor.prompts)]
    if spread is not None:
        found += [Prompt(f"d:{question.id}:{i}", "divergence", _filled(framework, text, spread))
                  for i, text in enumerate(framework.divergence_prompts)]
    return found


def resolve(framework: Framework, key: str | None, question_id: str | None,
            spread: Spread | None) -> Prompt | None:
    """The prompt a stored key names, if it belongs to this question step (a divergence
    prompt only while the votes diverge); None otherwise."""
    if not key or question_id is None:
        return None
    return next((p for p in question_prompts(framework, question_id, spread) if p.key == key),
                None)


def checked_key(framework: Framework, key: str | None, question_id: str | None,
                spread: Spread | None) -> str | None:
    """A key the facilitator chose for the projector: None clears it; a key that is not one
    of this step's prompts is refused."""
    if not key:
        return None
    if resolve(framework, key, question_id, spread) is None:
        raise InvalidInput(UNKNOWN_PROMPT, field="prompt")
    return key
