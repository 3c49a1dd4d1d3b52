"""Demonstration cases for ``flask demo load`` (``make run``): one case at each typical point of the way.

In a commune's tenant where a member may edit cases (Greta Gerber in Grenchen), that officer owns six cases
about the tenant's demo newcomers who arrived years ago (Informieren's history), each taken through the
module's own functions, so that the history, the audit log and the worklist are what an officer's work
leaves: a case just opened; one with the interview's invitation sent; one with measures agreed, one of them
past its deadline (the worklist shows it); one closed as improved; one escalated and concluded by the canton
as an integration agreement (pre-check, legal basis, the PDF: its outcome shows on the case); and one of an
EU national handed to the canton and waiting for its review, which can only end in a recommendation.

The canton's side is played here too, by its reviewer (Sabine Studer), in the canton's scope, as soon as the
commune has submitted: the canton's own demo hook runs before some communes' (tenants load by slug). Dates
are relative to today. Each case's id derives from the tenant and a fixed key, so loading twice adds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from core import audit, clock, modules
from core.clock import ZURICH
from core.db import db
from core.people import Person
from core.tenancy import Tenant, canton_tenant, tenant_scope
from plugins.fordern import cases, escalation, interviews, legal, measures, review, states
from plugins.fordern.escalation_models import AGREEMENT
from plugins.fordern.models import Case
from plugins.fordern.pages import EDIT, members_with


def demo_id(tenant: Tenant, key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"start.integration/demo/{tenant.slug}/fordern/{key}")


def ago(days: int) -> date:
    return clock.today() - timedelta(days=days)


def at(day: date, hour: int) -> datetime:
    """``hour`` o'clock in Switzerland on ``day``, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=ZURICH).astimezone(UTC)


class Story:
    """What one demo case needs while it is told: the tenant, its person, the officer."""

    def __init__(self, tenant: Tenant, person: Person, owner: str, owner_name: str):
        self.tenant, self.person, self.owner, self.owner_name = tenant, person, owner, owner_name

    def open(self, key: str, reason: str, days_ago: int) -> Case:
        case = cases.open_case(self.person, reason, self.owner, ago(days_ago),
                               case_id=demo_id(self.tenant, f"case/{key}"))
        db.session.flush()  # the case's row before its parts' (their keys reference it)
        return case

    def interview(self, case: Case, invited: int, held: int | None, interpreter: str | None = None,
                  letter: str = "de", minutes: tuple[str, str] = ("", "")):
        """Invite to the interview ``invited`` days ago for a day ``held`` days ago (negative: ahead) and, where it
        lies in the past, record its minutes."""
        interview = interviews.schedule(case, at(ago(held), 10), "Stadthaus, Büro 204", interpreter, letter,
                                        ago(invited))
        if held > 0:
            interviews.record_minutes(case, interview, ago(held), *minutes)
        return interview

    def measures(self, case: Case, agreed: int, *drafted: tuple) -> list:
        """Draft the measures (kind, level, goal, deadline in days from today, an offer?) and agree them; returns
        them in the order given."""
        added = [measures.add(case, kind, level, goal, clock.today() + timedelta(days=due_in), offer)
                 for kind, level, goal, due_in, offer in drafted]
        measures.agree(case, ago(agreed))
        return added

    def escalate(self, case: Case, permit: str, language: str, reason: str, days_ago: int):
        facts = escalation.Facts(self.person.nationalities[0], permit, False, language)
        return escalation.escalate(self.tenant, case, self.person, facts, reason, ago(days_ago),
                                   measures.summary(case))


def language_offer(tenant: Tenant) -> tuple[str, str] | None:
    """A language course of Fördern's, where it offers one today (``offer_choices``)."""
    return next(((key, label) for key, label in measures.offer_choices(tenant, clock.today())
                 if "Deutsch" in label), None)


# -- the six cases -----------------------------------------------------------------------------------------


def just_opened(story: Story) -> Case:
    return story.open("opened", "Deutschkurs A1 nach drei Wochen abgebrochen; reagiert nicht auf Nachfragen.", 3)


def invited(story: Story) -> Case:
    case = story.open("invited", "Kinder mehrfach ohne Entschuldigung nicht im Unterricht; Elterngespräche "
                                 "nicht wahrgenommen.", 21)
    story.interview(case, invited=14, held=-7, interpreter="hi", letter="en")
    return case


def measures_agreed(story: Story) -> Case:
    case = story.open("measures", "Seit drei Jahren kaum Deutschkenntnisse; Stellensuche ohne Erfolg.", 150)
    story.interview(case, invited=140, held=126, minutes=(
        "Sprache, Arbeit, Kinderbetreuung", "Möchte Deutsch lernen, findet aber keine Betreuung für die Kinder."))
    story.measures(case, 120,
                   ("language_course", "A2", "Deutschkurs A2 besuchen und abschliessen.", -10,
                    language_offer(story.tenant)),
                   ("work", None, "Beim RAV angemeldet; monatlich zwei Bewerbungen.", 60, None))
    return case


def closed_improved(story: Story) -> Case:
    case = story.open("improved", "Sprachkurs nicht besucht; fehlende Kenntnisse der Rechte und Pflichten.", 400)
    story.interview(case, invited=390, held=380, interpreter="so", minutes=(
        "Sprache, Rechte und Pflichten", "Wusste nicht, dass der Kurs verbilligt wird; möchte teilnehmen."))
    course, counselling = story.measures(
        case, 375, ("language_course", "A1", "Deutschkurs A1 abschliessen.", -220, None),
        ("counselling", None, "Zwei Termine in der Integrationsberatung wahrnehmen.", -250, None))
    measures.follow_up(counselling, "met", ago(255), "Beide Termine wahrgenommen.")
    measures.follow_up(course, "met", ago(225), "Kursbestätigung A1 liegt vor.")
    cases.move(case, states.UNDER_REVIEW, ago(215))
    cases.move(case, states.CLOSED, ago(210), "Ziele erreicht; die Person besucht den Folgekurs A2.",
               states.IMPROVED)
    return case


def concluded_as_agreement(story: Story) -> Case:
    case = story.open("agreement", "Deutschkurse zweimal abgebrochen; Termine beim Sozialdienst nicht "
                                   "wahrgenommen.", 330)
    story.interview(case, invited=320, held=305, interpreter="ta", minutes=(
        "Sprache, Arbeit", "Sieht keinen Nutzen im Kurs; arbeitet unregelmässig im Stundenlohn."))
    course, work = story.measures(
        case, 300, ("language_course", "A2", "Deutschkurs A2 besuchen, mindestens 80 % Anwesenheit.", -190, None),
        ("work", None, "Beratung bei der Stellenvermittlung wahrnehmen.", -200, None))
    measures.follow_up(work, "partly_met", ago(195), "Ein Termin von dreien wahrgenommen.")
    measures.follow_up(course, "not_met", ago(185), "Nach vier Wochen abgebrochen.")
    cases.move(case, states.UNDER_REVIEW, ago(180))
    submission = story.escalate(case, "B", "en", "Nach den vereinbarten Massnahmen keine Verbesserung; die "
                                                 "Gemeinde beantragt eine Integrationsvereinbarung.", 60)
    _canton_concludes(story, submission.number)
    return case


def eu_national_waiting(story: Story) -> Case:
    case = story.open("eu-national", "Deutschkurs nicht begonnen; Kinder in der Schule ohne Unterstützung.", 280)
    story.interview(case, invited=270, held=260, minutes=(
        "Sprache, Schule", "Arbeitet Schicht; ein Kurs am Abend wäre möglich."))
    [course] = story.measures(case, 255, ("language_course", "A1", "Abendkurs Deutsch A1 besuchen.", -120, None))
    measures.follow_up(course, "not_met", ago(110), "Nicht angemeldet.")
    cases.move(case, states.UNDER_REVIEW, ago(100))
    story.escalate(case, "B", "es", "Keine Mitwirkung an den Massnahmen; die Gemeinde bittet den Kanton um "
                                    "eine Integrationsempfehlung.", 7)
    return case


# (key, the person's nationality, how the case goes): one person each, found by nationality among the
# tenant's named persons (Informieren's demo history has these nationalities; its recent newcomers do not).
CASES: list[tuple[str, str, Callable[[Story], Case]]] = [
    ("opened", "AF", just_opened),
    ("invited", "IN", invited),
    ("measures", "MK", measures_agreed),
    ("improved", "SO", closed_improved),
    ("agreement", "LK", concluded_as_agreement),
    ("eu-national", "ES", eu_national_waiting),
]


# -- the canton's side ---------------------------------------------------------------------------------------


def _canton_concludes(story: Story, number: str) -> None:
    """The canton's reviewer pre-checks the submission, drafts the agreement and concludes it, in its scope."""
    canton = canton_tenant()
    decision_day = ago(30)
    with tenant_scope(canton):
        reviewers = members_with(canton, escalation.REVIEW)
        actor, name = next(iter(reviewers.items()), (audit.current_actor(), "Fachstelle Integration"))
        with audit.acting_as(actor):
            found = review.submission(number)
            [basis] = legal.valid_on(decision_day)
            review.record_precheck(found, review.PreCheckInput(
                nationality=story.person.nationalities[0], permit="B", refugee=False, decision_day=decision_day,
                basis_id=basis.id, commune_agrees=True, commune_note="Gemeinderat einverstanden.",
                reasons="Drittstaatsangehörige Person mit Bewilligung B; die Massnahmen der Gemeinde blieben ohne "
                        "Erfolg; die Gemeinde stimmt zu."))
            review.save_draft(found, review.Draft(
                kind=AGREEMENT, goals="Deutsch auf Niveau A2 (mündlich) erreichen; eine Stelle suchen.",
                measures="Deutschkurs A2, zweimal wöchentlich; monatlich ein Termin bei der Stellenvermittlung.",
                consequences="Wird die Vereinbarung ohne wichtigen Grund nicht eingehalten, kann dies beim Entscheid "
                             "über die Verlängerung der Aufenthaltsbewilligung berücksichtigt werden.",
                deadlines=[("Anmeldung zum Deutschkurs A2", clock.today() + timedelta(days=10)),
                           ("Sprachnachweis A2 (mündlich)", clock.today() + timedelta(days=270))],
                place="Solothurn", commune_signatory=f"{story.owner_name}, Integrationsbeauftragte/r",
                canton_signatory=f"{name}, Fachstelle Integration", aid_language="en", aid_text="",
                reason="Voraussetzungen erfüllt; die Gemeinde stimmt zu."))
            review.conclude(found, "Voraussetzungen erfüllt; die Gemeinde stimmt zu.")


# -- loading ---------------------------------------------------------------------------------------------------


def load(tenant: Tenant) -> list[str]:
    """Tell the cases not told yet in a commune's tenant; returns what was added."""
    officers = members_with(tenant, EDIT)
    if tenant.is_canton or not officers or "fordern" not in modules.active_modules(canton_tenant()):
        return []
    owner, owner_name = next(iter(officers.items()))
    candidates = db.session.scalars(sa.select(Person).where(Person.anonymised_on.is_(None))
                                    .order_by(Person.official_name, Person.first_name, Person.id)).all()
    taken = set(db.session.scalars(sa.select(Case.person_id)))
    told = 0
    with audit.acting_as(owner):
        for key, nationality, tell in CASES:
            if db.session.get(Case, (tenant.id, demo_id(tenant, f"case/{key}"))) is not None:
                continue
            person = next((p for p in candidates if nationality in (p.nationalities or ()) and p.id not in taken),
                          None)
            if person is None:
                continue
            taken.add(person.id)
            tell(Story(tenant, person, owner, owner_name))
            told += 1
    return [f"+ {told} Fordern-Fälle (Demo)"] if told else []
