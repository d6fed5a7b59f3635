"""import_holds: the bursar's nightly file, validated row by row before any hold is placed."""

import pytest

from accounts.tests.factories import UserFactory
from enrollment.holds import hold_place
from enrollment.models import Hold
from enrollment.tests.factories import HoldKindFactory
from enrollment.tests.test_commands import refused, run, write

HEADER = "student,kind,reason\n"


@pytest.fixture
def kinds(db):
    return HoldKindFactory(code="bursar", name="Bursar"), HoldKindFactory(code="advising", name="Advising")


@pytest.fixture
def students(db):
    return (UserFactory(email="ada@example.edu", student_number=1001),
            UserFactory(email="bob@example.edu", student_number=1002))


def holds() -> list[tuple[str, str, str]]:
    return sorted(Hold.objects.active().values_list("student__email", "kind__code", "reason"))


def test_places_holds_by_email_or_number_and_is_idempotent(tmp_path, kinds, students):
    path = write(tmp_path, "bursar.csv", HEADER + "ADA@example.edu,bursar,Tuition is unpaid.\n"
                                                  "1002,advising,See your advisor.\n")

    assert "bursar.csv: 2 placed, 0 reason(s) updated, 0 unchanged." in run("import_holds", str(path))
    assert holds() == [("ada@example.edu", "bursar", "Tuition is unpaid."),
                       ("bob@example.edu", "advising", "See your advisor.")]
    assert set(Hold.objects.values_list("placed_via", flat=True)) == {"command"}
    assert Hold.objects.filter(placed_by=None).count() == 2

    assert "0 placed, 0 reason(s) updated, 2 unchanged." in run("import_holds", str(path))
    assert Hold.objects.count() == 2


def test_a_row_for_an_active_hold_updates_its_reason(tmp_path, kinds, students):
    hold_place(student=students[0], kind=kinds[0], reason="Old.")
    path = write(tmp_path, "bursar.csv", HEADER + "ada@example.edu,bursar,Fees are unpaid.\n")
    assert "0 placed, 1 reason(s) updated, 0 unchanged." in run("import_holds", str(path))
    assert holds() == [("ada@example.edu", "bursar", "Fees are unpaid.")]


def test_every_problem_is_reported_with_its_line_and_field_and_nothing_is_placed(tmp_path, kinds, students):
    path = write(tmp_path, "bursar.csv", HEADER + (
        "ada@example.edu,bursar,Unpaid.\n"
        "nobody@example.edu,bursar,Unpaid.\n"
        "99999999999999,library,\n"
        "ada@example.edu,bursar,Twice.\n"
        '"{""$ne"": null}",bursar,Unpaid.\n'
    ))

    message, lines = refused("import_holds", str(path))

    assert message == (
        "6 problem(s) in bursar.csv; no hold was placed (fix the file, or use --skip-invalid to place the valid rows)."
    )
    assert lines == [
        "bursar.csv: line 3: student: no student with the email address “nobody@example.edu”",
        "bursar.csv: line 4: student: no student with the student number “99999999999999”",
        "bursar.csv: line 4: kind: no hold kind “library”; give a kind's code, e.g. bursar",
        "bursar.csv: line 4: reason: This field is required.",
        "bursar.csv: line 5: kind: ada@example.edu's bursar hold is on line 2",
        'bursar.csv: line 6: student: no student with the email address “{"$ne": null}”',
    ]
    assert not Hold.objects.exists()


def test_skip_invalid_places_the_valid_rows(tmp_path, kinds, students):
    path = write(tmp_path, "bursar.csv", HEADER + "ada@example.edu,bursar,Unpaid.\nnobody@example.edu,bursar,x\n")
    out = run("import_holds", str(path), "--skip-invalid")
    assert "1 placed, 0 reason(s) updated, 0 unchanged, 1 invalid row(s) skipped." in out
    assert holds() == [("ada@example.edu", "bursar", "Unpaid.")]


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(tmp_path, kinds, students):
    hold_place(student=students[1], kind=kinds[0], reason="Old.")
    path = write(tmp_path, "bursar.csv", HEADER + "ada@example.edu,bursar,Unpaid.\nbob@example.edu,bursar,New.\n")
    out = run("import_holds", str(path), "--dry-run").splitlines()
    assert out == [
        "would place the bursar hold on ada@example.edu",
        "would update the reason of the bursar hold on bob@example.edu",
        "bursar.csv: dry run, nothing written: would be 1 placed, 1 reason(s) updated, 0 unchanged.",
    ]
    assert holds() == [("bob@example.edu", "bursar", "Old.")]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("holds.json", "[]", "holds.json: use a .csv file"),
    ("holds.csv", "email,kind\nada@example.edu,bursar\n",
     "holds.csv: missing column(s): student, reason (found: email, kind)"),
    ("holds.csv", b"student,kind,reason\nada@example.edu,bursar,caf\xe9\n",
     "holds.csv is not UTF-8 text: byte 0xe9 on line 2; save it as UTF-8"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path, kinds, name, text, message):
    assert refused("import_holds", str(write(tmp_path, name, text)))[0] == message
