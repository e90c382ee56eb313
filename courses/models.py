from django.db import models
from django.utils.translation import gettext_lazy as _


class Specialization(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    url = models.URLField(_("URL"), blank=True)

    class Meta:
        verbose_name = _("specialization")
        verbose_name_plural = _("specializations")

    def __str__(self):
        return self.name


class Course(models.Model):
    specialization = models.ForeignKey(
        Specialization, on_delete=models.CASCADE, related_name="courses"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    estimated_hours = models.PositiveSmallIntegerField(_("estimated hours"), null=True, blank=True)

    class Meta:
        ordering = ["specialization", "number"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.UniqueConstraint(fields=["specialization", "number"], name="course_number_unique")
        ]

    def __str__(self):
        return f"C{self.number} {self.title}"


class WeekQuerySet(models.QuerySet):
    def of(self, specialization):
        return self.filter(course__specialization=specialization)

    def through_course(self, number: int):
        """Weeks of courses 1..number: what a theory checkpoint requires."""
        return self.filter(course__number__lte=number)


class Week(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)

    objects = WeekQuerySet.as_manager()

    class Meta:
        ordering = ["course__number", "number"]
        verbose_name = _("week")
        verbose_name_plural = _("weeks")
        constraints = [models.UniqueConstraint(fields=["course", "number"], name="week_number_unique")]

    def __str__(self):
        return f"C{self.course.number} W{self.number} {self.title}"


class Assignment(models.Model):
    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Quiz")
        PROGRAMMING = "programming", _("Programming assignment")
        OPTIONAL = "optional", _("Optional assignment")
        UNGRADED_LAB = "ungraded_lab", _("Ungraded lab")

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="assignments")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["week", "position"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["week", "position"], name="assignment_position_unique")
        ]

    def __str__(self):
        return self.title


class Certification(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=200)
    url = models.URLField(_("URL"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self):
        return self.name
