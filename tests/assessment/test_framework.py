"""Framework files: validation messages, the schema, pinning by content hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from assessment.framework import (
    FrameworkFileError,
    FrameworkRegistry,
    json_schema,
    load_framework,
    parse_framework,
)
from tests.conftest import FIXTURES, FRAMEWORKS

SMALL = FIXTURES / "frameworks" / "three-stages.yaml"


def small_data() -> dict[str, Any]:
    return yaml.safe_load(SMALL.read_text(encoding="utf-8"))


def problems(data: Any) -> list[str]:
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(data, Path("bad.yaml"))
    assert caught.value.file == Path("bad.yaml")
    return [str(issue) for issue in caught.value.issues]


def test_small_framework_has_three_stages_and_three_factors() -> None:
    fw = load_framework(SMALL)
    assert fw.stage_count == 3 and len(fw.factors) == 3
    assert fw.level_of("high") == 3 and fw.stage_by_level(1).id == "low"


def test_duplicate_factor_id_is_reported() -> None:
    data = small_data()
    data["factors"][1]["id"] = "alpha"
    assert "factors: duplicate factor id 'alpha'" in problems(data)


def test_duplicate_question_id_is_reported() -> None:
    data = small_data()
    data["factors"][1]["questions"][0]["id"] = "alpha-1"
    assert "factors: duplicate question id 'alpha-1'" in problems(data)


def test_missing_translation_names_the_path() -> None:
    data = small_data()
    del data["factors"][0]["questions"][1]["text"]["en"]
    assert "factors[0].questions[1].text: missing translation 'en'" in problems(data)


def test_question_without_anchor_for_every_stage() -> None:
    data = small_data()
    del data["factors"][2]["questions"][0]["anchors"]["mid"]
    assert ("factors[2].questions[0].anchors: question 'gamma-1' has no anchor for stage 'mid'"
            in problems(data))


def test_unknown_stage_in_anchor_and_action() -> None:
    data = small_data()
    data["factors"][0]["questions"][0]["anchors"]["top"] = {"fi": "x", "en": "x"}
    data["factors"][0]["actions"][0]["from_stage"] = "nowhere"
    found = problems(data)
    assert "factors[0].questions[0].anchors.top: unknown stage 'top'" in found
    assert "factors[0].actions[0].from_stage: unknown stage 'nowhere'" in found


def test_action_from_the_last_stage_is_refused() -> None:
    data = small_data()
    data["factors"][0]["actions"][0]["from_stage"] = "high"
    assert any("is the last stage" in p for p in problems(data))


def test_structural_errors_name_the_path() -> None:
    data = small_data()
    data["factors"][0]["questions"] = []
    data["stages"][0]["name"] = "Low"
    data["surprise"] = 1
    found = "\n".join(problems(data))
    assert "factors[0].questions: List should have at least 1 item" in found
    assert "stages[0].name: Input should be a valid dictionary" in found
    assert "surprise: Extra inputs are not permitted" in found


def test_stage_and_factor_counts_are_bounded() -> None:
    data = small_data()
    data["stages"] = data["stages"][:2]
    assert any(p.startswith("stages: List should have at least 3 items") for p in problems(data))


def test_more_than_one_core_factor() -> None:
    data = small_data()
    data["factors"][0]["core"] = True
    assert "factors: more than one factor is marked as core" in problems(data)


def test_invalid_yaml_gives_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(bad)
    assert "broken.yaml" in str(caught.value)
    assert "line 2" in str(caught.value.issues[0])


def test_registry_refuses_an_invalid_file_naming_it(tmp_path: Path) -> None:
    data = small_data()
    data["factors"][0]["name"] = {"fi": "Alfa"}
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(FrameworkFileError, match=r"broken\.yaml[\s\S]*factors\[0\]\.name"):
        FrameworkRegistry.from_directories([tmp_path])


def test_content_hash_changes_with_content_not_with_layout(tmp_path: Path) -> None:
    original = load_framework(SMALL)
    reflowed = tmp_path / "reflowed.yaml"
    reflowed.write_text("# a comment\n" + yaml.safe_dump(small_data(), indent=4),
                        encoding="utf-8")
    assert load_framework(reflowed).content_hash() == original.content_hash()
    data = small_data()
    data["factors"][0]["questions"][0]["anchors"]["low"]["en"] = "Something else"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_framework(edited).content_hash() != original.content_hash()


def test_registry_parses_a_pinned_snapshot() -> None:
    fw = load_framework(SMALL)
    registry = FrameworkRegistry([])
    pinned = registry.pinned(fw.content_hash(), fw.canonical_json())
    assert pinned == fw and pinned.content_hash() == fw.content_hash()


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((FRAMEWORKS / "schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        "frameworks/schema.json is stale: run `maturity framework schema > frameworks/schema.json`")


def test_shipped_files_validate_against_the_json_schema() -> None:
    schema = json_schema()
    for file in [*FRAMEWORKS.glob("*.yaml"), *(FRAMEWORKS / "archive").glob("*.yaml"), SMALL]:
        jsonschema.validate(yaml.safe_load(file.read_text(encoding="utf-8")), schema)


# The fields added in framework 2026.2 (scope, not_applicable, sources, owner_role, done_when,
# facilitator_note, seeds, glossary) -------------------------------------------------------

# The content hash of frameworks/archive/some-maturity-2026.1.yaml as it was pinned before the
# new fields existed: rounds and exports carry it, so adding fields must not change it.
HASH_2026_1 = "97120d8419d13907f964a16dfdbca3269b950adbaa841564f4dc4352bfc1acc6"


def with_seeds(data: dict[str, Any]) -> dict[str, Any]:
    data["seeds"] = [{"id": "000", "title": {"fi": "Ohje", "en": "A guideline"}}]
    data["factors"][0]["questions"][0]["sources"] = ["000"]
    return data


def test_adding_fields_keeps_the_hash_of_content_pinned_before_them() -> None:
    old = load_framework(FRAMEWORKS / "archive" / "some-maturity-2026.1.yaml")
    assert old.version == "2026.1"
    assert old.content_hash() == HASH_2026_1
    assert "scope" not in old.canonical_json() and "owner_role" not in old.canonical_json()


def test_new_fields_at_a_non_default_value_change_the_hash() -> None:
    plain = parse_framework(with_seeds(small_data()), SMALL)
    data = with_seeds(small_data())
    data["factors"][0]["questions"][0]["scope"] = "organisation"
    scoped = parse_framework(data, SMALL)
    assert scoped.content_hash() != plain.content_hash()
    assert scoped.factors[0].questions[0].scope == "organisation"
    restored = FrameworkRegistry([]).pinned(scoped.content_hash(), scoped.canonical_json())
    assert restored == scoped


def test_a_cited_seed_must_exist() -> None:
    data = with_seeds(small_data())
    data["factors"][1]["questions"][0]["sources"] = ["000", "009"]
    data["factors"][0]["actions"][0]["sources"] = ["x1"]
    found = problems(data)
    assert "factors[1].questions[0].sources[1]: unknown seed '009' (not in seeds)" in found
    assert "factors[0].actions[0].sources[0]: unknown seed 'x1' (not in seeds)" in found


def test_duplicate_seed_ids_and_untranslated_new_texts_are_reported() -> None:
    data = with_seeds(small_data())
    data["seeds"].append({"id": "000", "title": {"fi": "Taas", "en": "Again"}})
    data["factors"][0]["actions"][0]["done_when"] = {"fi": "Valmis"}
    found = problems(data)
    assert "seeds: duplicate seed id '000'" in found
    assert "factors[0].actions[0].done_when: missing translation 'en'" in found


def test_scope_accepts_only_unit_or_organisation() -> None:
    data = small_data()
    data["factors"][0]["questions"][0]["scope"] = "team"
    found = problems(data)
    assert any(p.startswith("factors[0].questions[0].scope: Input should be") for p in found)


def test_not_applicable_follows_the_question_once_any_question_marks_it() -> None:
    legacy = load_framework(SMALL)
    question = legacy.factors[0].questions[0]
    assert legacy.not_applicable_allowed(question, workshop=False)
    assert not legacy.not_applicable_allowed(question, workshop=True)
    data = small_data()
    data["factors"][0]["questions"][0]["not_applicable"] = True
    marked = parse_framework(data, SMALL)
    first, second = marked.factors[0].questions[:2]
    assert marked.not_applicable_allowed(first, workshop=True)
    assert marked.not_applicable_allowed(first, workshop=False)
    assert not marked.not_applicable_allowed(second, workshop=False)


def test_registry_reads_archived_versions_but_offers_only_the_current() -> None:
    registry = FrameworkRegistry.from_directories([FRAMEWORKS])
    assert [f.version for f in registry.current] == ["2026.2"]
    versions = registry.versions("some-maturity")
    assert [f.version for f in versions] == ["2026.2", "2026.1"]
    assert registry.earlier(versions[0]) is versions[1]
    assert registry.earlier(versions[1]) is None
    assert registry.pinned_by_hash(HASH_2026_1) is versions[1]
    assert registry.versions("no-such-framework") == []


# Groups of factors, stage numbering and wording (issue 14) ---------------------------------

def grouped_data() -> dict[str, Any]:
    """The small framework with two groups: alpha and beta in the first, gamma in the second."""
    data = small_data()
    data["groups"] = [{"id": "first", "name": {"fi": "Eka", "en": "First"}},
                      {"id": "second", "name": {"fi": "Toka", "en": "Second"}}]
    for factor, group in zip(data["factors"], ["first", "first", "second"], strict=True):
        factor["group"] = group
    return data


def test_groups_hold_the_factors_in_order() -> None:
    fw = parse_framework(grouped_data(), SMALL)
    assert [(g.id if g else None, [f.id for f in fs]) for g, fs in fw.factor_groups()] == [
        ("first", ["alpha", "beta"]), ("second", ["gamma"])]
    group = fw.group_of("gamma")
    assert group is not None and group.name["en"] == "Second"
    plain = load_framework(SMALL)
    assert plain.factor_groups() == [(None, list(plain.factors))]
    assert plain.group_of("alpha") is None


def test_unknown_duplicate_and_empty_groups_are_refused() -> None:
    data = grouped_data()
    data["factors"][2]["group"] = "third"
    data["groups"].append({"id": "first", "name": {"fi": "Kolmas", "en": "Third"}})
    data["groups"].append({"id": "empty", "name": {"fi": "Tyhjä", "en": "Empty"}})
    found = problems(data)
    assert "groups: duplicate group id 'first'" in found
    assert "factors[2].group: unknown group 'third' (not in groups)" in found
    assert "groups[1]: group 'second' has no factors" in found
    assert "groups[3]: group 'empty' has no factors" in found


def test_with_groups_every_factor_names_one_and_they_come_in_order() -> None:
    data = grouped_data()
    del data["factors"][1]["group"]
    assert problems(data) == [
        "factors[1].group: factor 'beta' has no group; when the framework has groups, every "
        "factor names one"]
    data = grouped_data()
    data["factors"][1]["group"] = "second"
    data["factors"][2]["group"] = "first"
    assert problems(data) == [
        "factors[2].group: factor 'gamma' of group 'first' comes after a factor of group "
        "'second'; list the factors group by group, in the order of groups"]
    data = small_data()
    data["factors"][0]["group"] = "first"
    assert problems(data) == ["factors[0].group: unknown group 'first' (not in groups)"]


def test_a_group_needs_an_id_and_names_in_every_language() -> None:
    data = grouped_data()
    data["groups"][0] = {"id": "First!", "name": {"fi": "Eka"}}
    found = problems(data)
    assert any(p.startswith("groups[0].id: String should match pattern") for p in found), found
    data = grouped_data()
    data["groups"][0]["name"] = {"fi": "Eka"}
    assert problems(data) == ["groups[0].name: missing translation 'en'"]


def test_stages_can_be_numbered_from_zero() -> None:
    data = small_data()
    data["first_level"] = 0
    fw = parse_framework(data, SMALL)
    assert (fw.first_level, fw.last_level, list(fw.levels)) == (0, 2, [0, 1, 2])
    assert fw.stage_by_level(0).id == "low" and fw.level_of("high") == 2
    assert fw.is_level(0) and not fw.is_level(3) and not fw.is_level(True)
    default = load_framework(SMALL)
    assert (default.first_level, default.last_level) == (1, 3)
    assert not default.is_level(0)
    with pytest.raises(ValueError, match="no stage 0"):
        default.stage_by_level(0)


@pytest.mark.parametrize("first", [-1, 2, "0", 0.5])
def test_the_first_level_is_0_or_1(first: object) -> None:
    data = small_data()
    data["first_level"] = first
    found = problems(data)
    assert len(found) == 1 and found[0].startswith("first_level: "), found


def test_groups_and_numbering_are_pinned_content_and_wording_is_not() -> None:
    plain = load_framework(SMALL)
    grouped = parse_framework(grouped_data(), SMALL)
    zero = parse_framework({**small_data(), "first_level": 0}, SMALL)
    worded = parse_framework({**small_data(), "wording": {
        "attribution": {"fi": "Testimalli", "en": "A test model"}}}, SMALL)
    assert len({plain.content_hash(), grouped.content_hash(), zero.content_hash()}) == 3
    assert worded.content_hash() == plain.content_hash()
    assert "wording" in worded.canonical_json()
    assert "groups" not in plain.canonical_json() and "first_level" not in plain.canonical_json()
    restored = FrameworkRegistry([]).pinned(zero.content_hash(), zero.canonical_json())
    assert restored == zero and restored.first_level == 0


def test_wording_must_be_translated_and_known() -> None:
    data = small_data()
    data["wording"] = {"weakest_link": {"fi": "Heikoin lenkki"}, "slogan": {"fi": "x", "en": "x"}}
    found = problems(data)
    assert any(p.startswith("wording.slogan: Extra inputs are not permitted") for p in found)
    data["wording"] = {"weakest_link": {"fi": "Heikoin lenkki"}}
    assert problems(data) == ["wording.weakest_link: missing translation 'en'"]


def test_the_default_framework_carries_the_texts_that_were_in_the_templates(
        registry: FrameworkRegistry) -> None:
    fw = registry.get("some-maturity")
    wording = fw.wording
    assert wording.attribution and "M-Brain" in wording.attribution["en"]
    assert wording.weakest_link and "social media" in wording.weakest_link["en"]
    assert wording.needs_prompt and "some-työltä" in wording.needs_prompt["fi"]
    assert wording.owner_roles and "community manager" in wording.owner_roles["en"]
    assert wording.core_factor and "korttitalo" in wording.core_factor["fi"]
    assert fw.version == "2026.2" and fw.first_level == 1 and not fw.groups
