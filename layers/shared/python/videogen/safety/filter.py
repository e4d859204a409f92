"""The prompt filter: a port (`PromptFilter`) and its built-in implementation.

One rule-matching code path for every list a prompt is checked against: the built-in
school list shipped with the package (`builtin_blocklist.json`, by category), the
deployment's `PROMPT_BLOCKLIST` and the school's own `schools.blocklist_terms`.

Matching is whole-word (an optional plural `s`/`es`), case- and accent-insensitive, and
treats hyphens, underscores and other punctuation as spaces, so `self-harm`, `Self Harm`
and `SELF_HARM` are one term while `Scunthorpe` or `class` never match a shorter term.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol

BUILTIN_FILE = "builtin_blocklist.json"
DEPLOYMENT_RULE = "deployment"
SCHOOL_RULE = "school"


@dataclass(frozen=True)
class Refusal:
    """Why a prompt was refused: the rule (`builtin:<category>`, `school`, `deployment`)
    and the term it matched (for the safety event's reader, never echoed to the student)."""

    rule: str
    term: str


class PromptFilter(Protocol):
    """Checks a prompt; None means it may go to the model."""

    def check(self, prompt: str, *, school_terms: Sequence[str] = ()) -> Refusal | None: ...


def normalize(text: str) -> str:
    """Lower case without accents, every run of non-word characters one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


@dataclass(frozen=True)
class Rule:
    """A named list of terms, compiled into one whole-word pattern."""

    name: str
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, name: str, terms: Iterable[str]) -> Rule:
        words = sorted({n for n in (normalize(t) for t in terms) if n}, key=len, reverse=True)
        if not words:
            return cls(name, None)
        alternatives = "|".join(re.escape(w) for w in words)
        return cls(name, re.compile(rf"(?<!\w)({alternatives})(?:e?s)?(?!\w)"))

    def match(self, normalized_prompt: str) -> str | None:
        if self.pattern is None:
            return None
        found = self.pattern.search(normalized_prompt)
        return found.group(1) if found else None


@lru_cache(maxsize=256)
def _school_rule(terms: tuple[str, ...]) -> Rule:
    return Rule.of(SCHOOL_RULE, terms)


@dataclass(frozen=True)
class TermFilter:
    """The built-in `PromptFilter`: fixed rules (built-in categories, the deployment's
    list), then the school's own terms, first match wins."""

    rules: tuple[Rule, ...]

    def check(self, prompt: str, *, school_terms: Sequence[str] = ()) -> Refusal | None:
        text = normalize(prompt)
        for rule in (*self.rules, _school_rule(tuple(school_terms))):
            term = rule.match(text)
            if term is not None:
                return Refusal(rule.name, term)
        return None


def builtin_categories() -> dict[str, list[str]]:
    """The shipped list: category name -> terms."""
    raw = resources.files("videogen.safety").joinpath(BUILTIN_FILE).read_text("utf-8")
    return {name: c["terms"] for name, c in json.loads(raw)["categories"].items()}


@lru_cache(maxsize=8)
def default_filter(deployment_terms: tuple[str, ...] = ()) -> TermFilter:
    """The built-in list plus the deployment's `PROMPT_BLOCKLIST`, built once per process."""
    rules = [Rule.of(f"builtin:{name}", terms) for name, terms in builtin_categories().items()]
    rules.append(Rule.of(DEPLOYMENT_RULE, deployment_terms))
    return TermFilter(tuple(rules))
