"""Files people save by hand (scenarios, policies) as text, or a line saying where they are not."""

from __future__ import annotations


class NotUtf8(ValueError):
    """Bytes that are not UTF-8 text; ``line`` is where the first bad byte is (from 1)."""

    def __init__(self, line: int):
        super().__init__(f"is not UTF-8 text at line {line}")
        self.line = line


def utf8_text(data: bytes, *, byte_order_mark: bool = False) -> str:
    """``data`` as text (a leading byte-order mark dropped when allowed), or NotUtf8 with
    the line of the first bad byte: a spreadsheet saved as GBK or UTF-16 is found there."""
    try:
        return data.decode("utf-8-sig" if byte_order_mark else "utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8(data.count(b"\n", 0, error.start) + 1) from None
