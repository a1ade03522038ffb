"""Reading a lead's CSV of people (pure): every row checked, every problem named by its row.

Columns (a header row, any order, case-insensitive): ``name``, ``email``, ``grade``,
``specialty``, ``site``, ``rotation_start``, ``rotation_end`` (2026-08-05 or 05/08/2026), and
optionally ``cohort`` (else taken from the grade: FY1 is foundation, CT2 core, ST4 specialty,
SAS sas), ``slots`` (the programme's slots they can make, ``;`` between them; empty: all) and
``avoid`` (emails of people they will not share a group with, ``;`` between them).
The import is all or nothing: one bad row and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from app.members.service import BIDI_CONTROLS
from app.programmes.models import Cohort

REQUIRED = ("name", "email", "grade", "specialty", "site", "rotation_start", "rotation_end")
OPTIONAL = ("cohort", "slots", "avoid")
MAX_ROWS = 2000
EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
GRADES = (
    (re.compile(r"^(FY|F)[12]\b|^foundation", re.I), Cohort.foundation),
    (re.compile(r"^(CT|IMT|CST|ACCS|GPST)\d?\b|^core", re.I), Cohort.core),
    (re.compile(r"^(ST|StR|SpR)\d*\b|^specialty", re.I), Cohort.specialty),
    (re.compile(r"^(SAS|SD|AS|specialty doctor|associate specialist)\b", re.I), Cohort.sas),
)
COHORT_WORDS = {c.value: c for c in Cohort} | {"img": Cohort.international,
                                                "later-career": Cohort.later_career}


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    email: str
    grade: str
    specialty: str
    site: str
    cohort: Cohort
    rotation_start: date
    rotation_end: date
    slots: tuple[str, ...]
    avoid: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    """The line of the file (the header is line 1)."""
    column: str
    problem: str


def _date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _cohort(given: str, grade: str) -> Cohort | None:
    if given:
        return COHORT_WORDS.get(given.strip().lower().replace(" ", "_"))
    return next((cohort for pattern, cohort in GRADES if pattern.search(grade)), None)


def _row(line: int, cells: dict[str, str], slots: list[str], errors: list[RowError]
         ) -> Row | None:
    before = len(errors)

    def bad(column: str, problem: str) -> None:
        errors.append(RowError(line, column, problem))

    for column, text in cells.items():
        if any(unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in text):
            bad(column, "it holds control characters: type it again as plain text")
    for column, limit in (("name", 80), ("grade", 40), ("specialty", 80), ("site", 80)):
        if not cells[column]:
            bad(column, f"the {column} is empty")
        elif len(cells[column]) > limit:
            bad(column, f"the {column} is longer than {limit} characters")
    email = cells["email"].lower()
    if not EMAIL.match(email) or len(email) > 254:
        bad("email", "not an email address like name@nhs.net")
    start, end = _date(cells["rotation_start"]), _date(cells["rotation_end"])
    for column, value in (("rotation_start", start), ("rotation_end", end)):
        if value is None:
            bad(column, "not a date like 2026-08-05 or 05/08/2026")
    if start and end and end <= start:
        bad("rotation_end", "the rotation ends before it starts")
    cohort = _cohort(cells["cohort"], cells["grade"])
    if cohort is None:
        bad("cohort", "say the cohort (foundation, core, specialty, sas, later_career, "
                      "international): the grade does not tell")
    chosen = [s.upper() for s in _list(cells["slots"])] or list(slots)
    for slot in chosen:
        if slot not in slots:
            bad("slots", f"{slot} is not one of the programme's slots ({', '.join(slots)})")
    avoid = [a.lower() for a in _list(cells["avoid"])]
    for other in avoid:
        if not EMAIL.match(other):
            bad("avoid", "give the email of each person to keep apart, ; between them")
        elif other == email:
            bad("avoid", "a person cannot be kept apart from themselves")
    if len(errors) > before:
        return None
    assert start and end and cohort
    return Row(cells["name"], email, cells["grade"], cells["specialty"], cells["site"], cohort,
               start, end, tuple(dict.fromkeys(chosen)), tuple(dict.fromkeys(avoid)))


def parse(text: str, *, slots: list[str], known: set[str]) -> tuple[list[Row], list[RowError]]:
    """The rows of a CSV, or the problems of each bad row (``known``: emails already in the
    programme, which a new row may not repeat)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowError(1, c, "this column is missing from the header") for c in missing]
    rows, errors, seen = [], [], set(known)
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if line - 1 > MAX_ROWS:
            errors.append(RowError(line, "", f"at most {MAX_ROWS} people in one import"))
            break
        if len(values) > len(header):
            errors.append(RowError(line, "", "more cells than the header has columns"))
            continue
        cells = {c: "" for c in OPTIONAL} | dict(zip(header, (v.strip() for v in values),
                                                     strict=False))
        cells = {c: cells.get(c, "") for c in REQUIRED + OPTIONAL}
        row = _row(line, cells, slots, errors)
        if row is None:
            continue
        if row.email in seen:
            errors.append(RowError(line, "email", "this email is already in the programme "
                                                  "or earlier in the file"))
            continue
        seen.add(row.email)
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(2, "", "the file has no people in it"))
    return rows, errors
