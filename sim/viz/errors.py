"""What a session shows when something inside it fails: a short message, never a traceback.

Solara shows a Python traceback in the page when a component fails to render, with the
server's file paths in it. Each part of the page is wrapped in `Guarded`, which catches what
its children raise (reacton's error boundary, `solara.use_exception`), shows one line naming
the part and the kind of error, and offers to try again; the traceback goes to the server's
log (reacton logs it), where it belongs. The rest of the page, and every other session, goes on.
"""

from __future__ import annotations

import logging

import solara

logger = logging.getLogger("sim.viz")


def short_error(what: str, exception: BaseException) -> str:
    """One line for the page: the part that failed and the kind of error, with nothing of the
    error's text (which may hold a path or a value of the server's)."""
    return f"{what} could not be shown ({type(exception).__name__}). The server's log has the details."


def log_failure(what: str, exception: BaseException | None, with_traceback: bool = True) -> None:
    """What failed, to the server's log (not the page), with the traceback unless it is there already."""
    if exception is not None:
        logger.error("%s failed in a browser session: %s: %s", what, type(exception).__name__, exception,
                     exc_info=exception if with_traceback else None)


@solara.component
def Guarded(what: str, children=[]):  # noqa: B006 (solara's convention for a container's children)
    """Render `children`; if they raise, show `short_error` and a button to try again."""
    exception, clear = solara.use_exception()

    # reacton has logged the component's traceback already
    solara.use_effect(lambda: log_failure(what, exception, with_traceback=False), [exception])
    if exception is not None:
        with solara.Column(classes=["alliance-error"]):
            solara.Error(short_error(what, exception))
            solara.Button("Try again", on_click=clear, text=True)
    elif len(children) == 1:
        return children[0]
    else:
        solara.Column(children=children)
