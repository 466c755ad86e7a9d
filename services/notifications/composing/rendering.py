"""Email rendering: Jinja2 in a sandbox, HTML autoescaped, one base template for the branding."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"

# Every email template (name.html and name.txt in templates/email/): the one list the staff
# preview routes (api/schemas.TemplateName) and the render tests read.
TEMPLATE_NAMES = (
    "confirmation",
    "waitlisted",
    "promoted",
    "changed",
    "cancelled",
    "event_changed",
    "reminder",
    "manage_link",
    "invitation",
    "announcement",
)

_env = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(kind: str, *, subject: str, **context: Any) -> RenderedEmail:
    context = {"subject": subject, **context}
    return RenderedEmail(
        subject=subject,
        text=_env.get_template(f"{kind}.txt").render(context).strip() + "\n",
        html=_env.get_template(f"{kind}.html").render(context),
    )
