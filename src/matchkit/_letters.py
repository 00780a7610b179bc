"""Request letters in the giver's terms, and "ask earlier" advice, in English and Russian.

For each allocation of :func:`matchkit.match_inkind` a letter says what exactly (the
offer's own words for the item), how much (in the offer's unit), when (the date needed, the
giver's lead time and how far ahead the letter is), where, and for whom, addressed to the
role the offer names. Each kind of help (printing, transport, food, venue, equipment) has its
own wording. For each request that came too late for an offer, the advice gives the latest
day it could have been sent, so the organisation asks earlier next time.

Every name, item, unit, purpose, address and condition is put into a line of a letter (and
into the advice) on one line: a run of white space holding a line break, a tab or another
control character reads as one space, so a value pasted from a spreadsheet cannot split a
header or a sentence.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ._dataset import Dataset
from ._exceptions import InvalidInputError, check_choice
from ._inkind import (
    KIND_RU,
    LANGUAGES,
    Allocation,
    InkindOffer,
    InkindRequest,
    InkindResult,
    LateRequest,
    days_text,
)
from ._texts import one_line

__all__ = ["LANGUAGES", "Advice", "Letter", "ask_earlier", "draft_letters"]

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

_KIND_NAME = {
    "en": {
        "printing": "printing",
        "transport": "transport",
        "food": "food",
        "venue": "a venue",
        "equipment": "equipment",
        "other": "in-kind help",
    },
    "ru": KIND_RU,
}

# Per kind: the request sentence, the label of the date and the label of the place.
_TEMPLATES: dict[str, dict[str, tuple[str, str, str]]] = {
    "en": {
        "printing": (
            "Could you print {item} for us: {qty}?",
            "Needed ready by",
            "Deliver to",
        ),
        "transport": (
            "Could you provide {item}: {qty}?",
            "Date of the trip",
            "Pick-up point",
        ),
        "food": ("Could you provide {item}: {qty}?", "Needed on", "Deliver to"),
        "venue": ("Could you let us use {item}: {qty}?", "Date", "We need it near"),
        "equipment": ("Could you lend us {item}: {qty}?", "Needed by", "Deliver to"),
        "other": ("Could you provide {item}: {qty}?", "Needed by", "Place"),
    },
    "ru": {
        "printing": (
            "Просим напечатать для нас {item}: {qty}.",
            "Тираж нужен к",
            "Куда доставить",
        ),
        "transport": (
            "Просим предоставить транспорт — {item}: {qty}.",
            "Дата поездки",
            "Место посадки",
        ),
        "food": (
            "Просим обеспечить питание — {item}: {qty}.",
            "Нужно к",
            "Куда доставить",
        ),
        "venue": ("Просим предоставить помещение — {item}: {qty}.", "Дата", "Район"),
        "equipment": (
            "Просим предоставить во временное пользование {item}: {qty}.",
            "Нужно к",
            "Куда доставить",
        ),
        "other": ("Просим предоставить {item}: {qty}.", "Нужно к", "Место"),
    },
}


def format_date(day: date, lang: str) -> str:
    """A date as people write it: ``20 April 2027``, ``20 апреля 2027 г.``.

    Examples
    --------
    >>> from datetime import date
    >>> format_date(date(2027, 4, 20), "ru")
    '20 апреля 2027 г.'
    """
    if lang == "ru":
        return f"{day.day} {_MONTHS_RU[day.month - 1]} {day.year} г."
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def notice_text(n: int) -> str:
    """English "n days' notice" with the right possessive: ``1 day's``, ``3 days'``.

    Examples
    --------
    >>> notice_text(1), notice_text(30)
    ("1 day's notice", "30 days' notice")
    """
    return f"{n} day's notice" if n == 1 else f"{n} days' notice"


def ahead_text(days: int, lang: str) -> str:
    """How far ahead of the date needed a letter is written.

    Examples
    --------
    >>> [ahead_text(n, "en") for n in (0, 1, 14)]
    ['on the day it is needed', '1 day ahead', '14 days ahead']
    >>> [ahead_text(n, "ru") for n in (0, 1, 2, 5, 11, 21)]  # doctest: +NORMALIZE_WHITESPACE
    ['в тот же день, когда это нужно', 'за 1 день до срока', 'за 2 дня до срока',
     'за 5 дней до срока', 'за 11 дней до срока', 'за 21 день до срока']
    """
    if lang == "ru":
        if days == 0:
            return "в тот же день, когда это нужно"
        return f"за {days_text(days, 'ru')} до срока"
    if days == 0:
        return "on the day it is needed"
    return f"{days_text(days, 'en')} ahead"


@dataclass(frozen=True)
class Letter:
    """A request letter to one giver for one request (or part of it).

    Attributes
    ----------
    request_id, offer_id : str
    lang : {"en", "ru"}
    to : str
        The role the offer says to write to.
    subject, body : str

    Examples
    --------
    >>> import matchkit as mk
    >>> letter = mk.Letter("rq1", "of1", "en", "Head of the press office",
    ...                    "Request for printing", "Dear colleagues, ...")
    >>> letter.filename
    'rq1__of1.en.txt'
    >>> print(str(letter).splitlines()[0])
    To: Head of the press office
    """

    request_id: str
    offer_id: str
    lang: str
    to: str
    subject: str
    body: str

    @property
    def filename(self) -> str:
        """A safe file name, ``<request>__<offer>.<lang>.txt``, distinct for distinct ids.

        An id is written as it is when it holds only letters (of any script), digits,
        ``.``, ``-`` and single ``_`` inside, starts with a letter or digit, and is at most
        80 bytes long. Otherwise its other characters become ``_`` and the name ends with
        ``~`` and a short hash of the exact ids, so two pairs never share a name. Where the
        file system ignores case (Windows, macOS), name a batch with :meth:`filenames`.

        Examples
        --------
        >>> import matchkit as mk
        >>> mk.Letter("зп-1", "оф-1", "ru", "", "", "").filename
        'зп-1__оф-1.ru.txt'
        >>> mk.Letter("-1", "a b", "en", "", "", "").filename
        '1__a_b~7f9252d996.en.txt'
        """
        return _filename(self, 0)

    @staticmethod
    def filenames(letters: Sequence[Letter]) -> list[str]:
        """File names for a batch of letters, no two the same even when case is ignored.

        Each is the letter's :attr:`filename`, unless two of them differ only in case:
        those end with a short hash of their exact ids. (The same request, offer and
        language twice are numbered ``-2``, ``-3``, ...)

        Parameters
        ----------
        letters : sequence of Letter

        Returns
        -------
        list of str
            In the order of ``letters``.

        Examples
        --------
        >>> import matchkit as mk
        >>> batch = [mk.Letter(r, "of1", "en", "", "", "") for r in ("rq1", "RQ1", "rq2")]
        >>> mk.Letter.filenames(batch)
        ['rq1__of1~f0e6cde8a3.en.txt', 'RQ1__of1~8a819fd775.en.txt', 'rq2__of1.en.txt']
        """
        names = [letter.filename for letter in letters]
        for digits in (_HASH_DIGITS, 64):  # 64: all of it, should the short ones clash
            clash = Counter(n.casefold() for n in names)
            names = [
                n if clash[n.casefold()] == 1 else _filename(letter, digits)
                for n, letter in zip(names, letters)
            ]
        seen: Counter[str] = Counter()
        for i, letter in enumerate(letters):
            seen[names[i].casefold()] += 1
            if seen[names[i].casefold()] > 1:
                names[i] = _filename(letter, 64, copy=seen[names[i].casefold()])
        return names

    def __str__(self) -> str:
        head = (
            "Кому" if self.lang == "ru" else "To",
            "Тема" if self.lang == "ru" else "Subject",
        )
        return f"{head[0]}: {one_line(self.to)}\n{head[1]}: {one_line(self.subject)}\n\n{self.body}"


@dataclass(frozen=True)
class Advice:
    """Why a request was too late for an offer, and the latest day it could have been sent.

    Attributes
    ----------
    request_id, offer_id : str
    lang : {"en", "ru"}
    latest_send : datetime.date
        The last day the request could have been sent to meet the offer's lead time.
    text : str
        The advice, addressed to the requesting organisation.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import synthetic_city
    >>> city = synthetic_city(50, 10, seed=1)
    >>> res = mk.match_inkind(city.offers, city.requests, city.organisations, as_of="2026-09-01")
    >>> advice = mk.ask_earlier(res, city)[0]
    >>> advice.latest_send == res.late[0].latest_send, advice.text.startswith("Request ")
    (True, True)
    """

    request_id: str
    offer_id: str
    lang: str
    latest_send: date
    text: str


_ID_BYTES = 80  # the most of one id a file name holds
_HASH_DIGITS = 10


def _kept(ch: str) -> bool:
    """A letter, digit or mark of any script, or one of ``.``, ``-``, ``_``."""
    return ch in "-._" or unicodedata.category(ch)[0] in "LNM"


def _clean(text: str) -> str:
    """An id as part of a file name: other characters become ``_``; no ``__`` in it."""
    out = "".join(ch if _kept(ch) else "_" for ch in unicodedata.normalize("NFC", text))
    out = re.sub("_{2,}", "_", out).lstrip("-._").rstrip("_")
    out = out.encode()[:_ID_BYTES].decode(errors="ignore").rstrip("_")
    return out or "x"


def _filename(letter: Letter, digits: int, copy: int = 1) -> str:
    """``<request>__<offer>[~<hash>][-<copy>].<lang>.txt``; the hash when ``digits`` or an
    id is not written as it is."""
    req, off = _clean(letter.request_id), _clean(letter.offer_id)
    stem = f"{req}__{off}"
    if digits or req != letter.request_id or off != letter.offer_id:
        exact = json.dumps([letter.request_id, letter.offer_id]).encode()
        stem += "~" + hashlib.sha256(exact).hexdigest()[: digits or _HASH_DIGITS]
    if copy > 1:
        stem += f"-{copy}"
    return f"{stem}.{_clean(letter.lang)}.txt"


def _place(req: InkindRequest, lang: str) -> str:
    if req.address:
        return one_line(req.address)
    coords = f"{req.place.lat:.5f}, {req.place.lon:.5f}"
    return f"{coords} ({'широта, долгота' if lang == 'ru' else 'latitude, longitude'})"


def _end(text: str) -> str:
    """End a sentence with one full stop (a date such as ``2027 г.`` already has it)."""
    return text if text.endswith((".", "!", "?")) else text + "."


def _quoted(text: str, lang: str) -> str:
    return f"«{text}»" if lang == "ru" else f'"{text}"'


def _letter(
    ds: Dataset,
    alloc: Allocation,
    offer: InkindOffer,
    req: InkindRequest,
    as_of: date,
    lang: str,
    others: int = 0,
) -> Letter:
    """The letter for one allocation; ``others`` is how much other letters ask for the
    same request (the giver is told only what is true of the rest)."""
    giver = one_line(ds.organisation(offer.organisation_id).name)
    asker = one_line(ds.organisation(req.organisation_id).name)
    item, role, purpose = one_line(offer.item), one_line(offer.contact_role), one_line(req.purpose)
    kind = offer.kind.value
    sentence, when_label, where_label = _TEMPLATES[lang][kind]
    qty = f"{alloc.quantity} {one_line(offer.unit)}"
    ahead = (req.needed_by - as_of).days
    need_title = _need_title(ds, req)
    conditions = offer.conditions and one_line(offer.conditions)
    own_words = one_line(req.item) if req.item and _own_words(req, offer) else ""
    part = alloc.quantity < req.quantity
    if lang == "ru":
        to = f"{role}, {giver}"
        subject = (
            f"Просьба о помощи: {_KIND_NAME['ru'][kind]} — {qty} "
            f"к {format_date(req.needed_by, 'ru')}"
        )
        lines = [
            "Уважаемые коллеги!",
            "",
            (
                f"{asker} обращается к {giver} в рамках вашего предложения "
                f"{_quoted(item, 'ru')}."
            ),
            "",
            sentence.format(item=item, qty=qty),
        ]
        if part:
            lines.append(_rest_text(req, alloc.quantity, others, "ru"))
        whom = f"{purpose} — {asker}"
        if need_title:
            whom += f", мероприятие {_quoted(need_title, 'ru')}"
        notice = (
            f"Вы просите обращаться не позднее чем за {days_text(offer.lead_time_days, 'ru')}; м"
            if offer.lead_time_days
            else "М"
        )
        lines += [
            f"Для чего и для кого: {_end(whom)}",
            f"{when_label}: {format_date(req.needed_by, 'ru')}",
            f"{notice}ы пишем {format_date(as_of, 'ru')}, {ahead_text(ahead, 'ru')}.",
            f"{where_label}: {_place(req, 'ru')}",
        ]
        if conditions:
            lines.append(f"Ваши условия: {_end(conditions)} Мы их учтём.")
        if own_words:
            lines.append(f"Как это называем мы: {_end(own_words)}")
        lines += [
            "",
            "Если что-то не подходит, ответьте, пожалуйста: мы подстроимся под ваши условия и сроки.",
            "",
            "С уважением,",
            asker,
        ]
    else:
        to = f"{role}, {giver}"
        subject = (
            f"Request for {_KIND_NAME['en'][kind]}: {qty} by "
            f"{format_date(req.needed_by, 'en')}"
        )
        lines = [
            f"Dear {role},",
            "",
            f"{asker} is writing to {giver} about your offer {_quoted(item, 'en')}.",
            "",
            sentence.format(item=item, qty=qty),
        ]
        if part:
            lines.append(_rest_text(req, alloc.quantity, others, "en"))
        whom = f"{purpose}, for {asker}"
        if need_title:
            whom += f" ({_quoted(need_title, 'en')})"
        notice = (
            f"You ask for {notice_text(offer.lead_time_days)}; we"
            if offer.lead_time_days
            else "We"
        )
        lines += [
            f"What it is for: {_end(whom)}",
            f"{when_label}: {format_date(req.needed_by, 'en')}",
            f"{notice} are writing on {format_date(as_of, 'en')}, {ahead_text(ahead, 'en')}.",
            f"{where_label}: {_place(req, 'en')}",
        ]
        if conditions:
            lines.append(f"Your conditions: {_end(conditions)} We will keep to them.")
        if own_words:
            lines.append(f"In our words: {_end(own_words)}")
        lines += [
            "",
            "If anything here does not fit your terms or dates, please tell us and we will adapt.",
            "",
            "Kind regards,",
            asker,
        ]
    return Letter(req.id, offer.id, lang, to, subject, "\n".join(lines) + "\n")


def _need_title(ds: Dataset, req: InkindRequest) -> str | None:
    """The title of the need the request supports, on one line (``None``: none or unknown)."""
    if req.need_id is None:
        return None
    try:
        return one_line(ds.need(req.need_id).title)
    except KeyError:
        return None


def _own_words(req: InkindRequest, offer: InkindOffer) -> bool:
    """The request names the item in words of its own (not the offer's, said already)."""
    item = one_line(req.item or "").strip().rstrip(".").casefold()
    return bool(item) and item != one_line(offer.item).strip().rstrip(".").casefold()


def _rest_text(req: InkindRequest, quantity: int, others: int, lang: str) -> str:
    """What of the request is asked of others, when this letter asks for part of it."""
    total = f"{req.quantity} {one_line(req.unit)}"
    if lang == "ru":
        if others >= req.quantity - quantity:
            return f"Всего нам нужно {total}; остальное мы просим у других партнёров."
        if others:
            return f"Всего нам нужно {total}; {others} из них мы просим у других партнёров."
        return f"Всего нам нужно {total}; у вас мы просим столько, сколько может дать ваше предложение."
    if others >= req.quantity - quantity:
        return f"We need {total} in all and are asking other partners for the rest."
    if others:
        return f"We need {total} in all and are asking other partners for {others} of them."
    return f"We need {total} in all; we ask you for as much as your offer can give."


def _check(result: InkindResult, dataset: Dataset, lang: str, caller: str) -> None:
    check_choice("lang", lang, LANGUAGES, caller=caller)
    if not isinstance(result, InkindResult):
        raise InvalidInputError(
            f"{caller} needs the InkindResult of match_inkind; got "
            f"{type(result).__name__}"
        )
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(
            f"{caller} needs the Dataset the offers and requests came from; "
            f"got {type(dataset).__name__}"
        )


def _lookup(
    dataset: Dataset, request_id: str, offer_id: str
) -> tuple[InkindRequest, InkindOffer]:
    try:
        return dataset.request(request_id), dataset.offer(offer_id)
    except KeyError as err:
        raise InvalidInputError(
            f"{err.args[0]}: pass the dataset whose offers and requests were matched"
        ) from None


def draft_letters(
    result: InkindResult, dataset: Dataset, *, lang: str = "en"
) -> list[Letter]:
    """One request letter per allocation, in the giver's terms.

    Parameters
    ----------
    result : InkindResult
        From :func:`matchkit.match_inkind` on ``dataset.offers`` and ``dataset.requests``.
    dataset : Dataset
        Holds the offers, requests and organisations (and the needs requests refer to).
    lang : {"en", "ru"}

    Returns
    -------
    list of Letter
        In the order of ``result.allocations``.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "ph", "name": "City Print House", "kind": "business",
    ...                     "registered": True},
    ...                    {"id": "pf", "name": "Park Friends", "kind": "cso", "registered": True}],
    ...     offers=[{"id": "of1", "organisation_id": "ph", "kind": "printing",
    ...              "item": "A4 colour leaflets", "quantity": 2000, "unit": "sheets",
    ...              "lead_time_days": 14, "contact_role": "Head of the press office"}],
    ...     requests=[{"id": "rq1", "organisation_id": "pf", "kind": "printing", "quantity": 500,
    ...                "unit": "sheets", "needed_by": "2027-04-20", "address": "Gorky Park gate",
    ...                "place": {"lat": 55.73, "lon": 37.60}, "purpose": "a clean-up day"}])
    >>> res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    >>> letter = mk.draft_letters(res, ds, lang="ru")[0]
    >>> print(letter.subject)
    Просьба о помощи: печать — 500 sheets к 20 апреля 2027 г.
    >>> print(mk.draft_letters(res, ds)[0].body.splitlines()[4])
    Could you print A4 colour leaflets for us: 500 sheets?
    """
    _check(result, dataset, lang, "draft_letters")
    asked: Counter[str] = Counter()
    for a in result.allocations:
        asked[a.request_id] += a.quantity
    out = []
    for alloc in result.allocations:
        req, offer = _lookup(dataset, alloc.request_id, alloc.offer_id)
        others = asked[alloc.request_id] - alloc.quantity
        out.append(_letter(dataset, alloc, offer, req, result.as_of, lang, others))
    return out


def _windows_text(offer: InkindOffer, lang: str) -> str:
    if lang == "ru":
        spans = [
            f"с {format_date(w.start, 'ru')} по {format_date(w.end, 'ru')}"
            for w in offer.windows
        ]
        return " или ".join(spans)
    spans = [
        f"from {format_date(w.start, 'en')} to {format_date(w.end, 'en')}"
        for w in offer.windows
    ]
    return " or ".join(spans)


def _covered_text(req: InkindRequest, covered: int, lang: str) -> str:
    """What other offers cover this time (a late pair's offer never covers it)."""
    if not covered:
        return ""
    unit = one_line(req.unit)
    if lang == "ru":
        if covered >= req.quantity:
            return " В этот раз его полностью покрывают другие предложения."
        return (
            f" В этот раз другие предложения покрывают {covered} из {req.quantity} "
            f"{unit}."
        )
    if covered >= req.quantity:
        return " This time other offers cover it in full."
    return f" This time other offers cover {covered} of {req.quantity} {unit}."


def _advice(ds: Dataset, late: LateRequest, lang: str, covered: int) -> Advice:
    req, offer = _lookup(ds, late.request_id, late.offer_id)
    giver = one_line(ds.organisation(offer.organisation_id).name)
    item, request = one_line(offer.item), one_line(req.id)
    kind = offer.kind.value
    qty = f"{req.quantity} {one_line(req.unit)}"
    latest = format_date(late.latest_send, lang)
    if lang == "ru":
        rule = f"к ним нужно обращаться не позднее чем за {days_text(offer.lead_time_days, 'ru')}"
        if offer.windows:
            rule += f", а заявки принимают только {_windows_text(offer, 'ru')}"
        text = (
            f"Запрос {_quoted(request, 'ru')} ({_KIND_NAME['ru'][kind]}: {qty}, нужно к "
            f"{format_date(req.needed_by, 'ru')}) опоздал для предложения "
            f"{_quoted(item, 'ru')} ({giver}): {_end(rule)} Последний день, когда его можно было "
            f"отправить, — {latest}, а сейчас {format_date(late.as_of, 'ru')}, опоздание — "
            f"{days_text(late.days_late, 'ru')}. В следующий раз отправьте такой запрос не позже "
            f"{latest}, а лучше раньше."
        ) + _covered_text(req, covered, "ru")
    else:
        rule = f"it needs {notice_text(offer.lead_time_days)}"
        if offer.windows:
            rule += f" and takes requests only {_windows_text(offer, 'en')}"
        text = (
            f"Request {_quoted(request, 'en')} ({_KIND_NAME['en'][kind]}, {qty}, needed by "
            f"{format_date(req.needed_by, 'en')}) came too late for the offer "
            f"{_quoted(item, 'en')} of {giver}: {_end(rule)} The latest day to send it was "
            f"{latest}, {days_text(late.days_late, 'en')} before today ({format_date(late.as_of, 'en')}). "
            f"Next time, send such a request by {latest}, or earlier."
        ) + _covered_text(req, covered, "en")
    return Advice(req.id, offer.id, lang, late.latest_send, text)


def ask_earlier(
    result: InkindResult, dataset: Dataset, *, lang: str = "en"
) -> list[Advice]:
    """For each request too late for an offer: the latest day it could have been sent.

    Every late pair gets advice, also when other offers cover the request this time; the
    advice then says how much they cover.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "city", "name": "City Hall", "kind": "public_body",
    ...                     "registered": True},
    ...                    {"id": "pf", "name": "Park Friends", "kind": "cso", "registered": True}],
    ...     offers=[{"id": "bus", "organisation_id": "city", "kind": "transport",
    ...              "item": "a city bus with driver", "quantity": 1, "unit": "bus",
    ...              "lead_time_days": 30, "contact_role": "transport department"}],
    ...     requests=[{"id": "trip", "organisation_id": "pf", "kind": "transport", "quantity": 1,
    ...                "unit": "bus", "needed_by": "2027-05-20",
    ...                "place": {"lat": 55.73, "lon": 37.60}, "purpose": "a trip to the forest"}])
    >>> res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-05-01")
    >>> print(mk.ask_earlier(res, ds)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    Request "trip" (transport, 1 bus, needed by 20 May 2027) came too late for the offer
    "a city bus with driver" of City Hall: it needs 30 days' notice. The latest day to send it
    was 20 April 2027, 11 days before today (1 May 2027). Next time, send such a request by
    20 April 2027, or earlier.
    """
    _check(result, dataset, lang, "ask_earlier")
    covered: Counter[str] = Counter()
    for a in result.allocations:
        covered[a.request_id] += a.quantity
    return [
        _advice(dataset, late, lang, covered[late.request_id]) for late in result.late
    ]


# The package shows public names as ``matchkit.X``; doctest would then skip them here.
__test__ = {_n: globals()[_n] for _n in __all__ if callable(globals()[_n])}
__test__.update(format_date=format_date)
