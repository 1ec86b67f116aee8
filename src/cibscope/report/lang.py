"""The ``lang`` of a text from the data, for the HTML element that shows it.

Why per text: the page is in English, the data is not. A browser picks fonts by language: Han
characters are shared by Chinese (simplified and traditional), Japanese and Korean but drawn
differently in each, and a Chinese name inside an element that says ``lang="en"`` may be set in
the wrong CJK font (or, on a machine whose fonts are matched by language, in none). So every
text that came from the accounts gets its own ``lang``: the language the source gives when it
fits the text's script, else the script's language, else ``""`` (unknown: not English).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["text_lang", "language_tag"]

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
# language names some sources give instead of codes (the Clemson IRA data: "English", "Russian")
_NAMES = {
    "english": "en", "russian": "ru", "chinese": "zh", "german": "de", "french": "fr", "spanish": "es",
    "arabic": "ar", "ukrainian": "uk", "italian": "it", "japanese": "ja", "korean": "ko", "persian": "fa",
    "farsi": "fa", "portuguese": "pt", "turkish": "tr", "dutch": "nl", "polish": "pl",
}
_UNKNOWN = {"und", "undefined", "unknown", "zxx", "qme", "qht", "qam", "qct", "qst"}


def language_tag(value: Any) -> str:
    """A source's language value as a BCP 47 tag (``zh-cn`` -> ``zh-CN``, ``English`` -> ``en``),
    or ``""`` when it is none."""
    if value is None:
        return ""
    s = str(value).strip()
    if s.lower() in _NAMES:
        return _NAMES[s.lower()]
    if not _TAG.match(s) or s.lower() in _UNKNOWN:
        return ""
    parts = s.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for p in parts[1:]:
        out.append(p.upper() if len(p) == 2 else (p.title() if len(p) == 4 else p.lower()))
    return "-".join(out)


def _script_lang(text: str) -> str:
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        return "zh"
    if _ARABIC.search(text):
        return "ar"
    if _CYRILLIC.search(text):
        return "ru"
    return ""


def text_lang(text: Any, hint: Any = None, *, hint_is_the_texts: bool = False) -> str:
    """The ``lang`` for ``text``: ``hint`` (the source's language) when it fits the text's
    script, else the script's language (CJK: ja if kana, ko if hangul, zh if Han only), else
    ``hint`` when it is the text's own language (a post's language, ``hint_is_the_texts``),
    else ``""``. An account's interface language is a hint for its name's script variant only
    (zh-TW vs zh-CN), not for a name in Latin letters."""
    if text is None or text == "":
        return ""
    t = str(text)
    tag = language_tag(hint)
    script = _script_lang(t)
    if script:
        if tag and tag.split("-")[0] == script:
            return tag
        return script
    return tag if hint_is_the_texts else ""
