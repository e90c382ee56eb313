from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.curriculum import CurriculumError, load_file, parse
from courses.models import Assignment, Course, Specialization, Week

pytestmark = pytest.mark.django_db
DLS = Path(__file__).resolve().parents[2] / "curricula" / "deep-learning-specialization.toml"


def catalog_state():
    return (
        list(Course.objects.values_list("pk", "number", "title").order_by("pk")),
        list(Week.objects.values_list("pk", "course_id", "number", "title").order_by("pk")),
        list(Assignment.objects.values_list("pk", "week_id", "position", "kind", "title").order_by("pk")),
    )


def test_the_dls_file_has_5_courses_and_17_weeks_with_every_title():
    document = parse(DLS.read_text())
    assert [len(c["weeks"]) for c in document["courses"]] == [4, 3, 2, 4, 4]
    titles = {a["title"] for c in document["courses"] for w in c["weeks"] for a in w["assignments"]}
    assert {"Key Concepts on Deep Neural Networks", "Emojify", "Trigger Word Detection",
            "Bird Recognition in the City of Peacetopia (Case Study)", "Transformers"} <= titles
    quizzes = [a for c in document["courses"] for w in c["weeks"] for a in w["assignments"] if a["kind"] == "quiz"]
    assert len(quizzes) == 17


def test_loading_twice_changes_nothing():
    # The session fixture loaded it once already.
    before = catalog_state()
    report = load_file(DLS)
    assert not report.changed and report.unchanged == 71
    assert catalog_state() == before


def test_a_changed_title_is_updated_in_place():
    week = Week.objects.get(course__number=3, number=1)
    Week.objects.filter(pk=week.pk).update(title="Old title")
    report = load_file(DLS)
    assert report.updated == 1 and report.changes == ["updated course 3 week 1: title"]
    assert Week.objects.get(pk=week.pk).title == "ML Strategy (1)"


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ('kind = "quiz", title = "Transformers"', 'kind = "exam", title = "Transformers"'),
        ('number = 3\ntitle = "Shallow Neural Networks"', 'number = 3\ntitle = ""'),
        ("[specialization]\nslug = \"deep-learning\"", "[specialization]\nslug = 7"),
    ],
)
def test_a_malformed_file_is_refused_with_the_place_and_nothing_is_written(tmp_path, broken, expected):
    text = DLS.read_text().replace(broken, expected, 1)
    assert text != DLS.read_text()
    path = tmp_path / "broken.toml"
    path.write_text(text.replace("Neural Networks and Deep Learning", "Renamed course"))
    before = catalog_state()
    with pytest.raises(CommandError) as error:
        call_command("load_curriculum", str(path))
    assert "Nothing was written" in str(error.value)
    assert catalog_state() == before
    assert Course.objects.filter(title="Renamed course").count() == 0


def test_problems_name_the_place_and_field():
    text = DLS.read_text().replace('kind = "quiz", title = "Transformers"', 'kind = "exam", title = "Transformers"')
    with pytest.raises(CurriculumError) as error:
        parse(text)
    assert error.value.problems == [
        "courses[4].weeks[3].assignments[0].kind: 'exam' is not one of "
        "optional, programming, quiz, ungraded_lab"
    ]


def test_invalid_toml_is_reported():
    with pytest.raises(CurriculumError, match="not valid TOML"):
        parse("[specialization\nname=")
    assert Specialization.objects.count() == 1
