"""Read course rows from CSV or JSON, validate every row, then upsert by code.

Shared by ``import_courses`` and ``import_legacy``. Validation happens for
the whole file before anything is written, so a refused import leaves the
database as it was; each problem is reported with its line and field.
"""

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django import forms

from .forms import InstructorEmailsField
from .instructors import course_set_instructors, instructor_emails
from .models import Course, Term, normalize_course_code

COURSE_FIELDS = ["code", "title", "description", "instructor", "credits", "term", "capacity",
                 "meeting_days", "starts_at", "ends_at", "prerequisites", "instructors"]
# Set after the course is saved, from codes and emails, rather than as its fields.
RELATIONS = ["prerequisites", "instructors"]
REQUIRED_COLUMNS = ["code", "title", "credits", "term", "capacity"]


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, syntax, columns)."""


@dataclass
class Row:
    line: int
    data: dict


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def __str__(self):
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class Plan:
    """What an import would do: rows to create, to update, unchanged, and every error."""

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path.name} is not UTF-8 text: byte 0x{raw[error.start]:02x} on line {line}; save it as UTF-8"
        ) from None


def read_rows(path: Path) -> list[Row]:
    """Rows of a .csv or .json file, each with the line it starts on."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return _json_rows(text, path.name)
    if path.suffix.lower() == ".csv":
        return csv_rows(text, path.name)
    raise ImportFileError(f"{path.name}: use a .csv or .json file")


def csv_rows(text: str, name: str, required: list[str] = REQUIRED_COLUMNS) -> list[Row]:
    """Rows of CSV text with the required columns, each with the line it starts on (shared with import_holds)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in required if column not in columns]
    if missing:
        found = ", ".join(columns) or "none"
        raise ImportFileError(f"{name}: missing column(s): {', '.join(missing)} (found: {found})")
    rows = []
    try:
        for record in reader:
            values = {key.strip(): (value or "").strip() for key, value in record.items() if key}
            if None in record:
                raise ImportFileError(f"{name}: line {reader.line_num}: more values than columns")
            rows.append(Row(line=reader.line_num, data=values))
    except csv.Error as error:
        raise ImportFileError(f"{name}: line {reader.line_num}: {error}") from None
    return rows


def _json_rows(text: str, name: str) -> list[Row]:
    """Objects of a top-level JSON array, with the line each one starts on."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise ImportFileError(f"{name}: expected a JSON array of objects")
    position += 1
    rows = []
    while True:
        position = _skip_space(text, position)
        if position < len(text) and text[position] == "]":
            return rows
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ImportFileError(f"{name}: line {error.lineno}, column {error.colno}: {error.msg}") from None
        if not isinstance(value, dict):
            raise ImportFileError(f"{name}: line {line}: expected an object, found {type(value).__name__}")
        rows.append(Row(line=line, data=value))
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position += 1
        elif position >= len(text) or text[position] != "]":
            line = text.count("\n", 0, position) + 1
            raise ImportFileError(f"{name}: line {line}: expected ',' or ']' after an object")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


class CourseCodesField(forms.CharField):
    """Course codes separated by spaces or commas, compared as a set."""

    def to_python(self, value):
        return sorted({normalize_course_code(code) for code in str(value or "").replace(",", " ").split()})

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)


class CourseRowForm(forms.ModelForm):
    """One imported row, validated exactly as the admin validates a course."""

    term = forms.ModelChoiceField(
        queryset=Term.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": "no term “%(value)s”; give a term's slug, e.g. fall-2026"},
    )
    prerequisites = CourseCodesField(required=False)
    instructors = InstructorEmailsField(required=False)

    class Meta:
        model = Course
        fields = [name for name in COURSE_FIELDS if name not in RELATIONS]

    def clean_code(self):
        return normalize_course_code(self.cleaned_data["code"])


def current_prerequisites() -> dict[str, set[str]]:
    """{course code: codes of its prerequisites}, in one query."""
    pairs = Course.prerequisites.through.objects.values_list("from_course__code", "to_course__code")
    required = defaultdict(set)
    for course_code, prerequisite_code in pairs:
        required[course_code].add(prerequisite_code)
    return required


def plan_import(rows: list[Row]) -> Plan:
    plan = Plan()
    existing = {course.code: course for course in Course.objects.select_related("term")}
    required = current_prerequisites()
    teachers = instructor_emails()
    checked = []
    seen = {}
    for row in rows:
        data = {key: _as_text(value) for key, value in row.data.items()}
        instance = existing.get(normalize_course_code(data.get("code", "")))
        # Compare the term by slug, the prerequisites by code and the
        # instructors by email, as the file gives them.
        initial = {
            "term": instance.term.slug,
            "prerequisites": " ".join(required[instance.code]),
            "instructors": " ".join(teachers.get(instance.code, [])),
        } if instance else None
        if instance and "instructors" not in data:
            # A file without the column leaves the course's instructors as they are.
            data["instructors"] = initial["instructors"]
        form = CourseRowForm(data, instance=instance, initial=initial)
        valid = form.is_valid()
        for name, messages in form.errors.items():
            plan.errors.extend(RowError(row.line, name if name != "__all__" else "row", m) for m in messages)
        code = form.cleaned_data.get("code")
        if code in seen:
            plan.errors.append(RowError(row.line, "code", f"{code} already appears on line {seen[code]}"))
            valid = False
        elif code:
            seen[code] = row.line
        checked.append((row.line, form, valid))
    known = set(existing) | set(seen)
    for line, form, valid in checked:
        code, codes = form.cleaned_data.get("code"), form.cleaned_data.get("prerequisites", [])
        problems = [f"unknown course {c}" for c in codes if c not in known]
        problems += [f"{code} cannot require itself"] if code in codes else []
        plan.errors.extend(RowError(line, "prerequisites", problem) for problem in problems)
        if not valid or problems:
            continue
        if form.instance.pk is None:
            plan.create.append(form)
        else:
            (plan.update if form.has_changed() else plan.unchanged).append(form)
    plan.errors.sort(key=lambda error: error.line)
    return plan


def apply_plan(plan: Plan, progress=lambda forms: forms) -> list[Course]:
    """Write every valid row; set prerequisites once all courses exist.

    ``progress`` wraps the rows being written (a progress bar on long files).
    """
    changed = [*plan.create, *plan.update]
    saved = [_save(form) for form in progress(changed)]
    required = current_prerequisites()
    by_code = {course.code: course.pk for course in Course.objects.only("code")}
    for form in changed:
        codes = set(form.cleaned_data["prerequisites"])
        if required[form.instance.code] != codes:
            form.instance.prerequisites.set([by_code[code] for code in codes])
        if "instructors" in form.changed_data:
            course_set_instructors(course=form.instance, instructors=form.cleaned_data["instructors"])
    return saved


def _save(form: CourseRowForm) -> Course:
    """Write what the row changes, and only that.

    The course was read when the import was planned; writing all of it back
    would also write its seat counters as read then, undoing every
    enrollment made since.
    """
    course = form.save(commit=False)
    if course.pk is None:
        course.save()
    else:
        course.save(update_fields=[name for name in form.changed_data if name not in RELATIONS])
    return course


def _as_text(value) -> str:
    """Form data from a JSON value: lists become space-separated, null empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, bool | dict):
        # Refused by the field (e.g. {"$gt": ""}): keep it visible in the error.
        return json.dumps(value)
    return str(value)
