"""Demo logframe: the programme and its indicators from DOMAIN.md, with their targets.
Found by natural key (programme code, indicator code); running twice changes nothing."""

from decimal import Decimal

from communities.demo import IOM_PROGRAMME, REPLICATION_PROGRAMME
from communities.models import Programme
from reports.models import Indicator, Target
from reports.summaries import summaries_rebuild

# The programmes themselves (with their jamoats) are seeded by communities.demo.
PROGRAMME = IOM_PROGRAMME

PROGRAMME_NAMES = {
    "name_tg": "Истифодаи интиқолҳои пулӣ барои рушд ва мусоидат ба муҳоҷирати қонунӣ дар деҳоти Тоҷикистон",
    "name_ru": "Использование денежных переводов для развития и содействие легальной миграции "
               "в сельских районах Таджикистана",
    "donor_tg": "Иттиҳоди Аврупо · СБМ",
    "donor_ru": "Европейский союз · МОМ",
}

# code, English, Tajik, Russian, unit, per community, target low, target high, computation
LOGFRAME = [
    ("training-modules", "Training modules developed and published",
     "Модулҳои омӯзишии таҳиягардида ва нашршуда", "Разработанные и опубликованные учебные модули",
     Indicator.Unit.COUNT, False, 10, 12, "training_modules_published"),
    ("households-financial-education", "Households that received financial education",
     "Хонаводаҳое, ки маърифати молиявӣ гирифтанд", "Домохозяйства, получившие финансовое образование",
     Indicator.Unit.HOUSEHOLDS, False, 1500, None, "households_financial_education"),
    ("communities-trained-migration",
     "Communities whose actors and resource centre were trained on labour migration",
     "Ҷамоатҳое, ки фаъолон ва маркази захиравии онҳо оид ба муҳоҷирати меҳнатӣ омӯзонида шуданд",
     "Общины, чьи активисты и ресурсный центр обучены по вопросам трудовой миграции",
     Indicator.Unit.COMMUNITIES, False, 15, None, "communities_trained_labour_migration"),
    ("households-business-training", "Migrant households trained in business and cooperative basics",
     "Хонаводаҳои муҳоҷирон, ки асосҳои тиҷорат ва кооперативро омӯхтанд",
     "Домохозяйства мигрантов, обученные основам бизнеса и кооперации",
     Indicator.Unit.HOUSEHOLDS, True, 65, 70, "households_trained_business"),
    ("labour-migration-centres", "Resource centres serving as labour-migration resource centres",
     "Марказҳои захиравӣ ҳамчун марказҳои муҳоҷирати меҳнатӣ",
     "Ресурсные центры, работающие как центры по трудовой миграции",
     Indicator.Unit.COUNT, False, 15, None, "resource_centres_serving"),
    ("cooperatives", "Cooperative enterprises set up", "Корхонаҳои кооперативии таъсисёфта",
     "Созданные кооперативные предприятия", Indicator.Unit.COUNT, True, 1, 2, "cooperatives_set_up"),
    ("mhas", "Migrant Household Associations set up", "Ассотсиатсияҳои хонаводаҳои муҳоҷирони таъсисёфта",
     "Созданные ассоциации домохозяйств мигрантов", Indicator.Unit.COUNT, False, 15, None, "mhas_set_up"),
    ("infrastructure-projects",
     "Infrastructure projects realised with migrant contributions matched by EU funds",
     "Лоиҳаҳои инфрасохторӣ бо саҳми муҳоҷирон ва маблағгузории ИА",
     "Инфраструктурные проекты, реализованные на взносы мигрантов при софинансировании ЕС",
     Indicator.Unit.COUNT, True, 8, 10, "infrastructure_projects_matched"),
    ("telephony-and-cafes", "Internet telephony stations and internet cafés set up",
     "Нуқтаҳои телефонияи интернетӣ ва интернет-қаҳвахонаҳои таъсисёфта",
     "Созданные пункты интернет-телефонии и интернет-кафе",
     Indicator.Unit.COUNT, False, 15, None, "telephony_and_cafes"),
    ("remittances-for-enterprises", "Labour-migrant remittances raised for businesses and cooperatives",
     "Интиқолҳои муҳоҷирони меҳнатӣ барои тиҷорат ва кооперативҳо",
     "Денежные переводы трудовых мигрантов, привлечённые для бизнеса и кооперативов",
     Indicator.Unit.EUR, False, 126000, None, "remittances_for_enterprises_eur"),
    ("follow-up-research", "Follow-up research published (Rasht and Khatlon)",
     "Тадқиқоти пайгирӣ нашр шуд (Рашт ва Хатлон)", "Опубликовано последующее исследование (Рашт и Хатлон)",
     Indicator.Unit.COUNT, False, 1, None, "research_published"),
]


# The replication's smaller logframe (codes of LOGFRAME rows) and its own targets for 6 jamoats.
REPLICATION_TARGETS = {
    "households-financial-education": (500, None),
    "mhas": (6, None),
    "infrastructure-projects": (3, 4),
    "remittances-for-enterprises": (40000, None),
}


def seed(*, rng, password_hash: str, stdout) -> None:
    seed_logframes()
    # The remittances seeder writes its entries in bulk, past the summary tables' receiver.
    summaries_rebuild()


def seed_logframes() -> None:
    _seed_logframe(PROGRAMME, LOGFRAME, names=PROGRAMME_NAMES)
    rows = [(*row[:6], *REPLICATION_TARGETS[row[0]], row[8]) for row in LOGFRAME if row[0] in REPLICATION_TARGETS]
    _seed_logframe(REPLICATION_PROGRAMME, rows)


def _seed_logframe(fields: dict, logframe: list, names: dict | None = None) -> None:
    programme, _ = Programme.objects.get_or_create(code=fields["code"], defaults=fields)
    if names and not programme.name_tg:
        Programme.objects.filter(pk=programme.pk).update(**names)
    for position, (code, name, name_tg, name_ru, unit, per_community, low, high, computation) in enumerate(logframe):
        indicator, _ = Indicator.objects.get_or_create(programme=programme, code=code, defaults={
            "position": position, "name": name, "name_tg": name_tg, "name_ru": name_ru, "unit": unit,
            "per_community": per_community, "computation": computation})
        Target.objects.get_or_create(indicator=indicator, jamoat=None, defaults={
            "low": Decimal(low), "high": None if high is None else Decimal(high)})
