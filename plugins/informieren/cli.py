"""``flask informieren ...``: the module's commands (each submodule adds its own to the group)."""

from flask.cli import AppGroup

group = AppGroup("informieren", help="Informieren: Neuzuzügerinnen und Neuzuzüger importieren und auflisten.")
