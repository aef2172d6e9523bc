from __future__ import annotations

from django.contrib import admin

from liaisons.models import CoverageTarget, Employer, Liaison, Sector, SectorShift, Station


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]


@admin.register(SectorShift)
class SectorShiftAdmin(admin.ModelAdmin):
    list_display = ["sector", "starts", "ends"]


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "area"]
    list_filter = ["sector", "kind"]
    search_fields = ["name"]
    raw_id_fields = ["area"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "head"]
    raw_id_fields = ["area", "head"]


@admin.register(Liaison)
class LiaisonAdmin(admin.ModelAdmin):
    list_display = ["person", "sector", "employer", "station"]
    list_filter = ["sector"]
    raw_id_fields = ["person", "employer", "station", "work_areas"]


@admin.register(CoverageTarget)
class CoverageTargetAdmin(admin.ModelAdmin):
    list_display = ["area", "sector", "min_liaisons"]
