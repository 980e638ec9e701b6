"""The household registry: households, their members, and migrants' trips abroad.

"Has a migrant abroad now", "returned migrant" and household size are derived from members and
episodes (see selectors), never typed.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities.models import Village
from mha_portal import idempotency
from mha_portal.scoping import ScopedManager, ScopeRule
from privacy.fields import EncryptedTextField

# Household columns kept by the database's triggers for the registry's sorts.
SORT_COLUMNS = ("head_last_name", "head_first_name", "village_name", "member_count")


class Household(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MOVED = "moved", _("Moved away")
        CLOSED = "closed", _("Closed")

    code = models.CharField(_("household code"), max_length=32, unique=True,
                            help_text=_("Stable identifier, used to match rows on import."))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="households",
                                verbose_name=_("village"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Encrypted at rest; found through `phone_index` (keyed digests, see privacy/crypto.py).
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    head = models.OneToOneField("Member", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="headed_household", verbose_name=_("head of household"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(_("notes"), blank=True)
    # Lower-case Cyrillic and Latin spellings of every member's name and the phones, so that
    # "Rahimov" finds "Раҳимов". Maintained by the services, never typed.
    search_text = models.TextField(editable=False, blank=True, default="")
    # Keyed digests of the phone numbers' prefixes (household's and members'): phone search
    # without the numbers in clear. Maintained with search_text.
    phone_index = models.TextField(editable=False, blank=True, default="", db_default="")
    left_on = models.DateField(_("left the programme on"), null=True, blank=True, editable=False,
                               help_text=_("Set when the status becomes moved away or closed; starts the "
                                           "retention period."))
    pseudonymised_at = models.DateTimeField(_("pseudonymised"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # A registration sent from the offline outbox carries the device's key: sent twice, one household.
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    # Copies of what the registry list sorts by (the head's names, the village's name, the number
    # of members), so that an index gives each order at 400,000 households. Written only by the
    # database's triggers (migration 0005), from the source rows, whoever writes: a value in a
    # saved instance is ignored. Nullable so that SQLite adds them without remaking the table.
    head_last_name = models.CharField(max_length=80, null=True, editable=False)
    head_first_name = models.CharField(max_length=80, null=True, editable=False)
    village_name = models.CharField(max_length=120, null=True, editable=False)
    member_count = models.PositiveIntegerField(null=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text", "phone_index", "updated_at", "idempotency_key",
                                                 "idempotency_fingerprint", *SORT_COLUMNS])
    objects = ScopedManager()
    # The associations app (issue 4) adds association="memberships__association_id" so that a
    # treasurer sees the member households of their MHA.
    scope_rule = ScopeRule(jamoat="village__jamoat_id", association="memberships__association_id", distinct=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            models.Index(fields=["village", "status"]),
            # One per sort of `households.selectors.SORTS`, each ending in its tie-break; read
            # backwards, the first three also give the descending sorts of the same columns.
            models.Index(fields=["head_last_name", "head_first_name", "code"], name="household_sort_head_idx"),
            models.Index(fields=["village_name", "code"], name="household_sort_village_idx"),
            models.Index(fields=["member_count", "code"], name="household_sort_size_idx"),
            models.Index(fields=["-member_count", "code"], name="household_sort_size_desc_idx"),
            models.Index(fields=["created_at", "id"], name="household_sort_newest_idx"),
        ]

    def __str__(self) -> str:
        if self.head_id and self.head:
            return f"{self.head.full_name} ({self.code})"
        return self.code

    def save(self, *args, **kwargs):
        # The retention period starts when the household leaves the programme.
        if self.status == self.Status.ACTIVE:
            self.left_on = None
        elif self.left_on is None:
            self.left_on = timezone.localdate()
        super().save(*args, **kwargs)

    def clean(self):
        if self.head_id and self.head.household_id != self.pk:
            raise ValidationError({"head": _("The head of household must be one of its members.")})


class Member(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    class Relation(models.TextChoices):
        HEAD = "head", _("Head")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Son or daughter")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Brother or sister")
        GRANDCHILD = "grandchild", _("Grandchild")
        IN_LAW = "in_law", _("Daughter- or son-in-law")
        OTHER = "other", _("Other relative")

    class Education(models.TextChoices):
        NONE = "none", _("None")
        PRIMARY = "primary", _("Primary")
        SECONDARY = "secondary", _("Secondary")
        VOCATIONAL = "vocational", _("Vocational")
        HIGHER = "higher", _("Higher")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members",
                                  verbose_name=_("household"))
    last_name = models.CharField(_("last name"), max_length=80)
    first_name = models.CharField(_("first name"), max_length=80)
    patronymic = models.CharField(_("patronymic"), max_length=80, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    relation = models.CharField(_("relation to the head"), max_length=12, choices=Relation.choices)
    education = models.CharField(_("education"), max_length=12, choices=Education.choices, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="household__village__jamoat_id",
                           association="household__memberships__association_id", distinct=True)

    class Meta:
        ordering = ["household", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(condition=Q(birth_year__gte=1900), name="member_birth_year_plausible"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.patronymic) if part)

    def clean(self):
        if self.birth_year and self.birth_year > timezone.localdate().year:
            raise ValidationError({"birth_year": _("The birth year cannot be in the future.")})


class MigrationEpisode(models.Model):
    """One trip abroad for work. Open (no return date) while the member is still abroad."""

    class Country(models.TextChoices):
        RUSSIA = "RU", _("Russia")
        KAZAKHSTAN = "KZ", _("Kazakhstan")
        TURKEY = "TR", _("Turkey")
        UAE = "AE", _("United Arab Emirates")
        OTHER = "XX", _("Other country")

    class Sector(models.TextChoices):
        CONSTRUCTION = "construction", _("Construction")
        SERVICES = "services", _("Services")
        TRADE = "trade", _("Trade")
        AGRICULTURE = "agriculture", _("Agriculture")
        TRANSPORT = "transport", _("Transport")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        OTHER = "other", _("Other")

    class LegalStatus(models.TextChoices):
        REGISTRATION = "registration", _("Registration only")
        WORK_PATENT = "work_patent", _("Work patent")
        LABOUR_CONTRACT = "labour_contract", _("Labour contract")
        ENTRY_BAN = "entry_ban", _("Entry ban")
        UNDOCUMENTED = "undocumented", _("Undocumented")
        UNKNOWN = "unknown", _("Unknown")

    class Channel(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        MTO = "mto", _("Money-transfer operator")
        CARRIED = "carried", _("Carried in person")
        INFORMAL = "informal", _("Informal (hawala, acquaintances)")
        NONE = "none", _("Sends no money")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="episodes",
                               verbose_name=_("member"))
    destination_country = models.CharField(_("destination country"), max_length=2, choices=Country.choices,
                                           default=Country.RUSSIA)
    destination_city = models.CharField(_("destination city"), max_length=80, blank=True)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    departure_date = models.DateField(_("departure date"))
    return_date = models.DateField(_("return date"), null=True, blank=True,
                                   help_text=_("Leave empty while the migrant is still abroad."))
    # Patents and entry bans can hurt a migrant if they leak: encrypted at rest, so never filtered on
    # in the database.
    legal_status = EncryptedTextField(_("legal status"), max_length=16, choices=LegalStatus.choices,
                                      default=LegalStatus.UNKNOWN)
    remittance_channel = models.CharField(_("how money is sent home"), max_length=10, choices=Channel.choices,
                                          default=Channel.MTO)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="member__household__village__jamoat_id",
                           association="member__household__memberships__association_id", distinct=True)

    class Meta:
        ordering = ["member", "-departure_date"]
        verbose_name = _("migration episode")
        verbose_name_plural = _("migration episodes")
        constraints = [
            models.CheckConstraint(condition=Q(return_date__isnull=True) | Q(return_date__gte=F("departure_date")),
                                   name="episode_return_after_departure"),
            # At most one open trip per member: a person is abroad once at a time.
            models.UniqueConstraint(fields=["member"], condition=Q(return_date__isnull=True),
                                    name="episode_one_open_trip_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.get_destination_country_display()} {self.destination_city}"

    @property
    def is_open(self) -> bool:
        return self.return_date is None

    def clean(self):
        today = timezone.localdate()
        errors = {}
        if self.departure_date and self.departure_date > today:
            errors["departure_date"] = _("The departure date cannot be in the future.")
        if self.return_date and self.return_date > today:
            errors["return_date"] = _("The return date cannot be in the future.")
        if self.return_date and self.departure_date and self.return_date < self.departure_date:
            errors["return_date"] = _("The return date cannot be before the departure date.")
        if errors:
            raise ValidationError(errors)


class ConsentRecord(models.Model):
    """What a household agreed to, when, who agreed and who recorded it. Withdrawing keeps the
    record (the date says until when the consent held)."""

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("Registration and processing of personal data")
        REPORTING = "reporting", _("Anonymous use in reports to the donor")
        CONTACT = "contact", _("Contact by phone")
        PHOTOS = "photos", _("Photos in programme materials")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="consents",
                                  verbose_name=_("household"))
    purpose = models.CharField(_("consented to"), max_length=16, choices=Purpose.choices)
    given_by = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("given by"))
    given_on = models.DateField(_("date"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="household__village__jamoat_id",
                           association="household__memberships__association_id", distinct=True)

    class Meta:
        ordering = ["household", "-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.CheckConstraint(condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                                   name="consent_withdrawn_after_given"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.get_purpose_display()} ({self.given_on})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None

    def clean(self):
        if self.given_on and self.given_on > timezone.localdate():
            raise ValidationError({"given_on": _("The date cannot be in the future.")})
        if self.given_by_id and self.household_id and self.given_by.household_id != self.household_id:
            raise ValidationError({"given_by": _("The person must be a member of the household.")})
