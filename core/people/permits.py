"""The permit categories of foreign nationals (Ausländerausweise), as eCH-0020 and the modules use them.

Shared vocabulary of core's persons: Informieren records a newcomer's category, Fordern's legal
pre-check asks for it. ``other`` stands for a category the list does not know.
"""

from flask_babel import lazy_gettext as _l

PERMITS = {
    "B": _l("B (Aufenthaltsbewilligung)"),
    "C": _l("C (Niederlassungsbewilligung)"),
    "L": _l("L (Kurzaufenthaltsbewilligung)"),
    "F": _l("F (vorläufig Aufgenommene)"),
    "N": _l("N (Asylsuchende)"),
    "G": _l("G (Grenzgängerbewilligung)"),
    "S": _l("S (Schutzbedürftige)"),
    "Ci": _l("Ci (Angehörige von Mitarbeitenden internationaler Organisationen)"),
    "other": _l("andere"),
}
