"""The liaison network: sectors, employers, liaisons with their work areas and shifts, work stations, targets."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import Area, Person


class Sector(models.Model):
    """An industry liaisons are recruited from. Seeded by a data migration; more may be added."""

    code = models.SlugField(_("code"), max_length=32, primary_key=True)
    name_zh = models.CharField(_("Chinese name"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=64)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name_zh


class EmployerKind(models.TextChoices):
    DELIVERY_STATION = "delivery_station", _("Delivery station")
    COURIER_DEPOT = "courier_depot", _("Courier depot")
    SANITATION_CREW = "sanitation_crew", _("Sanitation crew")
    BUS_COMPANY = "bus_company", _("Bus company")
    BUS_ROUTE = "bus_route", _("Bus route")
    CITY_MANAGEMENT_TEAM = "city_management_team", _("City management team")
    PROPERTY_COMPANY = "property_company", _("Property company")
    HOSPITAL = "hospital", _("Hospital")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class Employer(models.Model):
    """Where liaisons work: a delivery station, courier depot, bus route, hospital..."""

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=EmployerKind.choices, default=EmployerKind.OTHER)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="employers")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="employers")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="employer_unique_name_in_area")]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    """A work station (工作站) in a township or village, led by a head (站长)."""

    name = models.CharField(_("name"), max_length=128)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="stations")
    head = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations_led")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="station_unique_name_in_area")]

    def __str__(self) -> str:
        return self.name


class Liaison(models.Model):
    """A person's liaison profile: sector, employer, the areas they cover and their station."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="liaison")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="liaisons")
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.SET_NULL, related_name="liaisons")
    # Where else they are out and about (a rider's other delivery townships); home always counts too.
    work_areas = models.ManyToManyField(Area, related_name="liaisons_working", blank=True)
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="liaisons")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sector"], name="liaison_sector")]

    def __str__(self) -> str:
        return f"{self.person} ({self.sector_id})"

    def effective_shifts(self) -> list[str]:
        """Their own shift windows, else their sector's usual ones, as HH:MM-HH:MM."""
        own = [str(s) for s in self.shifts.all()]
        return own or [str(s) for s in self.sector.shifts.all()]


class SectorShift(models.Model):
    """When a sector's liaisons are normally out (riders 10:00-14:00 and 17:00-21:00), unless they have their own.

    Asia/Shanghai wall-clock time; an end before the start wraps midnight.
    """

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="shifts")
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        ordering = ["sector_id", "starts"]
        constraints = [
            models.CheckConstraint(condition=~Q(starts=F("ends")), name="sector_shift_not_empty"),
            models.UniqueConstraint(fields=["sector", "starts", "ends"], name="sector_shift_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"


class ShiftWindow(models.Model):
    """A liaison's own shift, replacing their sector's. Asia/Shanghai wall-clock; an end before the start wraps."""

    liaison = models.ForeignKey(Liaison, on_delete=models.CASCADE, related_name="shifts")
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        ordering = ["liaison_id", "starts"]
        constraints = [
            models.CheckConstraint(condition=~Q(starts=F("ends")), name="shift_not_empty"),
            models.UniqueConstraint(fields=["liaison", "starts", "ends"], name="shift_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"


class CoverageTarget(models.Model):
    """At least `min_liaisons` of a sector in every township under `area` (the most specific target wins)."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="coverage_targets")
    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="targets")
    min_liaisons = models.PositiveSmallIntegerField(_("minimum liaisons per township"), default=1)

    class Meta:
        ordering = ["area_id", "sector_id"]
        constraints = [models.UniqueConstraint(fields=["area", "sector"], name="target_unique")]
