"""What catrust prints about a failure: one line, short, no control characters, the type named where it helps."""

from __future__ import annotations

import pytest

from catrust._text import exception_text


@pytest.mark.parametrize(
    "exc, named, text",
    [
        (ValueError("bad  base64\n  padding"), False, "bad base64 padding"),
        (ValueError("bad"), True, "bad"),  # a ValueError's message says what was wrong with the bytes
        (KeyError(99), True, "KeyError: 99"),
        (KeyError(99), False, "99"),
        (TypeError(""), False, "TypeError"),
        (ValueError("line\x1b[2Jcleared"), False, "line\\x1b[2Jcleared"),
        (ValueError("x" * 120), False, "x" * 120),
        (ValueError("x" * 121), False, "x" * 117 + "..."),
        (IndexError("y" * 200), True, "IndexError: " + "y" * 105 + "..."),
    ],
)
def test_exception_text(exc: Exception, named: bool, text: str) -> None:
    assert exception_text(exc, named=named) == text
