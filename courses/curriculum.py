"""Curriculum files (TOML) in, catalog rows out: validated whole before anything is written."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from .models import Assignment, Certification, Course, Specialization, Week


class CurriculumError(Exception):
    """A curriculum file that cannot be loaded; `problems` name the place and field at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


class _Reader:
    """Reads typed fields out of nested tables, collecting every problem with its path."""

    def __init__(self):
        self.problems: list[str] = []

    def table(self, data, path: str) -> dict:
        if not isinstance(data, dict):
            self.problems.append(f"{path}: expected a table")
            return {}
        return data

    def items(self, data: dict, key: str, path: str) -> list:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.problems.append(f"{path}.{key}: expected a non-empty list")
            return []
        return value

    def text(self, data: dict, key: str, path: str, required: bool = True, max_length: int = 200) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            self.problems.append(f"{path}.{key}: expected text, got {type(value).__name__}")
            return ""
        value = value.strip()
        if required and not value:
            self.problems.append(f"{path}.{key}: missing")
        elif len(value) > max_length:
            self.problems.append(f"{path}.{key}: longer than {max_length} characters")
        return value

    def number(self, data: dict, key: str, path: str, required: bool = True) -> int | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.problems.append(f"{path}.{key}: expected a whole number of at least 1")
            return None
        return value

    def numbered(self, rows: list[dict], path: str) -> None:
        numbers = [row.get("number") for row in rows]
        if None not in numbers and numbers != list(range(1, len(rows) + 1)):
            self.problems.append(f"{path}: numbers must run 1..{len(rows)}, got {numbers}")


def parse(text: str) -> dict:
    """Validate a curriculum document and return it normalised; raise CurriculumError."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CurriculumError([f"not valid TOML: {error}"]) from error
    r = _Reader()
    spec = r.table(raw.get("specialization"), "specialization")
    result = {
        "specialization": {
            "slug": r.text(spec, "slug", "specialization", max_length=50),
            "name": r.text(spec, "name", "specialization"),
            "provider": r.text(spec, "provider", "specialization", required=False),
            "url": r.text(spec, "url", "specialization", required=False),
        },
        "certifications": [],
        "courses": [],
    }
    for i, cert in enumerate(raw.get("certifications", [])):
        path = f"certifications[{i}]"
        cert = r.table(cert, path)
        result["certifications"].append(
            {
                "slug": r.text(cert, "slug", path, max_length=50),
                "name": r.text(cert, "name", path),
                "issuer": r.text(cert, "issuer", path),
                "url": r.text(cert, "url", path, required=False),
            }
        )
    kinds = set(Assignment.Kind.values)
    courses = r.items(raw, "courses", "curriculum")
    for ci, course in enumerate(courses):
        cpath = f"courses[{ci}]"
        course = r.table(course, cpath)
        weeks = []
        for wi, week in enumerate(r.items(course, "weeks", cpath)):
            wpath = f"{cpath}.weeks[{wi}]"
            week = r.table(week, wpath)
            assignments = []
            for ai, assignment in enumerate(r.items(week, "assignments", wpath)):
                apath = f"{wpath}.assignments[{ai}]"
                assignment = r.table(assignment, apath)
                kind = r.text(assignment, "kind", apath)
                if kind and kind not in kinds:
                    r.problems.append(
                        f"{apath}.kind: {kind!r} is not one of {', '.join(sorted(kinds))}"
                    )
                assignments.append({"kind": kind, "title": r.text(assignment, "title", apath)})
            weeks.append(
                {
                    "number": r.number(week, "number", wpath),
                    "title": r.text(week, "title", wpath),
                    "assignments": assignments,
                }
            )
        r.numbered(weeks, f"{cpath}.weeks")
        result["courses"].append(
            {
                "number": r.number(course, "number", cpath),
                "title": r.text(course, "title", cpath),
                "estimated_hours": r.number(course, "estimated_hours", cpath, required=False),
                "weeks": weeks,
            }
        )
    r.numbered(result["courses"], "courses")
    if r.problems:
        raise CurriculumError(r.problems)
    return result


def _sync(model, lookup: dict, values: dict, report: LoadReport, label: str):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created += 1
        report.changes.append(f"created {label}")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated += 1
        report.changes.append(f"updated {label}: {', '.join(changed)}")
    else:
        report.unchanged += 1
    return obj


@transaction.atomic
def load(document: dict) -> LoadReport:
    """Write a parsed curriculum; rows already as the file says are left untouched."""
    report = LoadReport()
    spec_data = dict(document["specialization"])
    spec = _sync(Specialization, {"slug": spec_data.pop("slug")}, spec_data, report, "specialization")
    for cert in document["certifications"]:
        cert = dict(cert)
        _sync(Certification, {"slug": cert.pop("slug")}, cert, report, f"certification {cert['name']}")
    for course_data in document["courses"]:
        course = _sync(
            Course,
            {"specialization": spec, "number": course_data["number"]},
            {"title": course_data["title"], "estimated_hours": course_data["estimated_hours"]},
            report,
            f"course {course_data['number']}",
        )
        for week_data in course_data["weeks"]:
            label = f"course {course.number} week {week_data['number']}"
            week = _sync(
                Week, {"course": course, "number": week_data["number"]},
                {"title": week_data["title"]}, report, label,
            )
            for position, assignment in enumerate(week_data["assignments"], start=1):
                _sync(
                    Assignment, {"week": week, "position": position}, assignment, report,
                    f"{label} assignment {position}",
                )
            extra, _ = week.assignments.filter(position__gt=len(week_data["assignments"])).delete()
            report.deleted += extra
    return report


def load_file(path: str | Path) -> LoadReport:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CurriculumError([f"{path}: cannot be read: {error}"]) from error
    return load(parse(text))
