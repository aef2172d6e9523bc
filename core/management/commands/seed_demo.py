"""Create the demo population: the contract's demo logins, 1,976 volunteers in teams and 3,000 liaisons.

Run again, it keeps the population and only resets the passwords (a random
one is printed unless ZHENGQI_DEMO_PASSWORD is set); --reset rebuilds it.
Apps add their own demo data by giving their AppConfig a `seed_demo(population)`.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from tqdm import tqdm

from core import crypto
from core.demo import LIAISONS, VOLUNTEERS, DemoPopulation, Generator, team_name
from core.models import Area, Person, RoleGrant, Team

SEEDED_USERNAMES = r"^(admin|county_\d{6}|township_\d{9}|volunteer_demo|liaison_demo|vol\d{4}|lia\d{4})$"


class Command(BaseCommand):
    help = "Seed the demo population (deterministic for a given --seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=410600, help="random seed (default 410600)")
        parser.add_argument("--reset", action="store_true", help="delete the demo population and build it again")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("ZHENGQI_DEMO_PASSWORD") or f"zq-{secrets.token_urlsafe(9)}"
        hashed = make_password(password)  # one Argon2 hash for every demo account: they share the password
        users = get_user_model().objects.filter(username__regex=SEEDED_USERNAMES)
        if options["reset"]:
            with transaction.atomic():
                Person.objects.filter(user__in=users).delete()
                Team.objects.filter(members__isnull=True).delete()
                users.delete()
        if users.filter(username="admin").exists():
            users.update(password=hashed)
            self.stdout.write("Demo population already present; passwords reset.")
        else:
            self._build(seed=options["seed"], hashed=hashed, progress=not options["no_progress"])
        self._print_logins(password)

    @transaction.atomic
    def _build(self, *, seed: int, hashed: str, progress: bool) -> None:
        generator = Generator(seed=seed, areas=Area.objects.all())
        total = VOLUNTEERS + LIAISONS + 10
        with tqdm(total=total, desc="people", unit="", disable=not progress) as bar:
            pop = generator.population(tick=bar.update)
        self._save(pop, hashed=hashed, progress=progress)
        for config in apps.get_app_configs():
            hook = getattr(config, "seed_demo", None)
            if callable(hook):
                hook(pop)

    def _save(self, pop: DemoPopulation, *, hashed: str, progress: bool) -> None:
        user_model = get_user_model()
        everyone = pop.everyone()
        steps = tqdm(total=4, desc="saving", disable=not progress)
        user_model.objects.bulk_create(
            [user_model(username=p.username, password=hashed, is_staff=p.username == "admin") for p in everyone],
            batch_size=1000,
        )
        user_ids = dict(
            user_model.objects.filter(username__in=[p.username for p in everyone]).values_list("username", "id")
        )
        steps.update()
        areas = {a.code: a for a in Area.objects.all()}
        teams: dict[tuple[str, int], Team] = {}
        for person in everyone:
            if person.team_key and person.team_key not in teams:
                code, index = person.team_key
                teams[person.team_key] = Team(name=team_name(areas[code], index), area_id=code)
        Team.objects.bulk_create(teams.values(), batch_size=500)
        team_ids = {(t.area_id, t.name): t.pk for t in Team.objects.filter(area_id__in={k[0] for k in teams})}
        steps.update()
        Person.objects.bulk_create(
            [
                Person(
                    user_id=user_ids[p.username],
                    name=p.name,
                    phone=p.phone,
                    id_number_encrypted=crypto.encrypt(p.id_number),
                    id_number_hash=crypto.lookup_hash(p.id_number),
                    id_number_last4=p.id_number[-4:],
                    home_area_id=p.area_code,
                    home_lat=p.lat,
                    home_lon=p.lon,
                    team_id=team_ids[(p.team_key[0], team_name(areas[p.team_key[0]], p.team_key[1]))]
                    if p.team_key
                    else None,
                )
                for p in everyone
            ],
            batch_size=1000,
        )
        steps.update()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user_id=user_ids[p.username], role=p.role, area_id=p.area_code) for p in everyone],
            batch_size=1000,
        )
        # The first member of each team leads it.
        for team in Team.objects.filter(leader__isnull=True, members__isnull=False).distinct():
            Team.objects.filter(pk=team.pk).update(leader=team.members.order_by("id").first())
        steps.update()
        steps.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(pop.volunteers)} volunteers in {len(teams)} teams, {len(pop.liaisons)} liaisons "
                f"and {len(pop.logins)} demo logins."
            )
        )

    def _print_logins(self, password: str) -> None:
        counties = Area.objects.filter(level="county").order_by("code")
        lines = [
            "Demo logins (every one uses the same password):",
            "  admin                   city administrator, 鹤壁市 410600",
            *(f"  {'county_' + a.code:<24}county coordinator, {a.name}" for a in counties),
            "  township_410611001      township coordinator, 淇滨区 410611001",
            "  volunteer_demo          volunteer police, 淇滨区",
            "  liaison_demo            liaison (food delivery), 淇滨区",
            "  vol0001 … vol1976, lia0001 … lia3000   seeded members",
            f"Password: {password}",
        ]
        self.stdout.write("\n".join(lines))
