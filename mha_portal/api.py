"""Pieces every app's API uses: scoped viewsets and an exception handler that turns the
errors a service can raise into 4xx answers instead of 500s."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, connections
from django.db.models import F, Lookup
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mha_portal.scoping import ScopedQuerySet, get_editable_or_404, get_visible_or_404, scope_for

logger = logging.getLogger(__name__)


def validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


# Input that slipped past every serializer (a 20-digit id into a filter, JSON nested 5,000 deep, a
# list where an object was expected): the client's mistake, so a 400, never a 500. Logged with its
# traceback so that the field that lacks parsing can still be found and fixed.
BAD_INPUT_ERRORS = (DataError, ValueError, OverflowError, RecursionError, TypeError, AttributeError, KeyError)


def bad_input_response():
    return Response({"non_field_errors": [_("The request could not be understood: check its values.")]},
                    status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    if isinstance(exc, BAD_INPUT_ERRORS) and not isinstance(exc, DjangoValidationError):
        logger.warning("Bad input answered with 400", exc_info=exc)
        return bad_input_response()
    if isinstance(exc, DjangoValidationError):
        # A service marks a refusal caused by the state of the data (money already released,
        # changed meanwhile) with `http_status = 409`; others are bad input.
        return Response(validation_detail(exc), status=getattr(exc, "http_status", status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, IntegrityError):
        # A database constraint caught what validation missed (often a concurrent write).
        return Response(
            {"non_field_errors": [_("The record conflicts with existing data. Reload and try again.")]},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


def limit_related_fields(serializer, user) -> None:
    """Every related field of a serializer (nested ones too) accepts only rows the user can see, so
    an out-of-scope id gets the same "Invalid pk" as a missing one: no existence oracle."""
    from rest_framework import serializers as drf

    fields = getattr(serializer, "fields", None)
    if fields is None:
        child = getattr(serializer, "child", None)
        if child is not None:
            limit_related_fields(child, user)
        return
    for field in fields.values():
        target = field.child_relation if isinstance(field, drf.ManyRelatedField) else field
        if getattr(target, "scope_limited", False):
            continue  # the serializer limited this field itself (e.g. households a treasurer may enrol)
        if isinstance(target, drf.RelatedField) and not target.read_only:
            queryset = getattr(target, "queryset", None)
            if queryset is not None and isinstance(queryset, ScopedQuerySet):
                target.queryset = queryset.visible_to(user)
        elif isinstance(field, (drf.BaseSerializer, drf.ListSerializer)):
            limit_related_fields(field, user)


class ScopedViewSetMixin:
    """Lists and lookups go through `visible_to`; changes through `editable_by`.

    An object outside the user's scope is a 404; one they can see but not change is a 403.
    Related ids in a request body are looked up among the rows the user can see.
    """

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.request is not None and self.request.method not in ("GET", "HEAD", "OPTIONS"):
            limit_related_fields(serializer, self.request.user)
        return serializer

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            obj = get_visible_or_404(queryset, self.request.user, **lookup)
        else:
            obj = get_editable_or_404(queryset, self.request.user, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class KeysetPagination(CursorPagination):
    """Pages of the big lists (the ledger, the registry) by keyset: `results` and `next` (and
    `previous`) as before, but no `count` and no `?page=`: a page costs the same at row 50 and at
    row 5,000,000, with no COUNT(*) over the table. Follow `next` (an opaque `cursor`).

    The order is the view's `cursor_ordering()` when it has one (it must end in a unique field),
    else newest first."""

    ordering = ("-id",)

    def get_ordering(self, request, queryset, view):
        chosen = getattr(view, "cursor_ordering", None)
        return tuple(chosen()) if chosen is not None else super().get_ordering(request, queryset, view)

    # A programme-wide user's page is looked for among the table's next `probe_rows` rows first;
    # when it is not there, it is read by id if they have at most `read_by_id_at_most` rows
    # left (`_read_by_id_when_few`).
    probe_rows = 2000
    read_by_id_at_most = 100_000

    def paginate_queryset(self, queryset, request, view=None):
        ordering = tuple(self.get_ordering(request, queryset, view))
        if ordering in BY_ID:
            ids, officer_ids = self._page_ids(queryset, request, descending=ordering[0].startswith("-"))
        else:
            # (The registry's sorts: all the user's ids, which the page sorts; officers walk.)
            ids, officer_ids = queryset.order_by().values("pk"), None
        queryset = _read_by_id_when_few(queryset, request.user, ids=ids, officer_ids=officer_ids)
        return super().paginate_queryset(queryset, request, view)

    def _page_ids(self, queryset, request, *, descending: bool):
        """For a list sorted by id: the page's ids as a subquery (staff, treasurers), and how a
        programme-wide user's are found (`officer_ids`), past the cursor in its direction."""
        cursor = self.decode_cursor(request)  # an invalid cursor is refused here as in the page
        wanted = self.get_page_size(request) + 1 + (cursor.offset if cursor is not None else 0)
        if cursor is not None and cursor.reverse:
            descending = not descending

        def ahead(rows):
            """`rows` past the cursor in the page's direction: what the page takes the first of."""
            if cursor is not None and cursor.position is not None:
                rows = rows.filter(**{"pk__lt" if descending else "pk__gt": cursor.position})
            return rows.values_list("pk", flat=True)

        def officer_ids() -> list[int] | None:
            """The ids of a programme-wide user's page, or None to walk: when the table's next
            `probe_rows` rows (anyone's) hold their page, or when more of their rows are left
            than a page should sort. One query, and a second one bounded by that limit."""
            nearest = ahead(queryset.model._base_manager.order_by("-pk" if descending else "pk"))[:self.probe_rows]
            if queryset.filter(pk__in=nearest).order_by().values("pk")[:wanted].count() >= wanted:
                return None
            left = list(ahead(queryset.order_by())[:self.read_by_id_at_most + 1])
            return None if len(left) > self.read_by_id_at_most else sorted(left, reverse=descending)[:wanted]

        # Sorted by `id + 0`, which no index gives: PostgreSQL finds them through the scope's
        # indexes and sorts them, rather than walk the primary key past other users' rows (which
        # its statistics may make look cheaper).
        key = F("pk") + 0
        return ahead(queryset.order_by(key.desc() if descending else key.asc()))[:wanted], officer_ids


# The keyset orderings by the primary key alone (the ledger's), whose pages `_page_ids` finds.
BY_ID = {("-id",), ("id",), ("-pk",), ("pk",)}


class _AnyOf(Lookup):
    """`lhs = ANY(ARRAY(subquery))`: PostgreSQL runs the subquery once, then probes the lhs's
    index for those values only, in the order a page asks for."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


def read_by_id(queryset, ids=None):
    """The rows of `queryset` whose ids `ids` (a subquery; by default the queryset's own) gives,
    read first through the indexes those ids come from, then probed by primary key: for a page
    that PostgreSQL should sort rather than find by walking an index past other users' rows."""
    return queryset.filter(_AnyOf(F("pk"), queryset.order_by().values("pk") if ids is None else ids))


def _read_by_id_when_few(queryset, user, *, ids, officer_ids=None):
    """The page of a user who sees a few MHAs or jamoats, read by id.

    Newest first, PostgreSQL walks the primary key backwards and skips the rows the user may not
    see, as long as its statistics promise that theirs come soon. They do not for an MHA with no
    entries yet, or whose entries are all old: the treasurer of such an MHA waited 16 s for the
    first page of a 5,000,000-entry ledger, and the officer of a programme of five such jamoats
    2 s. The page's `ids` (a subquery: in a list sorted by id, the page's own; else all the
    user's), read first through the scope's own indexes, are the only ones the page probes.

    Staff and treasurers are always read so. An officer (or the national coordinator) may see
    most rows, of which that read would sort millions: `officer_ids()` gives their page's ids,
    or None when they should walk (their page is among the next rows the walk passes, or too
    many of their rows are left). Without it (the registry's sorts) they walk as before.
    Administrators see every row, which the walk meets at once; SQLite databases are one centre's.
    """
    scope = scope_for(user)
    if (connections[queryset.db].vendor != "postgresql" or scope.is_admin
            or not isinstance(queryset, ScopedQuerySet)):
        return queryset
    if scope.is_officer or scope.is_coordinator:
        page_ids = officer_ids() if officer_ids is not None else None
        return queryset if page_ids is None else queryset.filter(pk__in_ids=page_ids)
    return read_by_id(queryset, ids)
