"""Random and mutated PEM/DER through every reader: only verdicts come out, never an exception.

A bounded run for the suite; `scripts/fuzz 500000` is the long run the README reports.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fuzzkit import one_input, seeds, through_every_path

POOL = seeds()
EXAMPLES = int(os.environ.get("CATRUST_FUZZ_EXAMPLES", "300"))


@pytest.fixture(autouse=True)
def quiet() -> Iterator[None]:
    """Every input logs its rejection: silence catrust's logger for these tests only."""
    logger = logging.getLogger("catrust")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rng=st.randoms(use_true_random=False))
def test_mutated_certificates_give_verdicts_everywhere(rng: random.Random, tmp_path: Path) -> None:
    through_every_path(one_input(rng, POOL), tmp_path)


@settings(
    max_examples=EXAMPLES // 3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=2048))
def test_random_bytes_give_verdicts_everywhere(data: bytes, tmp_path: Path) -> None:
    through_every_path(data, tmp_path)


def test_the_mutations_reach_the_hostile_cases(tmp_path: Path) -> None:
    """Guard the guard: the generator must produce inputs that get each kind of verdict."""
    from datetime import datetime, timezone

    from catrust._trust.judge import judge_file
    from catrust._trust.model import Certificate

    rng = random.Random(7)
    kinds = set()
    for _ in range(400):
        for item in judge_file("x", one_input(rng, POOL), datetime.now(timezone.utc)).verdicts:
            kinds.add("accepted" if isinstance(item, Certificate) else item.reason.split(" (")[0][:40])
    assert "accepted" in kinds and len(kinds) >= 8, kinds
