"""One sample row per tenant-owned model, for the isolation test that walks them all.

A new tenant-owned model without a sample here fails ``test_isolation.py``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from core import stored_files
from core.access import Membership, RoleGrant
from core.api import ApiToken
from core.attachments import Attachment, AttachmentContent
from core.audit import AuditEvent
from core.auth import User
from core.clock import utcnow
from core.console.courses.models import Course, CourseRegistration
from core.console.feedback.models import FeedbackRequest, FeedbackRound
from core.db import current_scope, db
from core.jobs import JobFile, JobRecord
from core.modules import ModuleActivation
from core.people import Person
from core.provisioning import Invitation, TenantSetting
from core.reports import ReportSchedule
from core.stored_files import StoredChunk, StoredFile
from core.submissions import Submission, SubmissionCounter, SubmissionEvent, SubmissionVersion
from core.tenancy import TenantMunicipality
from plugins.foerdern.models import HiddenOffer, Offer, OfferRecipient, OwnKind, PublishedOffer
from plugins.foerdern.needs_models import Need, Referral, ReferralStep
from plugins.fordern.escalation_models import CaseOutcome, LegalBasis, Review, ReviewDeadline
from plugins.fordern.interview_models import Interview as FordernInterview
from plugins.fordern.measure_models import Measure
from plugins.fordern.models import Case, CaseEvent
from plugins.informieren.imports.runs import Upload
from plugins.informieren.models import (
    ImportItem,
    ImportRun,
    Interview,
    LetterTemplate,
    Newcomer,
    PersonChange,
    ReceivedMessage,
    WelcomeLetter,
)
from plugins.subventionen.models import (
    Claim,
    ClaimLine,
    Cost,
    Credit,
    LedgerEntry,
    PaymentItem,
    PaymentRun,
    Rule,
    RuleSet,
)


def _user() -> int:
    user = User(issuer="https://idp.example", subject=f"sample-{utcnow().timestamp()}", name="Sample")
    db.session.add(user)
    db.session.flush()
    return user.id


def _job() -> JobRecord:
    record = JobRecord(kind="report", params={}, params_hash="0" * 64, requested_by="test")
    db.session.add(record)
    db.session.flush()
    return record


def _person() -> Newcomer:
    person = Newcomer(official_name="Muster", first_name="Ana", arrival_date=date(2017, 3, 1), municipality_bfs=2601,
                    nationalities=["PT"], languages=["pt"])
    db.session.add(person)
    db.session.flush()
    return person


def _import() -> ImportRun:
    run = ImportRun(source="ech0020", requested_by="test")
    db.session.add(run)
    db.session.flush()
    return run
def _attachment() -> Attachment:
    attachment = _sample_attachment()
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _sample_attachment() -> Attachment:
    return Attachment(owner_type="informieren.person", owner_id=str(uuid.uuid4()), filename="pass.pdf",
                      content_type="application/pdf", size=1, sha256="0" * 64, storage="database",
                      uploaded_by="test")


def _submission() -> Submission:
    now = utcnow()
    submission = Submission(kind="sample.kind", number=f"SA-2017-{uuid.uuid4().hex[:8]}", object_id=str(uuid.uuid4()),
                            title="Sample", state="submitted", version=1, submitted_at=now, submitted_by="test",
                            changed_at=now)
    db.session.add(submission)
    db.session.flush()
    return submission


def _stored(content: bytes = b"x") -> StoredFile:
    return stored_files.write_bytes(content)


def _course() -> Course:
    course = Course(title="Einführung", place="Solothurn", starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=3),
                    capacity=10, created_by="test")
    db.session.add(course)
    db.session.flush()
    return course


def _own_kind() -> OwnKind:
    kind = OwnKind(id=uuid.uuid4(), name={"de": "Nähtreff"})
    db.session.add(kind)
    db.session.flush()
    return kind


def _offer() -> Offer:
    offer = Offer(id=uuid.uuid4(), title={"de": "Deutschkurs"}, kind="other", updated_by="test")
    db.session.add(offer)
    db.session.flush()
    return offer


def _need() -> Need:
    need = Need(person_id=_person().id, category="language", level="A1", state="open", state_on=date(2017, 3, 2),
                state_by="test", created_by="test")
    db.session.add(need)
    db.session.flush()
    return need


def _referral() -> Referral:
    referral = Referral(person_id=_person().id, offer_tenant_id=current_scope().tenant_id, offer_id=uuid.uuid4(),
                        offer_title={"de": "Deutschkurs"}, offer_kind="language_course", state="proposed",
                        state_on=date(2017, 3, 2), steps=1, created_by="test")
    db.session.add(referral)
    db.session.flush()
    return referral


def _review() -> Review:
    review = Review(submission_id=uuid.uuid4(), number="FO-2017-0001", commune_tenant_id=current_scope().tenant_id)
    db.session.add(review)
    db.session.flush()
    return review


def _added(row):
    db.session.add(row)
    db.session.flush()
    return row


def _rule_set() -> RuleSet:
    year = 2017 + db.session.query(RuleSet).count()
    return _added(RuleSet(year=year, version=1, created_by="test"))


def _claim() -> Claim:
    return _added(Claim(year=2017, rule_version=1, created_by="test"))


def _payment_run() -> PaymentRun:
    return _added(PaymentRun(year=2017, message_id="RUN-2017-1", execution_date=date(2018, 4, 3), created_by="test"))


def _case() -> Case:
    return _added(Case(person_id=_person().id, reason="Sample", owner="user:1", state="opened",
                       state_on=date(2017, 3, 2), opened_on=date(2017, 3, 2), steps=1, created_by="test"))


SAMPLES = {
    JobRecord: lambda: JobRecord(kind="report", params={}, params_hash="0" * 64, requested_by="test"),
    JobFile: lambda: JobFile(job_id=_job().id, filename="x.txt", mimetype="text/plain", size=1,
                             file_id=_stored().id, expires_at=utcnow()),
    StoredFile: lambda: StoredFile(size=0, sha256=""),
    StoredChunk: lambda: StoredChunk(file_id=_stored(b"").id, start=0, data=b"x"),
    ReportSchedule: lambda: ReportSchedule(frequency="monthly", format="pdf", created_by="test"),
    ApiToken: lambda: ApiToken(name="sample", secret_hash="0" * 64, scopes=["core:read"], created_by="test",
                               expires_at=utcnow()),
    Membership: lambda: Membership(user_id=_user(), role="read_only", granted_by="test"),
    RoleGrant: lambda: RoleGrant(role="read_only", permission="core.audit.read", granted=True),
    AuditEvent: lambda: AuditEvent(actor="test", action="test.sample", detail={}),
    ModuleActivation: lambda: ModuleActivation(module_id="sample", state="entitled", changed_by="test"),
    TenantMunicipality: lambda: TenantMunicipality(bfs_number=2601, valid_from=date(2030, 1, 1)),
    TenantSetting: lambda: TenantSetting(key="sample.key", value={"a": 1}),
    Person: lambda: Person(official_name="Muster", first_name="Ana", municipality_bfs=2601),
    Newcomer: lambda: Newcomer(official_name="Muster", first_name="Ana", arrival_date=date(2017, 3, 1),
                           municipality_bfs=2601),
    PersonChange: lambda: PersonChange(person_id=_person().id, actor="test", kind="created", source="manual"),
    ImportRun: lambda: ImportRun(source="ech0020", requested_by="test"),
    ImportItem: lambda: ImportItem(import_id=_import().id, outcome="rejected", reason="sample"),
    ReceivedMessage: lambda: ReceivedMessage(sha256="0" * 64, message_id="sample"),
    Upload: lambda: Upload(batch_id=uuid.uuid4(), position=0, filename="m.xml", size=1, file_id=_stored().id,
                           uploaded_by="test"),
    LetterTemplate: lambda: LetterTemplate(language="de", subject="Willkommen", body="Guten Tag"),
    WelcomeLetter: lambda: WelcomeLetter(person_id=_person().id, household_key="h", language="de", state="generated"),
    Interview: lambda: Interview(person_id=_person().id, invitation="letter", invited_on=date(2017, 3, 2),
                                 created_by="test"),
    Invitation: lambda: Invitation(email="sample@example.ch", role="tenant_admin", created_by="test",
                                   expires_at=utcnow()),
    Course: lambda: Course(title="Einführung", place="Solothurn", starts_at=utcnow(),
                           ends_at=utcnow() + timedelta(hours=3), capacity=10, created_by="test"),
    CourseRegistration: lambda: CourseRegistration(course_id=_course().id, user_id=_user(), status="waiting",
                                                   registrant_tenant_id=current_scope().tenant_id),
    FeedbackRound: lambda: FeedbackRound(year=2017, deadline=date(2018, 3, 31), created_by="test"),
    FeedbackRequest: lambda: FeedbackRequest(year=2017, deadline=date(2018, 3, 31)),
    Attachment: _sample_attachment,
    AttachmentContent: lambda: AttachmentContent(attachment_id=_attachment().id, content=b"%PDF-"),
    Submission: lambda: Submission(kind="sample.kind", number=f"SA-2017-{uuid.uuid4().hex[:8]}", object_id="o1",
                                   title="Sample", state="accepted", version=1, submitted_at=utcnow(),
                                   submitted_by="test", changed_at=utcnow()),
    SubmissionVersion: lambda: SubmissionVersion(submission_id=_submission().id, version=1, title="Sample",
                                                 payload={"Person": "Ana Muster"}, attachments=[],
                                                 created_at=utcnow(), created_by="test"),
    SubmissionEvent: lambda: SubmissionEvent(submission_id=_submission().id, seq=1, occurred_at=utcnow(), actor="test",
                                             by_canton=False, action="submit", to_state="submitted", version=1),
    SubmissionCounter: lambda: SubmissionCounter(prefix="SA", year=2017, last_number=1),
    OwnKind: _own_kind,
    Offer: lambda: Offer(title={"de": "Deutschkurs"}, kind="own", own_kind_id=_own_kind().id, updated_by="test"),
    # Published to nobody else: what other tenants may read of it is tests/foerdern/test_reach.py's.
    PublishedOffer: lambda: PublishedOffer(offer_id=_offer().id, reach="own", kind="other",
                                           document={"title": {"de": "Deutschkurs"}}),
    OfferRecipient: lambda: OfferRecipient(offer_id=_offer().id, recipient_tenant_id=current_scope().tenant_id),
    HiddenOffer: lambda: HiddenOffer(publisher_tenant_id=current_scope().tenant_id, offer_id=uuid.uuid4(),
                                     hidden_by="test"),
    Need: _need,
    Referral: lambda: Referral(person_id=_person().id, need_id=_need().id, offer_tenant_id=current_scope().tenant_id,
                               offer_id=uuid.uuid4(), offer_title={"de": "Deutschkurs"}, offer_kind="language_course",
                               state="proposed", state_on=date(2017, 3, 2), steps=0, created_by="test"),
    ReferralStep: lambda: ReferralStep(referral_id=_referral().id, seq=1, state="proposed", taken_on=date(2017, 3, 2),
                                       by="test"),
    Case: _case,
    CaseEvent: lambda: CaseEvent(case_id=_case().id, seq=1, to_state="opened", on=date(2017, 3, 2), by="test"),
    FordernInterview: lambda: FordernInterview(case_id=_case().id, starts_at=utcnow(), place="Gemeindehaus",
                                               letter_language="de", invited_on=date(2017, 3, 2), created_by="test",
                                               updated_by="test"),
    Measure: lambda: Measure(case_id=_case().id, kind="language_course", level="A2", goal="Deutsch A2",
                             deadline=date(2017, 9, 30), created_by="test"),
    LegalBasis: lambda: LegalBasis(short="AIG", title="Ausländer- und Integrationsgesetz", reference="SR 142.20",
                                   valid_from=date(2019, 1, 1), updated_by="test"),
    Review: _review,
    ReviewDeadline: lambda: ReviewDeadline(review_id=_review().id, seq=1, label="Deutschkurs A2",
                                           due_on=date(2018, 6, 30)),
    CaseOutcome: lambda: CaseOutcome(case_id=_case().id, number="FO-2017-0001", decision="returned",
                                     decided_on=date(2017, 3, 3), reason="Sample"),
    Credit: lambda: Credit(year=2017, amount=90_000_000, claims_from=date(2017, 1, 1), claims_until=date(2017, 12, 31),
                           deadline=date(2018, 3, 31), set_by="test"),
    RuleSet: _rule_set,
    Rule: lambda: (lambda rule_set: Rule(year=rule_set.year, version=1, seq=1, kind="flat_tenant",
                                         amount=500_000))(_rule_set()),
    Claim: _claim,
    ClaimLine: lambda: ClaimLine(claim_id=_claim().id, seq=1, bfs_number=2546, rule_seq=1, kind="flat_tenant",
                                 amount=500_000),
    Cost: lambda: Cost(claim_id=_claim().id, description="Dolmetscher", amount=12_000, spent_on=date(2017, 5, 2),
                       created_by="test"),
    LedgerEntry: lambda: LedgerEntry(year=2017, claimant_tenant_id=current_scope().tenant_id,
                                     claim_number="SUB-2017-0001", kind="commitment", amount=500_000,
                                     booked_on=date(2018, 4, 1), booked_by="test"),
    PaymentRun: _payment_run,
    PaymentItem: lambda: PaymentItem(run_id=_payment_run().id, claim_number="SUB-2017-0001",
                                     claimant_tenant_id=current_scope().tenant_id, amount=500_000,
                                     iban="CH9300762011623852957"),
}
