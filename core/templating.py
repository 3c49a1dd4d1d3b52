"""Template rules every page gets without each template repeating them.

Data tables scroll inside their own box on a narrow screen instead of widening the page: every
``<table>`` of an HTML template is wrapped, when the template is compiled, in a focusable region
(``<div class="table-scroll" role="region" tabindex="0">``, so a keyboard can scroll it) named after
the nearest heading before it in the same template (or "Tabelle" when there is none in reach).
A template that must not be wrapped says so with ``<table data-no-scroll>``.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from jinja2.ext import Extension

HEADING = re.compile(r"<(h[1-6])([^>]*)>(.*?)</\1>", re.DOTALL)
TABLE_OPEN = re.compile(r"<table(?=[\s>])(?![^>]*data-no-scroll)")
TABLE_CLOSE = re.compile(r"</table>")
HEADING_VARIABLE = "si_last_heading"
UNNAMED_TABLE = _l("Tabelle")
REGION = ('<div class="table-scroll" role="region" tabindex="0" aria-label="{{ %s|striptags '
          'if %s is defined and %s else si_unnamed_table }}">' % ((HEADING_VARIABLE,) * 3))


class ScrollingTables(Extension):
    """Wraps every table of an HTML template in a scrolling region named by the heading before it."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["si_unnamed_table"] = UNNAMED_TABLE

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if not (name or "").endswith(".html") or "<table" not in source:
            return source
        source = HEADING.sub(_remember_heading, source)
        source = TABLE_OPEN.sub(lambda match: REGION + match.group(0), source)
        return TABLE_CLOSE.sub("</table></div>", source)


def _remember_heading(match: re.Match) -> str:
    """The heading as it was, its rendered text kept in a variable for the tables after it."""
    tag, attributes, content = match.groups()
    return (f"<{tag}{attributes}>{{% set {HEADING_VARIABLE} %}}{content}{{% endset %}}"
            f"{{{{ {HEADING_VARIABLE} }}}}</{tag}>")
