"""Rendering the APIM policy templates (*.xml.j2 beside this module) into linted XML."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path

from jinja2 import (
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)

from components.apim.policies.lint import PolicyLintError, Scope, check_policy
from components.templating import template_environment, template_line

TEMPLATES_DIR = Path(__file__).resolve().parent


class PolicyRenderError(ValueError):
    """A template did not render into a valid policy; one line per problem, naming the template."""

    def __init__(self, template: str, message: str) -> None:
        self.template = template
        super().__init__(message)


# XML-escaped values: a context string can never open or close an element.
_ENV = template_environment(TEMPLATES_DIR, autoescape=True)

_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")
_UNDEFINED_MEMBER = re.compile(r"^'[^']+' has no attribute '([^']+)'$")
_BLANK_RUN = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    """Same input, same bytes: LF endings, no trailing spaces, no blank runs, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_policy(
    template: str,
    *,
    scope: Scope,
    context: Mapping[str, object],
    named_values: Collection[str],
    backends: Collection[str],
) -> str:
    """Render `template` with `context`, lint the result for `scope`, and return the XML.

    Raises PolicyRenderError when the template is missing or broken, the context lacks a variable,
    or the rendered XML fails the linter (those lines, marked "(rendered)", count in the rendered
    document).
    """
    try:
        loaded = _ENV.get_template(template)
    except TemplateNotFound:
        raise PolicyRenderError(template, f"{template}: no such template in {TEMPLATES_DIR}") from None
    except TemplateSyntaxError as exc:
        raise PolicyRenderError(template, f"{template}:{exc.lineno}: template syntax error: {exc.message}") from None

    try:
        rendered = loaded.render(dict(context))
    except UndefinedError as exc:
        message = exc.message or ""
        if name := _UNDEFINED_NAME.match(message):
            what = f"undefined variable '{name.group(1)}'"
        elif member := _UNDEFINED_MEMBER.match(message):
            what = f"undefined key '{member.group(1)}' in a context value"
        else:
            what = f"undefined value: {message}"
        line = template_line(exc.__traceback__, loaded.filename)
        where = f"{template}:{line}" if line is not None else template
        raise PolicyRenderError(template, f"{where}: {what}") from None

    xml = _normalise(rendered)
    try:
        check_policy(
            xml,
            source=f"{template} (rendered)",
            scope=scope,
            named_values=named_values,
            backends=backends,
        )
    except PolicyLintError as exc:
        raise PolicyRenderError(template, str(exc)) from exc
    return xml
