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


def _hostile_texts(seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    pieces = ["91330", "ab", "Z", " ", "\u3000", "（", "）", "Ａ", "１", "\u200b", "\ufeff", "\x00", "ß", "é", "有限公司",
              "-", "\t", "", "\ud800", "0", "Y", "I", "O"]
    return [("".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))) for _ in range(400)]


def test_codes_cleaned_together_equal_codes_cleaned_one_by_one() -> None:
    from evaluator.clean.codes import _normalise_one, _normalise_texts

    for seed in range(20):
        values = _hostile_texts(seed)
        assert _normalise_texts(values) == [_normalise_one(v) for v in values]
        plain = [v for v in values if "\x00" not in v]  # the joined search, not the fallback
        assert _normalise_texts(plain) == [_normalise_one(v) for v in plain]


def test_names_cleaned_together_equal_names_cleaned_one_by_one() -> None:
    from evaluator.merge.tables import _name_one, normalise_names

    for seed in range(20):
        values = list(dict.fromkeys(v for v in _hostile_texts(seed) if "\x00" not in v))
        assert normalise_names(pd.Series(values, dtype=object)).tolist() == [_name_one(v) for v in values]


def test_the_vectorised_check_agrees_with_the_check_character_rule() -> None:
    import random

    rng = random.Random(5)
    codes: list[object] = []
    for _ in range(2000):
        body = "".join(rng.choice(ALPHABET) for _ in range(17))
        last = check_character(body) if rng.random() < 0.5 else rng.choice(ALPHABET + "IOSVZ")
        code = body + last
        if rng.random() < 0.1:
            i = rng.randrange(18)
            code = code[:i] + rng.choice("ioé\u200bＡ\ud800") + code[i + 1:]
        codes.append(code if rng.random() < 0.9 else rng.choice([None, code[:17], code + "1", ""]))

    def one(c: object) -> bool:
        return (isinstance(c, str) and len(c) == 18 and all(ch in ALPHABET for ch in c)
                and check_character(c[:17]) == c[17])

    assert valid_codes(pd.Series(codes, dtype=object)).tolist() == [one(c) for c in codes]
    ascii_only = [c for c in codes if not isinstance(c, str) or c.isascii()]  # the byte-table path
    assert valid_codes(pd.Series(ascii_only, dtype=object)).tolist() == [one(c) for c in ascii_only]
