"""A module with two submission kinds, for the submissions tests (tests/test_submissions.py)."""

from __future__ import annotations

import types

from core import submissions
from core.access import Role
from core.db import current_scope
from core.hookspecs import hookimpl
from core.plugins import Manifest, Permission, SubmissionKind

plugin = types.ModuleType("test_claims")
plugin.manifest = Manifest(
    id="test_claims", title="Test claims", version="1.0",
    permissions=(Permission("test_claims.review", "Review test cases", (Role.CANTON_ADMIN,), canton_only=True),),
    submission_kinds=(
        SubmissionKind("test_claims.claim", "TC", "Testabrechnung"),
        # Reviewed by the canton's administrators only (not by its integration office).
        SubmissionKind("test_claims.case", "TK", "Testfall", review_permission="test_claims.review"),
    ),
)
plugin.calls = []  # (tenant slug, number, action, to_state, scope's tenant id) of each submission_changed
plugin.fail_on = None  # an action on which the hook raises
plugin.decisions = []  # what each submission_changed read of the caller's decision (core.submissions.decision)


@hookimpl
def submission_changed(tenant, submission, event):
    plugin.calls.append((tenant.slug, submission.number, event.action, event.to_state, current_scope().tenant_id))
    plugin.decisions.append(submissions.decision())
    if event.action == plugin.fail_on:
        raise RuntimeError(f"the module refuses {event.action}")


plugin.submission_changed = submission_changed
