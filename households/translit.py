"""Latin ↔ Cyrillic matching for names: "Rahimov", "Rakhimov", "Раҳимов" and "Рахимов" all
fold to the same key, so staff find a person whichever keyboard they type on."""

import re

CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "ӣ": "i", "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ӯ": "u", "ф": "f", "х": "kh",
    "ҳ": "h", "ч": "ch", "ҷ": "j", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "yu", "я": "ya",
}

# Spelling variants that Latin transliterations of Tajik and Russian names disagree on.
# Applied after transliteration to stored names and to what the user types alike.
_FOLDS = [("shch", "sh"), ("dzh", "j"), ("dj", "j"), ("kh", "h"), ("gh", "g"), ("q", "k"),
          ("ye", "e"), ("w", "v"), ("x", "h"), ("ts", "s"), ("c", "s"), ("'", ""), ("`", "")]
_NOT_WORD = re.compile(r"[^\w]+")


def transliterate(text: str) -> str:
    """Lower-case Latin spelling of a (Tajik or Russian) Cyrillic text; Latin stays as it is."""
    return "".join(CYRILLIC_TO_LATIN.get(char, char) for char in text.lower())


def fold(text: str) -> str:
    """The matching key: transliterated, variants folded, punctuation turned into spaces.

    Applied to both sides, so "ch" must survive: it is folded only where it came from "c".
    """
    key = transliterate(text)
    for old, new in _FOLDS:
        if old == "c":
            key = re.sub(r"c(?!h)", "s", key)
        else:
            key = key.replace(old, new)
    return _NOT_WORD.sub(" ", key).strip()


def digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())
