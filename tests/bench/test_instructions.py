"""bench/instructions.py: instructions per request from callgrind_control's answers, and its table."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from instructions import instructions_of, table  # noqa: E402

# callgrind_control -e Ir <pid>: the request thread and pymongo's monitors (ids from 10 print as Th10).
ANSWER = """PID 18681: /work/main/.venv/bin/python bench/serve_in_process.py {}

  Totals:           Ir
   Th 1  1,483,256,448
   Th 3      2,048,001
   Th12         51,200

"""


def test_the_instructions_of_every_thread_are_added_up():
    assert instructions_of(ANSWER) == 1_483_256_448 + 2_048_001 + 51_200


def test_an_answer_without_counts_is_an_error_not_a_zero():
    with pytest.raises(RuntimeError, match="switched off"):
        instructions_of("PID 1: python\n  No information available as instrumentation is switched off.\n")


def test_the_table_gives_each_page_in_millions_with_the_change_against_the_other_app():
    result = {
        "scale": "small", "requests": 10, "apps": {"this": "abc1234", "other": "0f530df"},
        "instructions_per_request": {
            "this": {"login page": 8_600_000, "enroll POST": 25_700_000},
            "other": {"login page": 15_500_000, "enroll POST": 20_000_000},
        },
    }
    lines = table(result).splitlines()
    assert lines[0] == "Instructions per request, millions (small school, 10 requests a page, abc1234 against 0f530df)"
    assert "| login page | 8.6 | 15.5 | -45% |" in lines
    assert "| enroll POST | 25.7 | 20.0 | +28% |" in lines
    assert lines[-1] == "median ratio this / other: 0.92"
