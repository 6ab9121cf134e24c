"""The page server's log: one line for a malformed request, not the HTTP library's traceback.

A request that breaks the HTTP protocol (say a chunked POST whose chunk size is not a
number) is refused by uvicorn with 400, and the server goes on; but when the page's app had
already started answering, uvicorn also logs "Exception in ASGI application" with the whole
traceback of h11's `LocalProtocolError` (forty lines of the venv's files, for a bad client).
`install()` adds a filter to uvicorn's error logger (and websockets') that keeps such records
to one line: the message and the error's kind and text. Errors of the page itself keep their
traceback. `sim.viz.app` calls `install()` when the server imports it.

It also silences Solara's warning that its session cookie falls back from SameSite=None to
Lax on plain http: fifteen lines with a path on the first visit, about embedding the page in
another site's iframe over https, which this page is not; Lax is the right cookie here.
"""

from __future__ import annotations

import logging
import warnings

PROTOCOL_PACKAGES = frozenset({"h11", "httptools", "websockets", "wsproto"})
LOGGERS = ("uvicorn.error", "websockets.server")
CHAIN_LIMIT = 8  # how far to follow an error's cause and context
COOKIE_WARNING = "Cookies with samesite=none require https"  # the start of Solara's message


def protocol_error(exception: BaseException | None) -> BaseException | None:
    """The HTTP or websocket library's error behind `exception` (itself, its cause or its
    context), if there is one."""
    seen = 0
    while exception is not None and seen < CHAIN_LIMIT:
        if type(exception).__module__.split(".")[0] in PROTOCOL_PACKAGES:
            return exception
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return None


class OneLineProtocolErrors(logging.Filter):
    """Turns a record carrying a protocol library's traceback into one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and (found := protocol_error(record.exc_info[1])) is not None:
            text = " ".join(str(found).split()) or "no detail"
            record.msg = (f"{record.getMessage()}: {type(found).__name__}: {text} "
                          "(a malformed request or connection; refused, the server carries on)")
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


def install() -> None:
    """Add the filter to the server's loggers, once, and silence the cookie warning."""
    warnings.filterwarnings("ignore", message=COOKIE_WARNING, category=UserWarning)
    for name in LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(existing, OneLineProtocolErrors) for existing in target.filters):
            target.addFilter(OneLineProtocolErrors())
