"""Plugin machinery: manifests, discovery through entry points, validation, per-tenant hooks."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy
from flask import Blueprint

from core import hookspecs

ENTRY_POINT_GROUP = "start_integration.plugins"
# Core's own plugins, as Datasette lists its default plugins: ordinary plugins with a manifest each,
# always on, loaded before the installed ones (create_app(plugins=...) replaces only those).
DEFAULT_PLUGINS = (
    "core.builtin",  # the platform: tenant home, members, settings, audit, tokens, people, reports, jobs
    "core.console.provisioning",  # the canton's tenants, communes and module plan; a tenant's own modules
    "core.console.rollout",  # the rollout dashboard
    "core.console.courses",  # introductory courses
    "core.console.feedback",  # the communes' yearly feedback
)
ROLE_ID_LENGTH = 40  # memberships.role, role_grants.role, invitations.role
SETTING_KEY_LENGTH = 100  # tenant_settings.key


class PluginError(RuntimeError):
    """The installed plugins do not fit together; the application refuses to start."""


@dataclass(frozen=True)
class Permission:
    id: str
    label: Any  # a lazy translatable string
    roles: tuple[str, ...] = ()  # the roles that hold it unless a tenant decides otherwise
    canton_only: bool = False  # exists only in the canton's tenant; elsewhere its pages answer 404
    commune_only: bool = False  # exists only in communes' and regional groups' tenants; in the canton's, 404


class SettingType:
    """The kinds of value a setting holds; each gets its own field on the settings page."""

    TEXT = "text"  # one line
    MULTILINE = "multiline"
    INTEGER = "integer"  # bounded by ``min`` and ``max``
    BOOLEAN = "boolean"
    CHOICE = "choice"  # one of ``choices``
    LIST = "list"  # of text lines
    MAPPING = "mapping"  # a JSON object of text to text (a provider's groups to roles)
    JSON = "json"  # any JSON object or array
    URL = "url"  # http(s), or empty

    ALL = ("text", "multiline", "integer", "boolean", "choice", "list", "mapping", "json", "url")


def _type_of(default: Any) -> str:
    """The type a setting declared without one gets from its default (declarations before types existed)."""
    if isinstance(default, bool):
        return SettingType.BOOLEAN
    if isinstance(default, int):
        return SettingType.INTEGER
    if isinstance(default, list | tuple):
        return SettingType.LIST
    if isinstance(default, dict):
        return SettingType.MAPPING
    return SettingType.TEXT


@dataclass(frozen=True)
class Setting:
    """A per-tenant setting a module declares, with its default, type and checks.

    ``validate(value, tenant)`` may return a (translated) message saying what is wrong
    with an otherwise well-typed value, or None.  A ``secret`` is never shown, listed
    or audited in clear.  ``managed_elsewhere`` names the endpoint of the module's own
    page for a setting that needs more than a plain field (the settings page links there).
    """

    key: str
    default: Any
    label: Any = ""
    type: str = ""  # a SettingType; empty: derived from the default
    choices: tuple = ()  # for CHOICE: values, or (value, label) pairs
    validate: Callable[[Any, Any], str | None] | None = None
    secret: bool = False
    help: Any = ""
    min: int | None = None
    max: int | None = None
    managed_elsewhere: str | None = None

    def __post_init__(self):
        if not self.type:
            object.__setattr__(self, "type", _type_of(self.default))
        if isinstance(self.default, tuple):
            object.__setattr__(self, "default", list(self.default))

    @property
    def choice_items(self) -> list[tuple[Any, Any]]:
        """The choices as (value, label) pairs."""
        return [c if isinstance(c, tuple) else (c, c) for c in self.choices]


@dataclass(frozen=True)
class RoleDeclaration:
    """A role a module adds to the six fixed ones (``core.access.Role``).

    Its id is namespaced by the module's id (``fordern.canton_reviewer``). The module's
    permissions name it in ``Permission.roles``; ``permissions`` are further permissions
    (core's, or a required module's) it holds by default: every role sees the tenant's start page.
    """

    id: str
    label: Any
    canton_only: bool = False  # offered only in the canton's tenant
    commune_only: bool = False  # offered only in communes' and regional groups' tenants
    permissions: tuple[str, ...] = ("core.tenant.view",)


@dataclass(frozen=True)
class EventType:
    """An event a module emits (``core.events.emit``): ``id`` is ``<module id>.<name>``.

    ``fields`` are the payload's keys: the whole contract with the modules that subscribe.
    """

    id: str
    label: Any  # a lazy translatable text
    fields: tuple[str, ...] = ()
    description: Any = ""


@dataclass(frozen=True)
class Figure:
    """A number a module declares: a key figure of its reports, or an activity the subsidies count.

    ``key`` is ``<module id>.<name>``: stable across releases and languages, what files and
    other modules use; ``label`` is what people read.
    """

    key: str
    label: Any  # a lazy translatable text
    # Counts of people that could be recognised: beyond the tenant (the canton report) a count from 1
    # to suppress_below - 1 is shown as "<suppress_below>", never as its number.
    suppress_below: int = 0


@dataclass(frozen=True)
class MenuEntry:
    label: Any
    endpoint: str
    permission: str | None = None  # shown only to users holding it
    position: int | None = None  # where it stands in the menu (default: its module's position)
    # A lazy label: entries of one group (by its German text) fold into one drop-down, at the first one's place.
    group: Any = None


@dataclass(frozen=True)
class HomePanel:
    """A section of a tenant's start page (``home_panels`` hook): a heading and a template showing ``values``."""

    title: Any  # a translated text
    template: str
    values: dict = field(default_factory=dict)  # the template's variables
    position: int = 100  # where it stands among the panels


@dataclass(frozen=True)
class UpgradeStep:
    """Brings one tenant's data of a module to ``to_version`` (Plone-style)."""

    to_version: str
    run: Callable[[Any], None]
    title: str = ""


@dataclass(frozen=True)
class SubmissionKind:
    """A kind of object a commune hands to the canton (see :mod:`core.submissions`).

    ``id`` starts with the declaring module's id (``fordern.case``); ``prefix`` (2-4 capital
    letters, unique across plugins) starts the numbers of its series (``FO-2027-0042``).
    ``review_permission`` (canton-only) lets the canton's staff see and decide this kind;
    ``submit_permission`` lets a commune's staff withdraw one on the submissions page.
    """

    id: str
    prefix: str
    label: Any  # a lazy translatable string
    review_permission: str = "core.submissions.review"
    submit_permission: str = "core.submissions.submit"


PREFIX_PATTERN = re.compile(r"^[A-Z]{2,4}$")


@dataclass(frozen=True)
class Manifest:
    """Everything core needs to know about a module, declared in one place."""

    id: str
    title: Any
    version: str
    description: Any = ""
    requires: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()
    settings: tuple[Setting, ...] = ()
    roles: tuple[RoleDeclaration, ...] = ()  # roles beyond the fixed six, namespaced by the module's id
    blueprint: Blueprint | None = None
    url_prefix: str | None = None  # below /<tenant> (and /api/v1/<tenant>); defaults to /<id>; "" for none
    public_blueprint: Blueprint | None = None  # pages without login (core.public.public_page)
    public_url_prefix: str | None = None  # the public pages' prefix below /<tenant>; defaults to url_prefix
    api_blueprint: Blueprint | None = None  # JSON endpoints, declared with core.api.api_endpoint
    api_scopes: tuple[str, ...] = ()  # the scopes API tokens may carry for this module
    menu: tuple[MenuEntry, ...] = ()
    alembic_branch: str | None = None
    migrations: Path | None = None  # the folder of the branch's revisions
    translations: Path | None = None
    upgrade_steps: tuple[UpgradeStep, ...] = ()
    submission_kinds: tuple[SubmissionKind, ...] = ()  # what the module hands to the canton
    always_on: bool = False  # core features: active in every tenant, never activated
    position: int = 100  # where the module stands in menus and tables
    events: tuple[EventType, ...] = ()  # the events it emits (core.events.emit)
    figures: tuple[Figure, ...] = ()  # the key figures its report_figures hook gives
    activity_keys: tuple[Figure, ...] = ()  # what its activity_counts hook counts per commune
    subscribes: tuple[str, ...] = ()  # the ids of events it takes, through its ``handle_event`` hook
    # False while the module is a skeleton still being built (no pages beyond its start page): it can be
    # entitled and activated, but menus, start pages and reports do not show it as an active module.
    ready: bool = True

    def steps_after(self, installed_version: str | None) -> list[UpgradeStep]:
        start = parse_version(installed_version or "0")
        return sorted(
            (s for s in self.upgrade_steps if parse_version(s.to_version) > start),
            key=lambda s: parse_version(s.to_version),
        )


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


class PluginRegistry:
    """The loaded plugins, their manifests and their hooks."""

    def __init__(self, plugins: Iterable[object]):
        self.pm = pluggy.PluginManager("start_integration")
        self.pm.add_hookspecs(hookspecs)
        self.manifests: dict[str, Manifest] = {}
        self._subset_cache: dict[frozenset[str], TenantHooks] = {}
        self._exact_cache: dict[frozenset[str], TenantHooks] = {}
        self.event_types: dict[str, EventType] = {}
        self.figures: dict[str, Figure] = {}  # report figures and activity keys of every plugin, by key
        self.subscriptions: dict[str, list[str]] = {}  # event id -> ids of the plugins taking it
        for plugin in plugins:
            self._register(plugin)
        self._validate()

    def _register(self, plugin: object) -> None:
        manifest = getattr(plugin, "manifest", None)
        if not isinstance(manifest, Manifest):
            raise PluginError(f"plugin {plugin!r} has no manifest (core.plugins.Manifest)")
        if manifest.id in self.manifests:
            raise PluginError(f"two plugins have the id {manifest.id!r}")
        self.manifests[manifest.id] = manifest
        try:
            self.pm.register(plugin, name=manifest.id)
        except pluggy.PluginValidationError as error:
            raise PluginError(f"plugin {manifest.id!r}: {error}") from None

    def _validate(self) -> None:
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            raise PluginError(f"unknown hook: {error}") from None
        for manifest in self.manifests.values():
            missing = [req for req in manifest.requires if req not in self.manifests]
            if missing:
                raise PluginError(f"plugin {manifest.id!r} requires {', '.join(missing)}, which is not installed")
        self.roles = self._check_roles()
        self._check_permissions()
        self._check_settings()
        self._validate_submission_kinds()
        self.dependency_order()  # raises on a cycle
        self._collect_events()
        self._collect_figures()

    def _check_roles(self) -> dict[str, RoleDeclaration]:
        roles: dict[str, RoleDeclaration] = {}
        for manifest in self.manifests.values():
            for role in manifest.roles:
                name = role.id.removeprefix(f"{manifest.id}.")
                if name == role.id or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                    raise PluginError(f"role {role.id!r} of plugin {manifest.id!r} must be named "
                                      f"'{manifest.id}.<name>' (lower case, digits, _)")
                if len(role.id) > ROLE_ID_LENGTH:
                    raise PluginError(f"role {role.id!r} is longer than {ROLE_ID_LENGTH} characters")
                if role.id in roles:
                    raise PluginError(f"role {role.id!r} is declared twice")
                if role.canton_only and role.commune_only:
                    raise PluginError(f"role {role.id!r} cannot be both canton_only and commune_only")
                roles[role.id] = role
        return roles

    def _check_permissions(self) -> None:
        from core.access import Role

        seen: dict[str, str] = {}
        for manifest in self.manifests.values():
            # A permission names the fixed roles, the module's own and those of the modules it requires.
            owners = (manifest.id, *manifest.requires)
            allowed = {r.value for r in Role} | {r.id for m in owners for r in self.manifests[m].roles}
            for permission in manifest.permissions:
                if permission.id in seen:
                    raise PluginError(
                        f"permission {permission.id!r} declared by both {seen[permission.id]!r} and {manifest.id!r}"
                    )
                seen[permission.id] = manifest.id
                unknown = [role for role in permission.roles if role not in allowed]
                if unknown:
                    raise PluginError(f"permission {permission.id!r} of plugin {manifest.id!r} names unknown "
                                      f"roles: {', '.join(unknown)}")
        for role in self.roles.values():
            unknown = [p for p in role.permissions if p not in seen]
            if unknown:
                raise PluginError(f"role {role.id!r} holds unknown permissions: {', '.join(unknown)}")

    def _check_settings(self) -> None:
        from core import setting_values

        seen: set[str] = set()
        for manifest in self.manifests.values():
            for setting in manifest.settings:
                if not setting.key.startswith(f"{manifest.id}.") or len(setting.key) > SETTING_KEY_LENGTH:
                    raise PluginError(f"setting {setting.key!r} of plugin {manifest.id!r} must be named "
                                      f"'{manifest.id}.<name>' (at most {SETTING_KEY_LENGTH} characters)")
                if setting.key in seen:
                    raise PluginError(f"setting {setting.key!r} is declared twice")
                seen.add(setting.key)
                if setting.type not in SettingType.ALL:
                    raise PluginError(f"setting {setting.key!r} has an unknown type {setting.type!r}")
                if setting.type == SettingType.CHOICE and not setting.choices:
                    raise PluginError(f"setting {setting.key!r} is a choice without choices")
                problem = setting_values.problem(setting, setting.default)
                if problem:
                    raise PluginError(f"the default of setting {setting.key!r} does not fit: {problem}")

    def _collect_figures(self) -> None:
        for manifest in self.manifests.values():
            for figure in (*manifest.figures, *manifest.activity_keys):
                if not figure.key.startswith(f"{manifest.id}."):
                    raise PluginError(f"figure {figure.key!r} of {manifest.id!r} must start with '{manifest.id}.'")
                known = self.figures.setdefault(figure.key, figure)
                if known is not figure and known != figure:
                    raise PluginError(f"figure {figure.key!r} is declared twice with different labels")

    def _collect_events(self) -> None:
        for manifest in self.manifests.values():
            for event_type in manifest.events:
                if not event_type.id.startswith(f"{manifest.id}."):
                    raise PluginError(f"event {event_type.id!r} of {manifest.id!r} must start with '{manifest.id}.'")
                if event_type.id in self.event_types:
                    raise PluginError(f"event {event_type.id!r} is declared twice")
                self.event_types[event_type.id] = event_type
            for event_id in manifest.subscribes:
                self.subscriptions.setdefault(event_id, []).append(manifest.id)
        # A subscription to an event no installed module declares is allowed: its emitter is optional.

    def _validate_submission_kinds(self) -> None:
        permissions = {p.id: p for m in self.manifests.values() for p in m.permissions}
        ids: dict[str, str] = {}
        prefixes: dict[str, str] = {}
        for manifest in self.manifests.values():
            for kind in manifest.submission_kinds:
                where = f"submission kind {kind.id!r} of plugin {manifest.id!r}"
                if not kind.id.startswith(f"{manifest.id}."):
                    raise PluginError(f"{where}: its id must start with {manifest.id + '.'!r}")
                if not PREFIX_PATTERN.match(kind.prefix):
                    raise PluginError(f"{where}: prefix {kind.prefix!r} is not 2-4 capital letters")
                for seen, key in ((ids, kind.id), (prefixes, kind.prefix)):
                    if key in seen:
                        raise PluginError(f"{where}: {key!r} is declared by {seen[key]!r} too")
                    seen[key] = manifest.id
                review = permissions.get(kind.review_permission)
                if review is None or not review.canton_only:
                    raise PluginError(f"{where}: review permission {kind.review_permission!r} must be a declared "
                                      "canton-only permission")
                submit = permissions.get(kind.submit_permission)
                if submit is None or submit.canton_only:
                    raise PluginError(f"{where}: submit permission {kind.submit_permission!r} must be a declared "
                                      "permission of communes")

    def submission_kinds(self) -> dict[str, tuple[str, SubmissionKind]]:
        """Every declared submission kind by id, with the id of the module that declared it."""
        return {k.id: (m.id, k) for m in self.manifests.values() for k in m.submission_kinds}

    @property
    def hook(self):
        """Hooks of every plugin (for app-wide hooks; tenant hooks go through :meth:`for_modules`)."""
        return self.pm.hook

    @property
    def modules(self) -> list[Manifest]:
        """The modules a tenant can switch on (not the always-on core features)."""
        return sorted((m for m in self.manifests.values() if not m.always_on), key=lambda m: (m.position, m.id))

    def module(self, module_id: str) -> Manifest | None:
        manifest = self.manifests.get(module_id)
        return None if manifest is None or manifest.always_on else manifest

    def dependency_order(self) -> list[str]:
        order: list[str] = []
        visiting: set[str] = set()

        def visit(module_id: str) -> None:
            if module_id in order:
                return
            if module_id in visiting:
                raise PluginError(f"the requirements of plugin {module_id!r} form a cycle")
            visiting.add(module_id)
            for req in self.manifests[module_id].requires:
                visit(req)
            visiting.discard(module_id)
            order.append(module_id)

        for module_id in self.manifests:
            visit(module_id)
        return order

    def is_core(self, plugin_id: str) -> bool:
        manifest = self.manifests.get(plugin_id)
        return manifest is not None and manifest.always_on

    def hook_for(self, plugin_ids) -> TenantHooks:
        """Hooks that reach exactly the plugins ``plugin_ids`` (the subscribers of an event)."""
        wanted = frozenset(plugin_ids)
        hooks = self._exact_cache.get(wanted)
        if hooks is None:
            removed = [self.pm.get_plugin(m) for m in self.manifests if m not in wanted]
            hooks = self._exact_cache[wanted] = TenantHooks(self.pm, removed)
        return hooks

    def for_modules(self, active: frozenset[str]) -> TenantHooks:
        """Hooks that reach only the always-on plugins and the ``active`` modules."""
        hooks = self._subset_cache.get(active)
        if hooks is None:
            removed = [
                self.pm.get_plugin(m.id) for m in self.manifests.values() if not m.always_on and m.id not in active
            ]
            hooks = self._subset_cache[active] = TenantHooks(self.pm, removed)
        return hooks



class TenantHooks:
    """``hooks.some_hook(...)`` calling only the plugins active in one tenant."""

    def __init__(self, pm: pluggy.PluginManager, removed: list[object]):
        self._pm = pm
        self._removed = removed
        self._callers: dict[str, Any] = {}

    def __getattr__(self, name: str):
        caller = self._callers.get(name)
        if caller is None:
            caller = self._callers[name] = self._pm.subset_hook_caller(name, self._removed)
        return caller


def default_plugins() -> list[object]:
    """Core's own plugins (:data:`DEFAULT_PLUGINS`), imported; each must be always on."""
    plugins = [importlib.import_module(name) for name in DEFAULT_PLUGINS]
    for name, plugin in zip(DEFAULT_PLUGINS, plugins, strict=True):
        manifest = getattr(plugin, "manifest", None)
        if not (isinstance(manifest, Manifest) and manifest.always_on):
            raise PluginError(f"core's plugin {name!r} has no always-on manifest")
    return plugins


def discover() -> list[object]:
    """Load every plugin installed through the ``start_integration.plugins`` entry point."""
    plugins = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        try:
            plugins.append(ep.load())
        except Exception as error:
            raise PluginError(f"plugin entry point {ep.name!r} ({ep.value}) cannot be loaded: {error}") from error
    return plugins
