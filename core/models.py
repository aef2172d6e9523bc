"""What every app shares: areas, people, teams, honoured heroes, role grants, API tokens and the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.roles import Role


class AreaLevel(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / street")
    VILLAGE = "village", _("Village / community")


# NBS division codes are hierarchical: a city is identified by its first 4
# digits (4106), a county by 6 (410622), a township by 9 (410622100) and a
# village by 12. "Is X inside Y" is then `X.code.startswith(Y.prefix)`, with no
# recursive query.
PREFIX_LENGTH = {AreaLevel.CITY: 4, AreaLevel.COUNTY: 6, AreaLevel.TOWNSHIP: 9, AreaLevel.VILLAGE: 12}


def area_prefix(code: str, level: str) -> str:
    return code[: PREFIX_LENGTH[AreaLevel(level)]]


class Area(models.Model):
    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    lat = models.FloatField(_("centre latitude (WGS-84)"))
    lon = models.FloatField(_("centre longitude (WGS-84)"))

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["prefix"], name="area_prefix_like", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The prefix is derived, never typed in.
        self.prefix = area_prefix(self.code, self.level)
        super().save(*args, **kwargs)

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)


class AreaBoundaryQuerySet(models.QuerySet["AreaBoundary"]):
    def by_area(self) -> dict[str, Any]:
        """Area code -> GeoJSON geometry."""
        return dict(self.values_list("area_id", "geometry"))


class AreaBoundary(models.Model):
    """A division's outline as a GeoJSON geometry (WGS-84), where one is shipped: the counties'.

    Not a column of `Area`, which nearly every request reads (role grants, home areas, a
    session's host, an alert's area): a county's polygon is ~1,500 points of JSON, parsed
    only where it is drawn or a point is tested against it.
    """

    area = models.OneToOneField(Area, primary_key=True, on_delete=models.CASCADE, related_name="outline")
    geometry = models.JSONField()

    objects = AreaBoundaryQuerySet.as_manager()

    def __str__(self) -> str:
        return f"outline of {self.area_id}"


class Team(models.Model):
    """A team of volunteer police, based in an area and led by one of them."""

    name = models.CharField(_("name"), max_length=64)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="teams")
    leader = models.ForeignKey("Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="team_unique_name_in_area")]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """One human. Phone is stored as 11 digits; the ID number only encrypted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("mobile phone"), max_length=11, unique=True)
    id_number_encrypted = models.TextField(blank=True, default="")
    # HMAC of the normalised ID number: finds duplicates without decrypting.
    id_number_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    id_number_last4 = models.CharField(max_length=4, blank=True, default="")
    home_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="residents")
    home_lat = models.FloatField(null=True, blank=True)
    home_lon = models.FloatField(null=True, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["home_area"], name="person_home_area_like", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class Honour(models.TextChoices):
    HERO = "hero", _("Hero of courageous deeds")  # 见义勇为英雄
    OUTSTANDING = "outstanding", _("Outstanding individual in courageous deeds")  # 见义勇为先进个人
    COMMENDATION = "commendation", _("Commendation")  # 嘉奖


class Hero(models.Model):
    """An honoured hero (见义勇为英雄 / 先进个人) in the staff's information database.

    A hero need not be a member: `person` links one when they are, and the name is kept on the
    record either way (an honour stays as awarded if the member later changes their name).
    """

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="honours")
    name = models.CharField(_("name"), max_length=64)
    home_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="heroes")
    deed = models.TextField(_("deed"))
    deed_date = models.DateField(_("date of the deed"))
    honour = models.CharField(_("honour"), max_length=32, choices=Honour.choices)
    honoured_on = models.DateField(_("honoured on"))
    awarding_body = models.CharField(_("awarding body"), max_length=128, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-honoured_on", "-id"]
        indexes = [
            models.Index(fields=["home_area"], name="hero_home_area_like", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(honoured_on__gte=models.F("deed_date")), name="hero_honoured_after_deed"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoleGrant(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="role_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area"], name="rolegrant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.role}@{self.area_id}"


class ApiToken(models.Model):
    """An opaque bearer token. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True, default="")
    # SHA-256 of the user's password hash when the token was issued: a password change (API, admin,
    # `changepassword`, anything that calls set_password) changes the hash and so revokes the token.
    # Blank on tokens issued outside core.services.tokens (benchmarks, fixtures): not bound.
    password_fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")
    PERSONAL_DATA_READ = "personal_data_read", _("Read unmasked personal data")
    PERSON_CREATE = "person_create", _("Created a person")
    PERSON_UPDATE = "person_update", _("Updated a person")
    ROLE_GRANT = "role_grant", _("Granted a role")
    ROLE_REVOKE = "role_revoke", _("Revoked a role")
    TEAM_CREATE = "team_create", _("Created a team")
    EXPORT = "export", _("Exported data")
    ALERT_ACTION = "alert_action", _("Alert action")
    SESSION_ACTION = "session_action", _("Training or meeting action")
    LIAISON_IMPORT = "liaison_import", _("Imported liaisons")
    LIAISON_CREATE = "liaison_create", _("Registered a liaison")
    EMPLOYER_CREATE = "employer_create", _("Created an employer")
    STATION_CHANGE = "station_change", _("Changed a work station")
    COVERAGE_TARGET = "coverage_target", _("Changed a coverage target")
    HERO_CREATE = "hero_create", _("Recorded an honoured hero")
    HERO_UPDATE = "hero_update", _("Updated an honoured hero")


class AuditEntry(models.Model):
    """Append-only record of who did what to which record, when and from where."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=32, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    # The division the record belongs to: staff see entries inside their jurisdiction.
    area_code = models.CharField(max_length=12, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["area_code"], name="audit_area_like", opclasses=["varchar_pattern_ops"]),
        ]


class DutyStatus(models.Model):
    """Whether a member is on duty. Their live position (core.positions) is kept only while they are."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="duty")
    on_duty = models.BooleanField(default=False)
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["on_duty"], name="duty_on_duty")]

    def __str__(self) -> str:
        return f"{self.person_id}: {'on' if self.on_duty else 'off'} duty"
