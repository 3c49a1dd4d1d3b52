"""One sample row per tenant-owned model, for the isolation test that walks them all.

A new tenant-owned model without a sample here fails ``test_isolation.py``.
"""

from __future__ import annotations

from datetime import date

from core.audit import AuditEvent
from core.modules import ModuleActivation
from core.provisioning import TenantSetting
from core.tenancy import TenantMunicipality

SAMPLES = {
    AuditEvent: lambda: AuditEvent(actor="test", action="test.sample", detail={}),
    ModuleActivation: lambda: ModuleActivation(module_id="sample", state="entitled", changed_by="test"),
    TenantMunicipality: lambda: TenantMunicipality(bfs_number=2601, valid_from=date(2030, 1, 1)),
    TenantSetting: lambda: TenantSetting(key="sample.key", value={"a": 1}),
}
