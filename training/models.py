"""Sessions (trainings and video meetings), their venues, relays down the levels, reminders and attendance."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Area, Person


class SessionKind(models.TextChoices):
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")


class SessionMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    BOTH = "both", _("In person and video")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    STARTED = "started", _("Started")
    CANCELLED = "cancelled", _("Cancelled")
    ENDED = "ended", _("Ended")


class Session(models.Model):
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=120)
    agenda = models.TextField(_("agenda"), blank=True, default="")
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    mode = models.CharField(max_length=16, choices=SessionMode.choices)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    # The level it is hosted at, and by whom.
    host_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    # Kept when the host's record goes (the session and its attendance are history).
    host = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="hosted_sessions")
    # The audience as asked for (the invitees are resolved once, into Attendance rows).
    area_codes = models.JSONField(default=list, blank=True)
    team_ids = models.JSONField(default=list, blank=True)
    sectors = models.JSONField(default=list, blank=True)
    roles = models.JSONField(default=list, blank=True)
    # HMAC key of the rotating check-in code; never leaves the server.
    secret = models.CharField(max_length=64)
    # Part of every venue's join link, so room names cannot be guessed from the session id.
    room_key = models.CharField(max_length=16)
    relay_deadline = models.DateTimeField(null=True, blank=True)
    # iCalendar SEQUENCE: bumped on every change a calendar must pick up.
    sequence = models.PositiveIntegerField(default=0)
    cancel_reason = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    # Claim of the closing job: set once, by the one worker that won.
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="session_end_after_start")
        ]

    def __str__(self) -> str:
        return self.title


class Venue(models.Model):
    """A room where the session is followed: a conference room with a join link, or a place to gather."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="venues")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    key = models.CharField(max_length=32)
    join_url = models.CharField(max_length=300, blank=True, default="")
    contact_name = models.CharField(max_length=64, blank=True, default="")
    contact_phone = models.CharField(max_length=32, blank=True, default="")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # In-person check-in must come from within this many metres, when set.
    geofence_m = models.PositiveIntegerField(null=True, blank=True)
    added_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["session_id", "area_id", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "key"], name="venue_unique_key")]


class RelayStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for receipt")
    CONFIRMED = "confirmed", _("Receipt confirmed")


class Relay(models.Model):
    """One unit a session was passed down to (层层传达), and its receipt (回执)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="relays")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    # The unit that passed it on: None when it came straight from the host's level.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    status = models.CharField(max_length=16, choices=RelayStatus.choices, default=RelayStatus.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the receipt is due: the session's relay deadline, or a grace after a late relay (never after the start).
    due_at = models.DateTimeField()
    # Set once, by the one worker that claimed the flagging of this unit.
    overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session_id", "area_id"]
        indexes = [models.Index(fields=["overdue_at", "due_at"], name="relay_due")]
        constraints = [models.UniqueConstraint(fields=["session", "area"], name="relay_unique_unit")]


class Reminder(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    minutes_before = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "due_at"], name="reminder_due")]
        constraints = [models.UniqueConstraint(fields=["session", "minutes_before"], name="reminder_unique_offset")]


class AttendanceStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class Attendance(models.Model):
    """One invitee of one session. Where they live and what they belong to is copied in at invitation,
    so reports aggregate one table in SQL without joins (600,000 rows a year at the seed's scale)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices, default=AttendanceStatus.INVITED)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    marked_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    session_start = models.DateTimeField()
    area_code = models.CharField(max_length=12)
    township_code = models.CharField(max_length=9)
    county_code = models.CharField(max_length=6)
    team_id = models.BigIntegerField(null=True, blank=True)
    sector = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["session_id", "person_id"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="attendance_unique_invitee")]
        indexes = [
            models.Index(fields=["session", "status"], name="attendance_session_status"),
            models.Index(fields=["person", "session_start"], name="attendance_person_start"),
            # Covering indexes for the roll-ups: the range scan never touches the table.
            models.Index(fields=["session_start", "county_code", "status"], name="attendance_by_county"),
            models.Index(fields=["session_start", "sector", "status"], name="attendance_by_sector"),
        ]


class TallyDimension(models.TextChoices):
    AREA = "area", _("By area")
    SECTOR = "sector", _("By sector")


class AttendanceTally(models.Model):
    """Counts of one closed session's attendance, by township (area rows) or by county and sector
    (sector rows). Rebuilt when a session closes and whenever a closed session's attendance changes,
    so a year's roll-up reads some 100,000 small rows instead of 600,000 invitations."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="tallies")
    session_start = models.DateTimeField()
    dimension = models.CharField(max_length=8, choices=TallyDimension.choices)
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9, blank=True, default="")
    sector = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["dimension", "session_start"], name="tally_dimension_start")]


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class LeaveRequest(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="leave_requests")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    decided_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="leave_unique_request")]


class CalendarFeed(models.Model):
    """A person's private iCalendar URL. Only the token's digest is stored; revoking clears it."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="calendar_feed")
    digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
