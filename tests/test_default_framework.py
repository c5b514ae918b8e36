"""The shipped default framework has the shape and content the domain asks for."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assessment.framework import Framework, Question, load_framework

FRAMEWORKS = Path(__file__).resolve().parents[1] / "frameworks"
FILE = FRAMEWORKS / "some-maturity.yaml"
PREVIOUS = FRAMEWORKS / "archive" / "some-maturity-2026.1.yaml"

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
    "työntekijälähettilä", "brändilähettiläs", "avoin viestintäkulttuuri", "sosiaalinen intranet",
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


@pytest.fixture(scope="module")
def previous() -> Framework:
    """Version 2026.1, kept for the rounds pinned to it."""
    return load_framework(PREVIOUS)


def test_the_file_loads(shipped: Framework) -> None:
    assert shipped.id == "some-maturity"
    assert shipped.version == "2026.2"
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


# Version 2026.2: the structural rules of issue 13 that can be checked -------------------------

# Words that must not carry a stage in an anchor: they name no observable difference.
# Finnish entries are stems (inflected forms match); English entries are whole words.
VAGUE_FI = ["säännöllise", "ketteräs", "aktiivise", "järjestelmällise", "jatkuvasti", "vapaasti",
            "avoimesti", "sovitusti", "sovitussa ajassa", "tarvittaessa", "riittävä",
            "jokainen työntekijä", "kaikki työntekijät", "kaikille selvä", "koko henkilöstö tietää"]
VAGUE_EN = ["regularly", "nimbly", "actively", "systematically", "continuously", "freely",
            "openly", "as agreed", "as needed", "sufficiently", "adequately", "everyone",
            "everybody", "every employee", "all staff know"]
# Stems that invite a Likert answer ("how well", "to what extent") instead of a stage.
LEADING_STEMS = ["kuinka hyvin", "missä määrin", "kuinka avoin", "kuinka mitattav",
                 "how well", "to what extent", "how open", "how measurable"]
# Terms the review asked to retire (Finnish: old or calqued; English: Finglish).
RETIRED_FI = ["esimies", "esimieh", "fasilito", "ketterä", "somepostau", "salatiede"]
RETIRED_EN = ["annual clock", "secret science", "nimbly", "social media lead", "tolerates",
              "are come across", "has been trained to", "converses among itself"]
# The review's questions graded C (section 3.1): each is gone, merged or rewritten.
GRADED_C = ["ownership-outsourcing", "participation-criticism", "channels-names",
            "channels-intranet", "culture-openness", "activities-content"]
# The review's non-monotonic questions (section 3.2.4).
NON_MONOTONIC = ["ownership-outsourcing", "participation-criticism", "culture-practice",
                 "channels-names"]
ORGANISATION_SCOPE = {"channels-structure", "channels-register", "ownership-decisions",
                      "culture-whole-organisation", "culture-leadership"}
NOT_APPLICABLE = {"ownership-partners", "participation-moderation", "participation-service"}
# Topics the seeds cover and 2026.1 missed (review 2.4 A-D): a question for each.
NEW_TOPICS = {"channels-privacy": "tietosuoja", "activities-rights": "tekijänoikeu",
              "participation-moderation": "käyttösäännöt",
              "participation-service": "asiakaspalvelu", "culture-guidelines": "someohje"}
SENTENCE_BREAK = re.compile(r"[.!?]\s+\S|;")


def _anchors(fw: Framework) -> Iterator[tuple[str, str, str, str]]:
    """(question id, stage id, language, text) for every anchor."""
    for factor in fw.factors:
        for question in factor.questions:
            for stage_id, text in question.anchors.items():
                for lang, value in text.items():
                    yield question.id, stage_id, lang, value


def _questions(fw: Framework) -> dict[str, Question]:
    return {q.id: q for f in fw.factors for q in f.questions}


def _has_word(text: str, phrase: str) -> bool:
    return re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE) is not None


def test_the_previous_version_stays_loadable_for_pinned_rounds(previous: Framework,
                                                               shipped: Framework) -> None:
    assert previous.version == "2026.1"
    assert previous.content_hash() != shipped.content_hash()
    assert [f.id for f in previous.factors] == [f.id for f in shipped.factors]


def test_every_question_and_action_cites_an_existing_seed(shipped: Framework) -> None:
    seeds = {s.id for s in shipped.seeds}
    assert seeds == {"000", "001", "002", "003", "004"}
    for factor in shipped.factors:
        for item in [*factor.questions, *factor.actions]:
            assert item.sources, item.id
            assert set(item.sources) <= seeds, item.id


def test_seed_registry_matches_the_seed_files(shipped: Framework) -> None:
    """Seed ids are the number that starts each seed file's name (000_….txt); where the
    seed folder sits beside the repository (the team's workspace), they are exactly its
    files."""
    assert all(re.fullmatch(r"\d{3}", s.id) for s in shipped.seeds)
    assert all(s.title["fi"] != s.title["en"] for s in shipped.seeds)
    folder = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    files = {p.name.split("_", 1)[0] for p in folder.glob("*.txt")}
    if files:
        assert {s.id for s in shipped.seeds} == files


def test_two_actions_per_transition_each_with_owner_and_done_when(shipped: Framework) -> None:
    transitions = [s.id for s in shipped.stages[:-1]]
    for factor in shipped.factors:
        for stage_id in transitions:
            complete = [a for a in factor.actions if a.from_stage == stage_id
                        and a.owner_role is not None and a.done_when is not None]
            assert len(complete) >= 2, (factor.id, stage_id)
        for action in factor.actions:
            assert action.owner_role and set(action.owner_role) == {"fi", "en"}, action.id
            assert action.done_when and set(action.done_when) == {"fi", "en"}, action.id


def test_anchors_state_one_criterion(shipped: Framework) -> None:
    """Approximation of "one observable criterion": one sentence, no semicolon, no clause
    joined with ", ja" / ", and" (a second, independent criterion), no "ja/tai" lists."""
    for qid, stage_id, lang, text in _anchors(shipped):
        where = (qid, stage_id, lang, text)
        assert not SENTENCE_BREAK.search(text.rstrip(".")), where
        assert ", ja " not in text and ", and " not in text, where
        assert "ja/tai" not in text and "and/or" not in text, where
        assert len(text) <= 180, where


def test_no_vague_quantifier_carries_a_stage(shipped: Framework) -> None:
    for qid, stage_id, lang, text in _anchors(shipped):
        if lang == "fi":
            found = [w for w in VAGUE_FI if w in text.casefold()]
        else:
            found = [w for w in VAGUE_EN if _has_word(text, w)]
        assert not found, (qid, stage_id, found)


def test_question_stems_are_neutral(shipped: Framework) -> None:
    for question in _questions(shipped).values():
        for text in question.text.values():
            assert not any(s in text.casefold() for s in LEADING_STEMS), question.id


def test_retired_terms_are_gone(shipped: Framework) -> None:
    finnish = " ".join(t["fi"] for t in _texts(shipped.model_dump())).casefold()
    english = " ".join(t["en"] for t in _texts(shipped.model_dump())).casefold()
    assert [t for t in RETIRED_FI if t in finnish] == []
    assert [t for t in RETIRED_EN if t in english] == []
    assert "annual planning calendar" in english and "esihenkilö" in finnish


def test_questions_graded_c_and_non_monotonic_ones_are_rewritten(
        shipped: Framework, previous: Framework) -> None:
    now, before = _questions(shipped), _questions(previous)
    for qid in sorted(set(GRADED_C) | set(NON_MONOTONIC)):
        assert qid in before, qid
        if qid in now:  # kept under its id: a new stem or new anchors at every stage
            old, new = before[qid], now[qid]
            changed = [s for s in new.anchors if new.anchors[s]["fi"] != old.anchors[s]["fi"]]
            assert changed == list(new.anchors), qid


def test_whole_organisation_questions_are_marked(shipped: Framework) -> None:
    questions = _questions(shipped)
    assert {q for q, v in questions.items() if v.scope == "organisation"} == ORGANISATION_SCOPE
    assert {q for q, v in questions.items() if v.not_applicable} == NOT_APPLICABLE


def test_the_seed_topics_2026_1_missed_have_questions(shipped: Framework) -> None:
    questions = _questions(shipped)
    for qid, word in NEW_TOPICS.items():
        anchors = " ".join(t["fi"] for t in questions[qid].anchors.values()).casefold()
        assert word in anchors, qid


def test_same_number_of_questions_per_factor(shipped: Framework) -> None:
    assert {len(f.questions) for f in shipped.factors} == {5}


def test_facilitator_note_and_glossary(shipped: Framework) -> None:
    assert shipped.facilitator_note is not None
    assert "korkein taso" in shipped.facilitator_note["fi"]
    assert "diagnosis, not a target" in shipped.facilitator_note["en"]
    terms = {g.term["fi"] for g in shipped.glossary}
    assert {"kanava", "tili", "yhteisö", "tunnus", "esihenkilö", "somevastaava"} <= terms


def test_action_ids_are_never_reused_for_another_action(shipped: Framework,
                                                        previous: Framework) -> None:
    """Planned actions keep only the library id: an id reused with another meaning would
    rewrite the roadmaps of rounds pinned to the earlier version."""
    before = {a.id: a for f in previous.factors for a in f.actions}
    for action in (a for f in shipped.factors for a in f.actions):
        if action.id in before:
            assert before[action.id].text == action.text, action.id
