"""Page lists without counting the whole table: `CappedPaginator` counts at most a few pages
beyond the one asked for, so a list of 400,000 households costs what a list of 500 does.

Past the cap the count is a floor: `paginator.capped` is True and pages say "more than N"
(templates/pagination.html). The page asked for is always inside the count, and its "next"
link leads on: each page counts a little further than itself.
"""

from math import ceil

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Pages counted beyond the page asked for.
LOOKAHEAD_PAGES = 10


class CappedPaginator(Paginator):
    capped = False

    def __init__(self, *args, wanted_page=1, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            self.wanted_page = max(int(wanted_page), 1)
        except (TypeError, ValueError):
            self.wanted_page = 1

    @cached_property
    def count(self) -> int:
        """Exact up to the cap; past it, the rows counted (the cap and one: the next page exists)."""
        if isinstance(self.object_list, (list, tuple)):
            return len(self.object_list)  # already in memory: nothing to save
        limit = self.per_page * (self.wanted_page + LOOKAHEAD_PAGES)
        # COUNT(*) over a LIMIT subquery: it stops at the cap however long the list. Unordered:
        # any `limit + 1` rows count the same, and sorting every match first (a search's
        # thousands) cost more than the count.
        rows = self.object_list if self.object_list.query.is_sliced else self.object_list.order_by()
        counted = rows[:limit + 1].count()
        self.capped = counted > limit
        return counted

    @property
    def shown_count(self) -> int:
        """What a page may say: the count, or past the cap the number there are more than."""
        return self.count - 1 if self.capped else self.count

    @property
    def shown_pages(self) -> int:
        return ceil(self.shown_count / self.per_page) if self.capped else self.num_pages


def capped_page(queryset, per_page: int, number):
    """The page asked for (the last counted one when it is past the list), counting a little."""
    return CappedPaginator(queryset, per_page, wanted_page=number).get_page(number)
