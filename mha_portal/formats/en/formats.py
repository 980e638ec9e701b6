# English as used in Tajikistan: day before month, as on every paper form at the centres.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1
# ISO first: Django renders form values with the first format, and <input type="date"> accepts ISO only.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d"]
