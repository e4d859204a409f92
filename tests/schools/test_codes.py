"""Join codes' alphabet and forms, and the keyed hashes of codes and invite tokens."""

from __future__ import annotations

from videogen.schools.codes import (
    ALPHABET,
    code_hash,
    display_code,
    invite_hash,
    new_code,
    normalise_code,
)


def test_codes_use_crockford_base32_without_i_l_o_u() -> None:
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)


def test_a_code_is_read_in_any_case_with_or_without_dash_and_spaces() -> None:
    for typed in ("7k3m-q9tx", "7K3M Q9TX", " 7k3mq9tx ", "7K3M - Q9TX"):
        assert normalise_code(typed) == "7K3MQ9TX"
    assert display_code("7K3MQ9TX") == "7K3M-Q9TX"
    for bad in ("7K3M-Q9T", "7K3M-Q9TXX", "7K3M-Q9TI", "OOOO-OOOO", "", "7K3M_Q9TX"):
        assert normalise_code(bad) is None, bad


def test_hashes_depend_on_the_secret_and_the_use() -> None:
    assert code_hash("7K3MQ9TX", "a") != code_hash("7K3MQ9TX", "b")
    assert code_hash("7K3MQ9TX", "a") != invite_hash("7K3MQ9TX", "a")
    assert len(code_hash("7K3MQ9TX", "a")) == 64
