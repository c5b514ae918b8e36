"""The shipped default framework has the shape and content the domain asks for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assessment.framework import Framework, load_framework

FILE = Path(__file__).resolve().parents[1] / "frameworks" / "some-maturity.yaml"

# The eight success factors of seed 003, in its order.
FACTORS = [
    ("goals", "Tavoitteiden asettaminen"),
    ("audiences-channels", "Kohderyhmien ja -kanavien määrittäminen"),
    ("activities", "Aktiviteettien suunnitteleminen"),
    ("ownership", "Omistajuuden määrittäminen"),
    ("listening", "Kuunteleminen"),
    ("participation", "Osallistuminen ja osallistaminen"),
    ("measurement", "Mittaaminen ja analysointi"),
    ("culture", "Oppiminen ja SoMe-kulttuurin rakentaminen"),
]
# The stages of seed 001, in order.
STAGES = [
    ("first-steps", "Ensiaskeleet", "First steps"),
    ("ad-hoc", "Ad hoc", "Ad hoc"),
    ("planned", "Suunnitelmallinen", "Planned"),
    ("integrated", "Integroitu", "Integrated"),
    ("strategic", "Strateginen", "Strategic"),
]
# Words of the seeds that the Finnish content must use (stems, so that inflected forms match).
SEED_VOCABULARY = [
    "vuosikello", "yhteisömanageri", "hiljaiset signaalit", "maineriskit", "mielipidevaikuttaj",
    "työntekijälähettiläs", "brändilähettiläs", "avoin viestintäkulttuuri", "sosiaalinen intranet",
    "sisältökalenteri", "työtila", "somevastaava", "yhteisötunnus",
    "sosiaalisuutta ei voi ulkoistaa", "yhden innokkaan vapaaehtoisen varaan",
    "kriisi- ja erityistilanteiden ohjeisto", "julkisuuden sävy", "volyymi",
    "vuorovaikutuksen määrä", "läpimeno", "vaikuttavuu", "laadulli", "korttitalo",
]


@pytest.fixture(scope="module")
def shipped() -> Framework:
    """The default framework file as shipped, read from the repository."""
    return load_framework(FILE)


def _texts(value: Any) -> Iterator[dict[str, str]]:
    """Every localised text ({language: text}) in a dumped framework."""
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def test_the_file_loads(shipped: Framework) -> None:
    assert shipped.id == "some-maturity"
    assert shipped.schema_version == 1
    assert shipped.languages == ["fi", "en"]
    assert shipped.source is not None


def test_eight_factors_of_seed_003_in_order(shipped: Framework) -> None:
    assert [(f.id, f.name["fi"]) for f in shipped.factors] == FACTORS


def test_culture_is_the_one_core_factor(shipped: Framework) -> None:
    assert [f.id for f in shipped.factors if f.core] == ["culture"]
    assert "korttitalo" in shipped.factor("culture").description["fi"]
    assert "house of cards" in shipped.factor("culture").description["en"]


def test_five_stages_of_seed_001(shipped: Framework) -> None:
    assert [(s.id, s.name["fi"], s.name["en"]) for s in shipped.stages] == STAGES


def test_every_factor_describes_every_stage(shipped: Framework) -> None:
    stage_ids = [s.id for s in shipped.stages]
    for factor in shipped.factors:
        assert list(factor.stages) == stage_ids, factor.id


def test_every_factor_has_at_least_four_questions(shipped: Framework) -> None:
    for factor in shipped.factors:
        assert len(factor.questions) >= 4, factor.id


def test_every_question_has_distinct_anchors_for_every_stage(shipped: Framework) -> None:
    stage_ids = [s.id for s in shipped.stages]
    for factor in shipped.factors:
        for question in factor.questions:
            assert list(question.anchors) == stage_ids, question.id
            for lang in shipped.languages:
                texts = [question.anchors[s][lang].strip().casefold() for s in stage_ids]
                assert len(set(texts)) == len(texts), (question.id, lang)


def test_at_least_two_actions_per_factor_and_transition(shipped: Framework) -> None:
    transitions = [s.id for s in shipped.stages[:-1]]
    for factor in shipped.factors:
        counts = Counter(a.from_stage for a in factor.actions)
        for stage_id in transitions:
            assert counts[stage_id] >= 2, (factor.id, stage_id)


def test_every_text_is_in_finnish_and_english(shipped: Framework) -> None:
    texts = list(_texts(shipped.model_dump()))
    assert texts
    for text in texts:
        assert set(text) == {"fi", "en"}, text
        assert text["fi"].strip() and text["en"].strip(), text
        if max(len(text["fi"].split()), len(text["en"].split())) > 3:
            assert text["fi"].strip() != text["en"].strip(), text


def test_finnish_uses_the_seeds_vocabulary(shipped: Framework) -> None:
    finnish = " ".join(t["fi"] for t in _texts(shipped.model_dump())).casefold()
    missing = [term for term in SEED_VOCABULARY if term.casefold() not in finnish]
    assert not missing
