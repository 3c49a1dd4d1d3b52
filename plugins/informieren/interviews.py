"""First-information interviews (Erstinformationsgespräch): invitation, outcome, topics, notes, hand-over.

An interview is a sensitive record (``models.Interview`` is ``Sensitive``): every read and
change of it is audited by core.  It starts as an invitation (a letter, or an appointment
with date, time, place and interpreter language) and ends with an outcome: held, no-show,
declined or cancelled.  A held interview records the topics covered from the tenant's
checklist (keys *and* labels, so that it keeps them when the checklist changes) and may
hand the newcomer's needs over to Fördern through the event ``informieren.needs_handed_over``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from babel import Locale
from flask import abort, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_babel import force_locale, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core import audit, clock, events, provisioning
from core.access import can, requires
from core.admin import MultiCheckboxField
from core.clock import ZURICH
from core.db import db
from core.errors import UserError
from core.people import TimelineEntry
from core.plugins import EventType
from plugins.informieren.blueprints import blueprint, person_or_404, refuse_if_anonymised
from plugins.informieren.models import Interview, Outcome, Person, refresh_stage

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

INVITATION_LABELS = {"letter": _l("Brief"), "appointment": _l("Termin")}
OUTCOME_LABELS = {
    Outcome.HELD: _l("Gespräch geführt"),
    Outcome.NO_SHOW: _l("Nicht erschienen"),
    Outcome.DECLINED: _l("Abgelehnt"),
    Outcome.CANCELLED: _l("Abgesagt"),
}
PAGE_SIZE = 100

NEEDS_HANDED_OVER = EventType(
    "informieren.needs_handed_over", _l("Bedürfnisse aus dem Erstinformationsgespräch übergeben"),
    fields=("person_id", "interview_id", "needs", "offers", "languages"),
    description=_l("Nach einem geführten Erstinformationsgespräch: die bemerkten Bedürfnisse und die "
                   "vorgeschlagenen Angebote (Texte), die Sprachen der Person."),
)


# -- the checklist ---------------------------------------------------------------------------


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


# -- languages of interpreters ------------------------------------------------------------------


def _locale() -> Locale:
    return get_locale() or Locale.parse("de_CH")


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().languages.get(code, code)


def language_choices() -> list[SelectChoice]:
    """ISO 639-1 languages by their name in the user's language."""
    names = {code: name for code, name in _locale().languages.items() if len(code) == 2 and code.isalpha()}
    ordered = sorted(names.items(), key=lambda item: item[1].casefold())
    return [SelectChoice("", str(_l("kein Dolmetschen"))), *(SelectChoice(code, name) for code, name in ordered)]


# -- forms ----------------------------------------------------------------------------------------


def _required(message):
    return InputRequired(message=message)


def german_field(field_class, message):
    """The field with our own German message for input it cannot take (WTForms has English ones)."""

    class Field(field_class):
        def process_formdata(self, valuelist):
            try:
                super().process_formdata(valuelist)
            except ValueError:
                self.data = None
                raise ValueError(str(message)) from None

        def pre_validate(self, form):
            try:
                super().pre_validate(form)
            except ValueError:
                raise ValidationError(str(message)) from None

    Field.__name__ = field_class.__name__
    return Field


DayField = german_field(DateField, _l("Bitte ein gültiges Datum eingeben."))
ClockField = german_field(TimeField, _l("Bitte eine gültige Uhrzeit eingeben (HH:MM)."))
ChoiceField = german_field(RadioField, _l("Bitte eine der angebotenen Möglichkeiten wählen."))
LanguageField = german_field(SelectField, _l("Unbekannte Sprache."))
TopicsField = german_field(MultiCheckboxField, _l("Unbekanntes Thema; bitte nur Themen der Liste wählen."))


class InvitationForm(FlaskForm):
    invitation = ChoiceField(
        _l("Einladung"),
        choices=[SelectChoice(key, label) for key, label in INVITATION_LABELS.items()],
        validators=[_required(_l("Bitte wählen Sie, ob per Brief oder mit einem Termin eingeladen wird."))],
    )
    invited_on = DayField(_l("Eingeladen am"),
                           validators=[_required(_l("Bitte geben Sie das Datum der Einladung an."))])
    appointment_date = DayField(_l("Datum des Termins"), validators=[Optional()])
    appointment_time = ClockField(_l("Uhrzeit"), validators=[Optional()])
    place = StringField(_l("Ort"), validators=[Optional(), Length(max=200, message=_l("Höchstens 200 Zeichen."))])
    interpreter_language = LanguageField(_l("Dolmetschen in"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.invited_on.data and self.invited_on.data > clock.today():
            self.invited_on.errors.append(_("Das Datum der Einladung darf nicht in der Zukunft liegen."))
            valid = False
        if self.invitation.data == "appointment":
            if not self.appointment_date.data and not self.appointment_date.errors:
                self.appointment_date.errors.append(_("Für einen Termin braucht es ein Datum."))
                valid = False
            if not self.appointment_time.data and not self.appointment_time.errors:
                self.appointment_time.errors.append(_("Für einen Termin braucht es eine Uhrzeit."))
                valid = False
            day, invited = self.appointment_date.data, self.invited_on.data
            if day and invited and day < invited:
                self.appointment_date.errors.append(_("Der Termin kann nicht vor der Einladung liegen."))
                valid = False
        return valid

    def appointment_at(self) -> datetime | None:
        """The appointment as UTC (entered in Swiss time)."""
        if self.invitation.data != "appointment":
            return None
        local = datetime.combine(self.appointment_date.data, self.appointment_time.data, tzinfo=ZURICH)
        return local.astimezone(UTC)


class OutcomeForm(FlaskForm):
    outcome = ChoiceField(
        _l("Ergebnis"),
        choices=[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()],
        validators=[_required(_l("Bitte wählen Sie das Ergebnis."))],
    )
    held_on = DayField(
        _l("Datum"), validators=[Optional()],
        description=_l("Beim geführten Gespräch nötig; sonst der Tag der Absage (leer: Termin bzw. heute)."),
    )
    topics = TopicsField(_l("Besprochene Themen"), validators=[Optional()])
    notes = TextAreaField(_l("Notizen"),
                          validators=[Optional(), Length(max=10000, message=_l("Höchstens 10000 Zeichen."))])
    needs = TextAreaField(_l("Bedürfnisse (eines pro Zeile)"),
                          validators=[Optional(), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))])
    offers = TextAreaField(_l("Vorgeschlagene Angebote (eines pro Zeile)"),
                           validators=[Optional(), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))])

    handover_open = False  # the view sets it: a module takes hand-overs and none was made yet

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        held = self.outcome.data == Outcome.HELD
        if held and not self.held_on.data and not self.held_on.errors:
            self.held_on.errors.append(_("Für ein geführtes Gespräch braucht es das Datum."))
            valid = False
        if self.held_on.data and self.held_on.data > clock.today():
            self.held_on.errors.append(_("Das Datum darf nicht in der Zukunft liegen."))
            valid = False
        if self.handover_open and not held and (lines(self.needs.data) or lines(self.offers.data)):
            self.needs.errors.append(_("Eine Übergabe an Fördern ist nur nach einem geführten Gespräch möglich."))
            valid = False
        return valid


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# -- queries ---------------------------------------------------------------------------------------


def _interview_or_404(interview_id: uuid.UUID) -> Interview:
    interview = db.session.get(Interview, (g.tenant.id, interview_id))
    if interview is None:
        abort(404)
    return interview


def interviews_of(person_id: uuid.UUID) -> list[Interview]:
    return db.session.scalars(
        sa.select(Interview).where(Interview.person_id == person_id).order_by(Interview.created_at)
    ).all()


def handover_available() -> bool:
    """Whether an active module (Fördern) takes hand-overs in the current tenant."""
    return bool(events.subscribers(g.tenant, NEEDS_HANDED_OVER.id))


# -- changes ----------------------------------------------------------------------------------------


def invite(person: Person, form: InvitationForm, interview: Interview | None = None) -> Interview:
    """Create (or change) an invitation from a validated form."""
    if interview is None:
        interview = Interview(id=uuid.uuid4(), person_id=person.id, created_by=audit.current_actor())
        db.session.add(interview)
    values = {
        "invitation": form.invitation.data,
        "invited_on": form.invited_on.data,
        "appointment_at": form.appointment_at(),
        "place": (form.place.data or "").strip() or None,
        "interpreter_language": form.interpreter_language.data or None,
    }
    _assign(interview, values)
    db.session.flush()
    refresh_stage(person)
    return interview


def record_outcome(person: Person, interview: Interview, form: OutcomeForm, recorded_topics: dict[str, str]) -> None:
    """Store a validated outcome; a held interview may hand over to Fördern (once)."""
    outcome = form.outcome.data
    held = outcome == Outcome.HELD
    day = form.held_on.data or _default_outcome_day(interview)
    selected = set(form.topics.data or [])
    topics = [{"key": key, "label": label} for key, label in recorded_topics.items() if key in selected] if held else []
    _assign(interview, {"outcome": outcome, "held_on": day, "topics": topics, "notes": form.notes.data or ""})
    db.session.flush()
    if held and form.handover_open:
        needs, offers = lines(form.needs.data), lines(form.offers.data)
        if needs or offers:
            hand_over(person, interview, needs, offers)
    refresh_stage(person)


def _default_outcome_day(interview: Interview) -> date:
    if interview.appointment_at is not None:
        day = interview.appointment_at.astimezone(ZURICH).date()
        return min(day, clock.today())
    return clock.today()


def hand_over(person: Person, interview: Interview, needs: list[str], offers: list[str]) -> list:
    results = events.emit(
        g.tenant, NEEDS_HANDED_OVER.id, person_id=str(person.id), interview_id=str(interview.id),
        needs=needs, offers=offers, languages=list(person.languages or ()),
    )
    interview.handed_over = {
        "needs": needs, "offers": offers, "on": clock.today().isoformat(), "by": audit.current_actor(),
        "recorded": [str(result) for result in results if result],
    }
    return results


def _assign(obj, values: dict) -> None:
    """Set only what differs, so a repeated submission changes (and audits) nothing."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


# -- pages ------------------------------------------------------------------------------------------


def person_url(person_id) -> str:
    """The person's page in the register."""
    return url_for("informieren.person", person_id=person_id)


def _page_context(person: Person) -> dict:
    return {
        "person": person, "person_url": person_url(person.id), "outcome_labels": OUTCOME_LABELS,
        "invitation_labels": INVITATION_LABELS, "language_name": language_name, "topic_label": topic_label,
        "may_edit": can("informieren.interviews.edit") and person.anonymised_on is None,
    }


@blueprint.get("/personen/<uuid:person_id>/gespraeche")
@requires("informieren.interviews.read")
def person_interviews(person_id):
    person = person_or_404(person_id)
    return render_template("informieren/interview_person.html", interviews=interviews_of(person.id),
                           **_page_context(person))


@blueprint.route("/personen/<uuid:person_id>/gespraeche/neu", methods=["GET", "POST"])
@requires("informieren.interviews.edit")
def interview_new(person_id):
    person = person_or_404(person_id)
    return _invitation_page(person, None)


@blueprint.route("/gespraeche/<uuid:interview_id>/einladung", methods=["GET", "POST"])
@requires("informieren.interviews.edit")
def interview_invitation(interview_id):
    interview = _interview_or_404(interview_id)
    return _invitation_page(person_or_404(interview.person_id), interview)


def _invitation_page(person: Person, interview: Interview | None):
    if refusal := refuse_if_anonymised(person):
        return refusal
    form = InvitationForm(obj=None if interview is None else _invitation_values(interview))
    form.interpreter_language.choices = language_choices()
    if request.method == "GET" and interview is None:
        form.invited_on.data = clock.today()
        form.invitation.data = "appointment"
    if form.validate_on_submit():
        invite(person, form, interview)
        db.session.commit()
        flash(_("Die Einladung ist gespeichert."))
        return redirect(url_for("informieren.person_interviews", person_id=person.id))
    return render_template("informieren/interview_invitation.html", form=form, interview=interview,
                           **_page_context(person))


class _Values:
    def __init__(self, **values):
        self.__dict__.update(values)


def _invitation_values(interview: Interview) -> _Values:
    local = interview.appointment_at.astimezone(ZURICH) if interview.appointment_at else None
    return _Values(
        invitation=interview.invitation, invited_on=interview.invited_on, place=interview.place,
        appointment_date=local.date() if local else None, appointment_time=local.time() if local else None,
        interpreter_language=interview.interpreter_language or "",
    )


@blueprint.route("/gespraeche/<uuid:interview_id>/ergebnis", methods=["GET", "POST"])
@requires("informieren.interviews.edit")
def interview_outcome(interview_id):
    interview = _interview_or_404(interview_id)
    person = person_or_404(interview.person_id)
    if refusal := refuse_if_anonymised(person):
        return refusal
    # The tenant's checklist, and the topics the interview recorded even if no longer on it.
    choices = dict(checklist(g.tenant))
    recorded = {item["key"]: item.get("label") for item in interview.topics or []}
    for key, label in recorded.items():
        choices.setdefault(key, topic_label(key, label))
    form = OutcomeForm(obj=_outcome_values(interview))
    form.topics.choices = [SelectChoice(key, label) for key, label in choices.items()]
    form.handover_open = handover_available() and interview.handed_over is None
    if form.validate_on_submit():
        labels = {key: recorded.get(key) or german_topic_label(key) for key in choices}
        record_outcome(person, interview, form, labels)
        db.session.commit()
        flash(_("Das Ergebnis ist gespeichert."))
        return redirect(url_for("informieren.person_interviews", person_id=person.id))
    return render_template("informieren/interview_outcome.html", form=form, interview=interview,
                           **_page_context(person))


def german_topic_label(key: str) -> str:
    """A topic's label as an interview stores it: shipped topics in German (translated when shown)."""
    with force_locale("de_CH"):
        return topic_label(key)


def _outcome_values(interview: Interview) -> _Values:
    handed = interview.handed_over or {}
    return _Values(
        outcome=interview.outcome, held_on=interview.held_on, topics=[t["key"] for t in interview.topics or []],
        notes=interview.notes, needs="\n".join(handed.get("needs", [])), offers="\n".join(handed.get("offers", [])),
    )


@blueprint.get("/gespraeche")
@requires("informieren.interviews.read")
def interviews():
    """Upcoming appointments, and invitations whose outcome is still to be recorded."""
    page = max(request.args.get("seite", 1, type=int), 1)
    start_of_today = clock.start_of(clock.today())
    open_ = Interview.outcome.is_(None)
    upcoming = sa.and_(open_, Interview.appointment_at >= start_of_today)
    pending = sa.and_(open_, sa.or_(Interview.appointment_at.is_(None), Interview.appointment_at < start_of_today))
    lists = {
        "upcoming": _interview_rows(upcoming, [Interview.appointment_at], page),
        "pending": _interview_rows(pending, [Interview.invited_on, Interview.appointment_at], page),
    }
    counts = {name: _count(condition) for name, condition in (("upcoming", upcoming), ("pending", pending))}
    return render_template(
        "informieren/interview_list.html", lists=lists, counts=counts, page=page, page_size=PAGE_SIZE,
        person_url=person_url, invitation_labels=INVITATION_LABELS, language_name=language_name,
        may_edit=can("informieren.interviews.edit"),
    )


def _interview_rows(condition, order, page: int):
    return db.session.execute(
        sa.select(Interview, Person.first_name, Person.official_name)
        .join(Person, sa.and_(Person.tenant_id == Interview.tenant_id, Person.id == Interview.person_id))
        .where(condition).order_by(*order, Person.official_name)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()


def _count(condition) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Interview).where(condition))


# -- the settings page's checklist actions ----------------------------------------------------------------


@blueprint.post("/einstellungen/themen")
@requires("informieren.settings.manage")
def settings_topics():
    action, key = request.form.get("action", ""), request.form.get("key", "")
    try:
        if action == "add":
            add_topic(g.tenant, request.form.get("label", ""))
        elif action == "remove":
            remove_topic(g.tenant, key)
        elif action in ("up", "down"):
            move_topic(g.tenant, key, -1 if action == "up" else 1)
        else:
            raise UserError(_("Unbekannte Aktion."))
    except UserError as error:
        db.session.rollback()
        flash(str(error))
        return redirect(url_for("informieren.settings", label=request.form.get("label", "")[:MAX_TOPIC_LABEL]))
    db.session.commit()
    flash(_("Die Themenliste ist gespeichert."))
    return redirect(url_for("informieren.settings"))


# -- timeline -----------------------------------------------------------------------------------------------


def timeline(person_id) -> list:
    """The person's invitations and outcomes, without notes (for the person page of every module)."""
    url = None
    if has_request_context() and can("informieren.interviews.read"):
        url = url_for("informieren.person_interviews", person_id=person_id)
    entries = []
    for interview in interviews_of(person_id):
        detail = str(INVITATION_LABELS.get(interview.invitation, interview.invitation))
        if interview.appointment_at is not None:
            detail = _("Termin %(when)s", when=format_datetime(interview.appointment_at, "short"))
        entries.append(TimelineEntry.on(interview.invited_on, "informieren",
                                        _l("Zum Erstinformationsgespräch eingeladen"), detail, url))
        if interview.outcome:
            day = interview.held_on or interview.invited_on
            title = OUTCOME_LABELS.get(interview.outcome, interview.outcome)
            entries.append(TimelineEntry.on(day, "informieren", _l("Erstinformationsgespräch: %(outcome)s",
                                                                   outcome=title), "", url, order=1))
    return entries
