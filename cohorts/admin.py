from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AuditEvent,
    CertificateSubmission,
    Cohort,
    Deadline,
    DeadlineExtension,
    Invitation,
    KaggleRoute,
    KaggleSubmission,
    Membership,
    Notification,
    TheorySubmission,
    User,
    WeekCompletion,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["name", "language", "email_reminders", "email_digest"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0


class KaggleRouteInline(admin.TabularInline):
    model = KaggleRoute
    extra = 0


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "starts_on", "ends_on", "prize_slots", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["accepted_certifications"]
    inlines = [DeadlineInline, KaggleRouteInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "cohort", "role", "status", "weeks_done", "theory_completed_at"]
    list_filter = ["cohort", "role", "status"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["user", "cohort"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "weeks_done", "weeks_done_at", "theory_completed_at", "finish_seq", "last_activity_at",
        "theory_state", "certificate_state", "kaggle_state", "status_reason", "status_changed_at",
        "graduated_at",
    ]


@admin.register(WeekCompletion)
class WeekCompletionAdmin(admin.ModelAdmin):
    list_display = ["membership", "week", "completed_at"]
    list_filter = ["membership__cohort"]
    list_select_related = ["membership__cohort", "week__course"]
    raw_id_fields = ["membership"]
    # Progress counters on Membership are kept by the tick services, so completions are read-only here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["membership", "status", "submitted_at", "reviewed_by", "reviewed_at"]
    list_filter = ["status", "membership__cohort"]
    list_select_related = ["membership__cohort", "reviewed_by"]
    raw_id_fields = ["membership", "reviewed_by"]
    # Decisions go through the verification queue, which keeps pillar states, graduation,
    # audit records and notices in step; here they are read-only.
    readonly_fields = ["status", "reviewed_by", "reviewed_at", "review_reason"]

    def has_add_permission(self, request):
        return False


admin.site.register(TheorySubmission, SubmissionAdmin)
admin.site.register(CertificateSubmission, SubmissionAdmin)
admin.site.register(KaggleSubmission, SubmissionAdmin)


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(admin.ModelAdmin):
    list_display = ["membership", "deadline", "due_at", "granted_by"]
    raw_id_fields = ["membership"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "cohort", "membership", "action", "actor"]
    list_filter = ["cohort", "action"]
    list_select_related = ["cohort", "membership", "actor"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "user", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "cohort"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "cohort", "role", "created_at", "accepted_at"]
    list_filter = ["cohort", "role"]
