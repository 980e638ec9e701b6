# Only the input formats differ from Django's: ISO first, because Django renders form values
# with the first format and <input type="date"> accepts ISO only. Typed dates still parse
# day-first. Display formats come from Django's own locale.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
                          "%Y-%m-%d"]
