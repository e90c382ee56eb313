from django.contrib import admin

from .models import Assignment, Certification, Course, Specialization, Week


class CourseInline(admin.TabularInline):
    model = Course
    extra = 0


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0


@admin.register(Specialization)
class SpecializationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "provider"]
    inlines = [CourseInline]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "specialization", "estimated_hours"]
    list_filter = ["specialization"]


@admin.register(Week)
class WeekAdmin(admin.ModelAdmin):
    list_display = ["__str__", "course"]
    list_filter = ["course__specialization", "course"]
    list_select_related = ["course"]
    inlines = [AssignmentInline]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "slug"]
