"""The registration-day write stream of bench/run.py keeps its cost steady: enrolls and drops alternate."""

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from measure import stream_turns  # noqa: E402

STUDENTS = [f"student{n}" for n in range(6)]
COURSES = ["CS101", "MATH101", "PHYS101", "CHEM101"]


def first(turns: int) -> list:
    return list(itertools.islice(stream_turns(STUDENTS, COURSES), turns))


def action(turn) -> str:
    return turn[0].rstrip("/").rsplit("/", 1)[1]


def test_every_other_student_sits_out_the_first_pass_and_the_others_enroll():
    assert [turn and action(turn) for turn in first(len(STUDENTS))] == ["enroll", None] * 3


def test_after_the_first_pass_an_enroll_and_a_drop_alternate_within_every_pass():
    turns = first(len(STUDENTS) * 12)
    for start in range(len(STUDENTS), len(turns), len(STUDENTS)):
        actions = [action(turn) for turn in turns[start : start + len(STUDENTS)]]
        assert len(set(actions[0::2])) == len(set(actions[1::2])) == 1
        assert {actions[0], actions[1]} == {"enroll", "drop"}


def test_each_student_drops_the_course_they_enrolled_in_and_every_course_is_used():
    held, enrolled_in = {}, set()
    for path, student in filter(None, first(len(STUDENTS) * 12)):
        course = path.split("/")[2]
        if path.endswith("/enroll/"):
            assert student not in held
            held[student] = course
            enrolled_in.add(course)
        else:
            assert held.pop(student) == course
    assert enrolled_in == set(COURSES)
