"""Text as a spreadsheet may paste it, for the tests of one-line texts."""

from __future__ import annotations


def pasted(text: str | None) -> str | None:
    """``text`` as a spreadsheet may give it: its spaces turned into line breaks and tabs."""
    if text is None:
        return None
    seps = ["\n", "\r\n", "\t", " \n\t "]
    words = text.split(" ")
    return words[0] + "".join(seps[k % 4] + w for k, w in enumerate(words[1:])) + "\r\n"
