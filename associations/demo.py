"""Demo associations: one MHA per jamoat, with its treasurer's login."""

from datetime import date

from django.contrib.auth import get_user_model

from associations.models import Association, TreasurerAssignment
from communities.demo import slug
from communities.models import Jamoat

TREASURER_NAMES = ["Saodat", "Khurshed", "Nilufar", "Alisher", "Tahmina", "Behruz", "Manija", "Sharif",
                   "Zulaikho", "Daler", "Rukhshona", "Komron", "Lola", "Sorbon", "Dilorom"]
TREASURER_SURNAMES = ["Boboeva", "Safarov", "Hamidova", "Jurayev", "Kholova", "Odinaev", "Nazarova", "Rasulov",
                      "Tursunova", "Sattorov", "Ismoilova", "Fayzulloev", "Qurbonova", "Mahmudov", "Ashurova"]


def seed(*, rng, password_hash: str, stdout) -> None:
    User = get_user_model()
    for index, jamoat in enumerate(Jamoat.objects.order_by("id")):
        association, _ = Association.objects.get_or_create(jamoat=jamoat, name=f"MHA {jamoat.name}", defaults={
            "founded": date(2010, 1 + index % 12, 15), "status": Association.Status.ACTIVE})
        if not association.name_tg:
            # "Migrant household association" in Tajik (АХМ) and Russian (АДМ), for the reports.
            association.name_tg = f"АХМ {jamoat.name_tg or jamoat.name}"
            association.name_ru = f"АДМ {jamoat.name_ru or jamoat.name}"
            association.save(update_fields=["name_tg", "name_ru"])
        surname = TREASURER_SURNAMES[index % len(TREASURER_SURNAMES)]
        user, created = User.objects.get_or_create(username=f"treasurer.{slug(jamoat.name)}", defaults={
            "first_name": TREASURER_NAMES[index % len(TREASURER_NAMES)], "last_name": surname})
        if created:
            user.password = password_hash
            user.save()
        elif user.last_name.startswith("("):  # demo users seeded before people had surnames
            user.last_name = surname
            user.save(update_fields=["last_name"])
        TreasurerAssignment.objects.get_or_create(user=user, association=association)
