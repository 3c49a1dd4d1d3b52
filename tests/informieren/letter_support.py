"""Helpers for the welcome-letter tests: what a browser would post from the batch preview."""

from __future__ import annotations

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

PREVIEW = "/grenchen/informieren/schreiben/vorschau"


class _FormReader(HTMLParser):
    """The fields a browser submits from the page's forms: hidden and text inputs, ticked boxes and radios."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("action", "").endswith(self.action)
        elif tag == "input" and self.inside and found.get("name"):
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in found:
                return
            self.fields.append((found["name"], found.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def posted_fields(html: str, action: str) -> MultiDict:
    """What the form whose action ends with ``action`` would post as it is shown."""
    reader = _FormReader(action)
    reader.feed(html)
    return MultiDict(reader.fields)


def preview_post(client, query: str = "", tenant: str = "grenchen") -> tuple[str, MultiDict]:
    """The preview for ``query`` and what its form posts unchanged: (page text, fields)."""
    page = client.get(f"/{tenant}/informieren/schreiben/vorschau{query}")
    assert page.status_code == 200, page.text
    return page.text, posted_fields(page.text, f"/{tenant}/informieren/schreiben")
