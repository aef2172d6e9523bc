"""An alert as a CAP 1.2 document (a read: selector-side, audited by the endpoint's caller)."""

from __future__ import annotations

from django.conf import settings

from core.models import Area
from dispatch import cap
from dispatch.models import Alert, AlertKind, AlertStatus

# Our kinds in CAP's category vocabulary; imports map back in dispatch.services.cap_import.
CATEGORY = {
    AlertKind.VIOLENT_CRIME: "Security",
    AlertKind.FLOOD_RESCUE: "Rescue",
    AlertKind.INJURED_PERSON: "Health",
    AlertKind.MISSING_PERSON: "Rescue",
    AlertKind.FIRE: "Fire",
    AlertKind.TRAFFIC_ACCIDENT: "Transport",
    AlertKind.NATURAL_HAZARD: "Met",
    AlertKind.OTHER: "Other",
}


def _identifier(alert: Alert, version: int | None = None) -> str:
    base = f"zhengqi.alert.{alert.pk}"
    return base if not version or version == 1 else f"{base}.v{version}"


def _area(alert: Alert) -> cap.OutArea:
    names = dict(Area.objects.filter(code__in=[alert.area_id, *alert.target_area_codes]).values_list("code", "name"))
    circle = None
    if alert.lat is not None and alert.lon is not None and alert.radius_m:
        circle = (alert.lat, alert.lon, alert.radius_m / 1000)
    codes = alert.target_area_codes or [alert.area_id]
    return cap.OutArea(description="、".join(names.get(c, c) for c in codes), circle=circle, geocodes=list(codes))


def alert_as_cap(alert: Alert) -> bytes:
    """Alert for a first version; Update (referencing the original) once changed; Cancel once cancelled."""
    if alert.status == AlertStatus.CANCELLED:
        msg_type = "Cancel"
    elif alert.version > 1:
        msg_type = "Update"
    else:
        msg_type = "Alert"
    sent = alert.updated_at if msg_type != "Alert" else alert.created_at
    references = []
    if msg_type != "Alert":
        references.append((settings.CAP_SENDER, _identifier(alert), alert.created_at))
    blocks = alert.languages or [
        {
            "language": "zh-CN",
            "event": str(AlertKind(alert.kind).label),
            "headline": alert.title,
            "description": alert.description,
            "instruction": alert.instruction,
        }
    ]
    area = _area(alert)
    infos = [
        cap.OutInfo(
            language=block.get("language") or "zh-CN",
            category=block.get("category") or CATEGORY[AlertKind(alert.kind)],
            event=block.get("event") or alert.kind,
            urgency=block.get("urgency") or "Immediate",
            severity=alert.severity.capitalize(),
            certainty=block.get("certainty") or "Observed",
            headline=block.get("headline") or alert.title,
            description=block.get("description", ""),
            instruction=block.get("instruction", ""),
            expires=alert.expires_at,
            sender_name="正气 Zhengqi",
            parameters=[("zhengqi:needed", str(alert.needed)), ("zhengqi:kind", alert.kind)],
            area=area,
        )
        for block in blocks
    ]
    return cap.build(
        cap.OutMessage(
            identifier=_identifier(alert, alert.version),
            sender=settings.CAP_SENDER,
            sent=sent,
            msg_type=msg_type,
            references=references,
            infos=infos,
        )
    )
