from datetime import date

import pytest
from django import forms
from django.utils import translation
from django.utils.formats import date_format


def test_english_dates_read_day_first_as_at_the_centres():
    with translation.override("en"):
        assert date_format(date(2026, 3, 7), "SHORT_DATE_FORMAT") == "07.03.2026"
        field = forms.DateField()
        assert field.clean("07.03.2026") == date(2026, 3, 7)
        assert field.clean("2026-03-07") == date(2026, 3, 7)


@pytest.mark.parametrize("language", ["en", "ru", "tg"])
def test_date_fields_render_iso_so_browser_date_inputs_keep_their_value(language):
    with translation.override(language):
        widget = forms.DateInput(attrs={"type": "date"})
        assert 'value="2026-03-07"' in widget.render("day", date(2026, 3, 7))
        assert forms.DateField().clean("07.03.2026") == date(2026, 3, 7)
        assert date_format(date(2026, 3, 7), "SHORT_DATE_FORMAT") == "07.03.2026"
