from __future__ import annotations

from django import forms

from .errors import DomainError, InvalidInput


def form_add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: under each named field, or at the top."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def domain_error_text(exc: DomainError) -> str:
    """A refusal as one line: the field messages of InvalidInput, else the error's message."""
    if isinstance(exc, InvalidInput) and exc.fields:
        return " ".join(str(m) for ms in exc.fields.values() for m in ms)
    return exc.message
