"""Jinja2 templates for notification text, sandboxed (they come from a config file) and strict (a typo in a
variable name is an error, not an empty string). Each channel has defaults; a file may override them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)

# Which templates each channel has; a receiver's `templates` may set these.
TEMPLATE_KEYS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "body"),
    "mqtt": ("payload",),
    "webhook": ("body",),
}

DEFAULT_EMAIL_SUBJECT = (
    "[Fairwatch] {{ alarm.severity | upper }}: {{ alarm.type }}"
    "{% if alarm.zone %} in {{ alarm.zone }}{% endif %} {{ change }}"
)
DEFAULT_EMAIL_BODY = """\
Alarm {{ alarm.id }} ({{ alarm.type }}) {{ change }} by {{ actor }} at {{ time }}.

Severity:   {{ alarm.severity }}
State:      {{ alarm.state }}{% if not alarm.active %} (condition cleared){% endif %}
Site/zone:  {{ alarm.site or "-" }} / {{ alarm.zone or "-" }}
Count:      {{ alarm.count }}
First seen: {{ alarm.first_seen }}
Last seen:  {{ alarm.last_seen }}
{% if alarm.assignee %}Assignee:   {{ alarm.assignee }}
{% endif %}
{{ alarm.explanation }}
"""


class RenderError(Exception):
    """A template failed at render time (undefined variable, sandbox refusal ...)."""


@dataclass(frozen=True, slots=True)
class Templates:
    """The compiled templates one receiver uses; None means the channel's built-in format (JSON)."""

    email_subject: Template
    email_body: Template
    mqtt_payload: Template | None = None
    webhook_body: Template | None = None


def compile_template(source: str) -> Template:
    """Compile `source`; raises jinja2.TemplateSyntaxError with the template line."""
    return _ENV.from_string(source)


DEFAULTS = Templates(compile_template(DEFAULT_EMAIL_SUBJECT), compile_template(DEFAULT_EMAIL_BODY))


def render(template: Template, context: Mapping[str, Any]) -> str:
    """Render with the change as context; RenderError names what went wrong."""
    try:
        return template.render(context)
    except TemplateError as exc:
        raise RenderError(f"template failed: {exc}") from exc
