"""The built-in prompt filter: whole words, any case or accent, each rule named."""

from __future__ import annotations

import pytest

from videogen.safety.filter import Refusal, builtin_categories, default_filter, normalize


@pytest.fixture
def check():
    prompt_filter = default_filter(("gore", "Weapon"))
    return lambda prompt, school=(): prompt_filter.check(prompt, school_terms=list(school))


def test_the_builtin_list_has_the_documented_categories() -> None:
    categories = builtin_categories()
    assert set(categories) == {"violence", "self_harm", "sexual", "hate", "drugs"}
    assert all(terms for terms in categories.values())


@pytest.mark.parametrize(
    ("prompt", "rule", "term"),
    [
        ("a man holding a PISTOL", "builtin:violence", "pistol"),
        ("two rifles on a wall", "builtin:violence", "rifle"),
        ("Self-Harm in a poem", "builtin:self_harm", "self harm"),
        ("self_harm", "builtin:self_harm", "self harm"),
        ("a nude statue", "builtin:sexual", "nude"),
        ("a flag with a swastika", "builtin:hate", "swastika"),
        ("a bag of cocaïne", "builtin:drugs", "cocaine"),
        ("COCAINE", "builtin:drugs", "cocaine"),
        ("a WEAPON factory", "deployment", "weapon"),
    ],
)
def test_refused_prompts_name_their_rule(check, prompt: str, rule: str, term: str) -> None:
    assert check(prompt) == Refusal(rule, term)


@pytest.mark.parametrize(
    "prompt",
    [
        "Scunthorpe United scoring a goal",
        "a class of students in a classroom",
        "Essex and Sussex on a map",
        "weaponless knights",
        "methane bubbles in a swamp",
        "a gunwale of a rowing boat",
        "the naked eye sees the moon",
        "sexual reproduction in flowering plants",
    ],
)
def test_innocent_prompts_pass(check, prompt: str) -> None:
    assert check(prompt, ("ass", "cunt")) is None


def test_the_school_terms_are_their_own_rule(check) -> None:
    assert check("a Dragon eating a village", ("dragon",)) == Refusal("school", "dragon")
    assert check("a dragonfly", ("dragon",)) is None
    assert check("ÉCOLE en feu", ("école",)) == Refusal("school", "ecole")


def test_normalize_folds_case_accents_and_punctuation() -> None:
    assert normalize("  Crème-Brûlée!! ÉTÉ_ ") == "creme brulee ete"
