"""GB 32100 credit codes: the check character, normalisation, and that every typo is caught."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from evaluator.clean.codes import (
    ALPHABET,
    check_character,
    is_valid_code,
    normalise_codes,
    valid_codes,
)

BODY = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_check_character_by_hand():
    # 91350100M000100Y4: Σ value×weight worked out digit by digit.
    body = "91350100M000100Y4"
    values = [ALPHABET.index(c) for c in body]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(v * w for v, w in zip(values, weights))
    assert total == 9 * 1 + 1 * 3 + 3 * 9 + 5 * 27 + 0 + 1 * 26 + 0 + 0 + 21 * 20 + 0 + 0 + 0 + 1 * 8 + 0 + 0 + 30 * 30 + 4 * 28
    assert check_character(body) == ALPHABET[(31 - total % 31) % 31] == "3"
    assert is_valid_code("91350100M000100Y43")
    assert not is_valid_code("91350100M000100Y44")


def test_normalisation_trims_spaces_fullwidth_and_case():
    good = "91350100M000100Y43"
    raw = pd.Series([" 91350100m000100y43 ", "9135 0100 M000 100Y43", "９１３５０１００Ｍ０００１００Ｙ４３", "", None])
    n = normalise_codes(raw)
    assert n.iloc[:3].tolist() == [good] * 3
    assert n.iloc[3:].isna().all()
    assert valid_codes(n).tolist() == [True, True, True, False, False]


def test_illegal_letters_and_lengths_fail():
    assert not is_valid_code("91350100M000100Y4")  # 17
    assert not is_valid_code("91350100M000100Y433")  # 19
    assert not is_valid_code("91350100I000100Y43")  # I is not used
    assert not is_valid_code("中文中文中文中文中文中文中文中文中文")


@given(BODY)
def test_any_body_with_its_check_character_is_valid(body):
    assert is_valid_code(body + check_character(body))


@given(BODY, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_every_single_substitution_is_detected(body, pos, ch):
    code = body + check_character(body)
    typo = code[:pos] + ch + code[pos + 1:]
    # Weights are non-zero modulo the prime 31, so any one changed character changes the sum.
    assert is_valid_code(typo) == (typo == code)


@given(st.lists(BODY, min_size=1, max_size=30))
def test_vectorised_matches_scalar(bodies):
    codes = [b + check_character(b) if i % 2 else b + "0" for i, b in enumerate(bodies)]
    vec = valid_codes(pd.Series(codes))
    assert vec.tolist() == [is_valid_code(c) for c in codes]
