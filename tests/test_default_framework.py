"""The shipped default framework has the shape the domain asks for."""

from __future__ import annotations

from collections import Counter

from assessment.framework import Framework

SEED_003 = ["Tavoitteiden asettaminen", "Kohderyhmien ja -kanavien määrittäminen",
            "Aktiviteettien suunnitteleminen", "Omistajuuden määrittäminen", "Kuunteleminen",
            "Osallistuminen ja osallistaminen", "Mittaaminen ja analysointi",
            "Oppiminen ja SoMe-kulttuurin rakentaminen"]
SEED_001 = ["Ensiaskeleet", "Ad hoc", "Suunnitelmallinen", "Integroitu", "Strateginen"]


def test_eight_factors_of_seed_003_with_culture_as_the_core(framework: Framework) -> None:
    assert [f.name["fi"] for f in framework.factors] == SEED_003
    assert [f.id for f in framework.factors if f.core] == ["culture"]
    assert "korttitalo" in framework.factor("culture").description["fi"]


def test_five_stages_of_seed_001(framework: Framework) -> None:
    assert [s.name["fi"] for s in framework.stages] == SEED_001
    assert [s.name["en"] for s in framework.stages] == ["First steps", "Ad hoc", "Planned",
                                                        "Integrated", "Strategic"]


def test_questions_have_distinct_anchors_for_every_stage(framework: Framework) -> None:
    stage_ids = [s.id for s in framework.stages]
    for factor in framework.factors:
        assert len(factor.questions) >= 4, factor.id
        assert list(factor.stages) == stage_ids, factor.id
        for question in factor.questions:
            assert list(question.anchors) == stage_ids, question.id
            for lang in ("fi", "en"):
                texts = [question.anchors[s][lang] for s in stage_ids]
                assert len(set(texts)) == len(texts), (question.id, lang)


def test_at_least_two_actions_per_factor_and_transition(framework: Framework) -> None:
    transitions = [s.id for s in framework.stages[:-1]]
    for factor in framework.factors:
        counts = Counter(a.from_stage for a in factor.actions)
        for stage_id in transitions:
            assert counts[stage_id] >= 2, (factor.id, stage_id)


def test_every_text_is_translated(framework: Framework) -> None:
    def texts(value: object):  # type: ignore[no-untyped-def]
        if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from texts(item)
        elif isinstance(value, list):
            for item in value:
                yield from texts(item)

    for text in texts(framework.model_dump()):
        assert set(text) == {"fi", "en"}
        assert text["fi"].strip() and text["en"].strip()
        if len(text["en"].split()) > 3:
            assert text["fi"] != text["en"], text


def test_finnish_uses_the_seeds_vocabulary(framework: Framework) -> None:
    finnish = framework.canonical_json()
    for term in ["vuosikello", "yhteisömanageri", "hiljaiset signaalit", "maineriskit",
                 "mielipidevaikuttaj", "brändilähettiläs", "avoin viestintäkulttuuri",
                 "sosiaalinen intranet", "sisältökalenteri", "yhteisötunnus", "ulkoistaa",
                 "julkisuuden sävy", "volyymi", "läpimeno", "kriisi"]:
        assert term.lower() in finnish.lower(), term
