"""The first-information interview's checklist of topics: shipped ones (translated) and a tenant's own."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import provisioning
from core.errors import UserError

# The shipped checklist (keys; labels are translated in the code); a tenant edits its own copy.
DEFAULT_TOPICS = ("living", "offers", "rights_duties", "language", "work", "school_childcare", "health", "housing")
TOPICS_SETTING = "informieren.interview_topics"
TOPIC_LABELS = {
    "living": _l("Leben in der Schweiz"),
    "offers": _l("Integrationsangebote"),
    "rights_duties": _l("Rechte und Pflichten"),
    "language": _l("Sprache lernen"),
    "work": _l("Arbeit"),
    "school_childcare": _l("Schule und Kinderbetreuung"),
    "health": _l("Gesundheit"),
    "housing": _l("Wohnen"),
}
MAX_TOPIC_LABEL = 100


def topic_label(key: str, recorded: str | None = None) -> str:
    """A topic's label in the user's language: shipped topics are translated, custom ones are free text."""
    if key in TOPIC_LABELS:
        return str(TOPIC_LABELS[key])
    return recorded or key


def checklist(tenant) -> list[tuple[str, str]]:
    """The tenant's topics as (key, label); a custom topic's key is its label."""
    return [(key, topic_label(key)) for key in provisioning.get_setting(tenant, TOPICS_SETTING)]


def add_topic(tenant, label: str) -> str:
    """Put a topic on the checklist: a removed shipped topic (by key or label) or a custom label."""
    label = " ".join((label or "").split())
    if not label:
        raise UserError(_("Bitte geben Sie die Bezeichnung des Themas ein."))
    if len(label) > MAX_TOPIC_LABEL:
        raise UserError(_("Die Bezeichnung darf höchstens %(max)s Zeichen lang sein.", max=MAX_TOPIC_LABEL))
    keys = list(provisioning.get_setting(tenant, TOPICS_SETTING))
    # A shipped topic comes back by its key or its label; anything else is a custom topic.
    shipped = {str(TOPIC_LABELS[k]).casefold(): k for k in DEFAULT_TOPICS}
    key = label if label in DEFAULT_TOPICS else shipped.get(label.casefold(), label)
    if key in keys or label.casefold() in (topic_label(k).casefold() for k in keys):
        raise UserError(_("Das Thema «%(label)s» steht schon auf der Liste.", label=label))
    provisioning.set_setting(tenant, TOPICS_SETTING, [*keys, key])
    return key


def remove_topic(tenant, key: str) -> None:
    keys = list(provisioning.get_setting(tenant, TOPICS_SETTING))
    if key not in keys:
        raise UserError(_("Dieses Thema steht nicht auf der Liste."))
    provisioning.set_setting(tenant, TOPICS_SETTING, [k for k in keys if k != key])


def move_topic(tenant, key: str, step: int) -> None:
    keys = list(provisioning.get_setting(tenant, TOPICS_SETTING))
    if key not in keys:
        raise UserError(_("Dieses Thema steht nicht auf der Liste."))
    index = keys.index(key)
    target = min(max(index + step, 0), len(keys) - 1)
    keys.insert(target, keys.pop(index))
    provisioning.set_setting(tenant, TOPICS_SETTING, keys)


def german_topic_label(key: str) -> str:
    """A topic's label as an interview stores it: shipped topics in German (translated when shown)."""
    with force_locale("de_CH"):
        return topic_label(key)
