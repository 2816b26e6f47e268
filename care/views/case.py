"""A case: its conversation (newest page first, older pages on demand, new messages polled), the
reply and note box with macros and @mentions, the controls, and the guided workflow."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care import selectors, services
from care.forms import CaseControlsForm, CaseFieldsForm, ReplyForm, colleagues
from care.languages import language_name
from care.models import Case, Direction
from care.views.common import (
    add_service_errors,
    can_work,
    case_or_404,
    channel_of,
    highlight_mentions,
    workspace_context,
)
from care.views.reply_delete import mark_deletable
from cxm.customers import selectors as customer_selectors
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message
from cxm.web.panels import CASE_MESSAGE, panels_for
from listening import selectors as listening_selectors

THREAD_PAGE = 30


def _usernames(request) -> set[str]:
    return {name.lower() for name in colleagues(request.workspace).values_list("username", flat=True)}


def _decorate(request, messages: list, usernames: set[str], case: Case | None = None) -> list:
    # What other modules show under a message (ads: hide a comment under an ad on the platform).
    panels = panels_for(CASE_MESSAGE, request, messages)
    for message in messages:
        message.rendered = highlight_mentions(
            message.text, usernames if message.direction == Direction.NOTE else set()
        )
        if case is not None and (message.meta or {}).get("csat"):
            message.language_note = _survey_language_note(case, message.language)
        message.panels = panels.get(message.pk, [])
    return mark_deletable(messages, case)


def _other_language(case: Case, used: str) -> dict[str, str] | None:
    """The names of the case's language and of `used` when the customer gets another language
    than their own (None when it is theirs, or either is unknown)."""
    wanted = (case.language or "").split("-")[0].lower()
    if not wanted or not used or used.split("-")[0].lower() == wanted:
        return None
    return {"wanted": language_name(wanted), "used": language_name(used)}


def _survey_language_note(case: Case, used: str) -> str:
    """A survey that went out in another language than the customer's says so."""
    names = _other_language(case, used)
    return _("Sent in %(used)s: there is no survey text in %(wanted)s.") % names if names else ""


def _thread_context(request, case: Case, cursor: str | None = None) -> dict:
    page = selectors.case_messages_page(
        workspace=request.workspace, case_id=case.pk, cursor=cursor, size=THREAD_PAGE
    )
    items = _decorate(request, list(reversed(page.items)), _usernames(request), case)  # oldest first
    return {
        "case": case,
        "thread": items,
        "older_cursor": page.next_cursor,
        "newest_id": max((message.pk for message in page.items), default=0),
        "can_work": can_work(request),
    }


def _workflow_context(case: Case, *, error: str = "", fields_form=None) -> dict:
    steps = [
        {
            "key": step["key"],
            "label": step.get("label") or step["key"],
            "done": step["key"] in (case.checklist_done or []),
        }
        for step in (case.case_type.checklist if case.case_type else []) or []
    ]
    return {
        "case": case,
        "steps": steps,
        "fields_form": fields_form or CaseFieldsForm(case=case),
        "missing": case.missing_for_resolution(),
        "workflow_error": error,
    }


def _header_context(case: Case) -> dict:
    due, clock, breached = selectors.running_clock(case, timezone.now())
    return {
        "case": case,
        "channel": channel_of(case.platform, case.channel_kind),
        "due_at": due,
        "clock": clock,
        "breached": breached,
    }


def _window_context(case: Case) -> dict:
    """What the reply box says of the case's answer window, with WhatsApp's approved templates
    once its 24 hours are over."""
    return {"reply_window": services.reply_window(case), **services.template_window(case)}


@workspace_view("care.view")
def detail(request, case_id: int):
    case = case_or_404(request, case_id)
    work = can_work(request)
    return render(
        request,
        "care/case.html",
        {
            **workspace_context(request),
            **_thread_context(request, case),
            **_workflow_context(case),
            **_header_context(case),
            "section": "inbox",
            "controls": CaseControlsForm.for_case(case, workspace=request.workspace),
            "reply_form": ReplyForm(workspace=request.workspace) if work else None,
            **(_window_context(case) if work else {}),
            "macros": selectors.macros(workspace=request.workspace) if work else [],
            "mentionable": sorted(_usernames(request)) if work else [],
            "assignees": selectors.assignees(workspace=request.workspace) if work else [],
            "csat": selectors.csat_for_case(case=case),
            "focus": request.GET.get("focus", ""),
            "back": request.GET.get("back", ""),
            "shows_typing": work and services.typing_shown(case.platform),
        },
    )


@workspace_view("care.view")
def messages_page(request, case_id: int):
    """Older messages (`cursor`), or the ones that arrived after `after` (the live refresh)."""
    case = case_or_404(request, case_id)
    if request.GET.get("cursor"):
        return render(
            request, "care/_thread_older.html", _thread_context(request, case, request.GET["cursor"])
        )
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError:
        raise Http404 from None
    new = selectors.case_messages_after(workspace=request.workspace, case_id=case.pk, after_id=after)
    if not new:
        return HttpResponse(status=204)  # nothing new: htmx leaves the page as it is
    return render(
        request,
        "care/_thread_new.html",
        {
            "case": case,
            "thread": _decorate(request, new, _usernames(request), case),
            "newest_id": max(message.pk for message in new),
            "can_work": can_work(request),
            **_header_context(case),
        },
    )


@require_POST
@workspace_view("care.work")
def reply(request, case_id: int):
    case = case_or_404(request, case_id)
    form = ReplyForm(request.POST, workspace=request.workspace)
    message = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == "note":
                message = services.case_note(case=case, text=data["text"], by=request.user)
            else:
                message = services.case_reply(
                    case=case,
                    text=data["text"],
                    macro=data["macro"],
                    status=data["status"] or None,
                    by=request.user,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if not request.htmx:
        return redirect(reverse("care:case", args=[case.pk]))
    kind = form.cleaned_data["kind"] if message is not None else "reply"
    return _reply_answer(request, case, form, message, kind=kind)


def _reply_answer(
    request, case: Case, form: ReplyForm, message, *, kind: str = "reply", template_error: str = ""
):
    """The reply box again (with its errors), or, once a reply is queued, the message added to the
    thread and a fresh box."""
    if message is None:
        return render(
            request,
            "care/_reply_box.html",
            {
                "case": case,
                "reply_form": form,
                **_window_context(case),
                "template_error": template_error,
                "macros": selectors.macros(workspace=request.workspace),
                "mentionable": sorted(_usernames(request)),
                "can_work": True,
            },
        )
    case = case_or_404(request, case.pk)
    return render(
        request,
        "care/_reply_sent.html",
        {
            "case": case,
            "thread": _decorate(request, [message], _usernames(request)),
            "reply_form": ReplyForm(workspace=request.workspace, initial={"kind": kind}),
            **_window_context(case),
            "macros": selectors.macros(workspace=request.workspace),
            "mentionable": sorted(_usernames(request)),
            "controls": CaseControlsForm.for_case(case, workspace=request.workspace),
            "can_work": True,
            **_workflow_context(case),
            **_header_context(case),
        },
    )


@require_POST
@workspace_view("care.work")
def typing(request, case_id: int):
    """The agent is writing a reply: the customer sees it where the channel shows it."""
    services.case_typing(case=case_or_404(request, case_id))
    return HttpResponse(status=204)


@require_POST
@workspace_view("care.work")
def template_send(request, case_id: int):
    """Send an approved WhatsApp template (the 24-hour window is closed), its placeholders filled."""
    case = case_or_404(request, case_id)
    status = request.POST.get("status") or None
    if status not in (None, "pending_customer", "resolved"):
        status = None
    message = None
    error = ""
    try:
        message = services.case_template_send(
            case=case,
            template=request.POST.get("template", ""),
            values={key: value for key, value in request.POST.items() if key.startswith("param-")},
            status=status,
            by=request.user,
        )
    except ValidationError as exc:
        error = validation_message(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("care:case", args=[case.pk]))
    return _reply_answer(request, case, ReplyForm(workspace=request.workspace), message, template_error=error)


@workspace_view("care.work")
def macro_preview(request, case_id: int):
    """The reply box's text filled from a macro, in the case's language, for this customer."""
    case = case_or_404(request, case_id)
    text = request.GET.get("text", "")
    try:
        macro = (
            selectors.macros(workspace=request.workspace)
            .filter(pk=int(request.GET.get("macro") or 0))
            .first()
        )
    except ValueError:
        macro = None
    note = ""
    if macro is not None:
        text = services.macro_render(macro=macro, case=case, agent=request.user)
        note = _macro_language_note(case, services.macro_language(macro=macro, case=case))
    return render(request, "care/_macro_text.html", {"text": text, "macro_note": note})


def _macro_language_note(case: Case, used: str) -> str:
    """Tell the agent when the customer will not read the macro in their own language."""
    names = _other_language(case, used)
    return (
        _("This macro has no %(wanted)s version; its %(used)s version was filled in.") % names
        if names
        else ""
    )


def _back_to_case(request, case: Case, *, error: str = ""):
    """Without htmx: back to the case page, which shows that the change was saved (or why not)."""
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect(reverse("care:case", args=[case.pk]))


def _side_response(request, case: Case, *, error: str = "", fields_form=None, controls=None) -> HttpResponse:
    """The workflow panel, with the header and the controls swapped out of band (status, case type
    and assignee show in all three)."""
    context = {
        **_workflow_context(case, error=error, fields_form=fields_form),
        # the panel's own confirmation: every change made here says it was saved
        "workflow_saved": "" if error else _("Saved."),
        **_header_context(case),
        "controls": controls or CaseControlsForm.for_case(case, workspace=request.workspace),
        "can_work": True,
        "oob": True,
    }
    return HttpResponse(render_to_string("care/_case_side.html", context, request=request))


@require_POST
@workspace_view("care.work")
def update(request, case_id: int):
    case = case_or_404(request, case_id)
    form = CaseControlsForm(request.POST, workspace=request.workspace)
    error = ""
    if form.is_valid():
        changes = form.changes(case)
        if changes:
            try:
                case = services.case_update(case=case, by=request.user, **changes)
            except ValidationError as exc:
                error = validation_message(exc)
    else:
        error = " ".join(message for messages in form.errors.values() for message in messages)
    if not request.htmx:
        return _back_to_case(request, case, error=error)
    case = case_or_404(request, case_id)
    return _side_response(request, case, error=error)


@require_POST
@workspace_view("care.work")
def checklist(request, case_id: int):
    case = case_or_404(request, case_id)
    error = ""
    try:
        case = services.case_checklist_set(
            case=case,
            step=request.POST.get("step", ""),
            done=request.POST.get("done") == "on",
            by=request.user,
        )
    except ValidationError as exc:
        error = validation_message(exc)
    if not request.htmx:
        return _back_to_case(request, case, error=error)
    return _side_response(request, case_or_404(request, case_id), error=error)


@require_POST
@workspace_view("care.work")
def fields(request, case_id: int):
    case = case_or_404(request, case_id)
    form = CaseFieldsForm(request.POST, case=case)
    error = ""
    if form.is_valid():
        try:
            services.case_fields_set(case=case, values=form.values(), by=request.user)
        except ValidationError as exc:
            error = validation_message(exc)
    if not request.htmx:
        return _back_to_case(request, case, error=error)
    return _side_response(request, case_or_404(request, case_id), error=error)


@require_POST
@workspace_view("care.work")
def resolve(request, case_id: int):
    case = case_or_404(request, case_id)
    error = ""
    try:
        services.case_resolve(case=case, by=request.user)
    except ValidationError as exc:
        error = validation_message(exc)
    if not request.htmx:
        return _back_to_case(request, case, error=error)
    return _side_response(request, case_or_404(request, case_id), error=error)


def _message_or_404(request, case: Case, message_id: int):
    message = selectors.case_message_get(workspace=request.workspace, case_id=case.pk, message_id=message_id)
    if message is None or message.direction != Direction.OUTBOUND:
        raise Http404
    return message


@workspace_view("care.view")
def delivery(request, case_id: int, message_id: int):
    """A reply's delivery state; polled while it is queued or sending."""
    case = case_or_404(request, case_id)
    message = _message_or_404(request, case, message_id)
    mark_deletable([message], case)
    return render(
        request, "care/_delivery.html", {"case": case, "message": message, "can_work": can_work(request)}
    )


@require_POST
@workspace_view("care.work")
def retry(request, case_id: int, message_id: int):
    case = case_or_404(request, case_id)
    message = _message_or_404(request, case, message_id)
    error = ""
    try:
        message = services.message_retry(message=message, by=request.user)
    except ValidationError as exc:
        error = validation_message(exc)
    if not request.htmx:
        return redirect(reverse("care:case", args=[case.pk]))
    return render(
        request,
        "care/_delivery.html",
        {"case": case, "message": message, "can_work": True, "delivery_error": error},
    )


@require_POST
@workspace_view("care.work")
def from_mention(request, mention_id: int):
    """One click from a mention to its care case (opened, or the one it is already in); with
    `reply`, straight to the reply box."""
    mention = listening_selectors.mention_get(workspace=request.workspace, mention_id=mention_id)
    if mention is None:
        raise Http404
    case = services.case_open_from_mention(
        workspace=request.workspace,
        mention={
            "platform": mention.platform,
            "external_id": mention.external_id,
            "text": mention.text,
            "created_at": mention.created_at,
            "url": mention.url,
            "author": {
                "id": customer_selectors.identity_platform_id(
                    workspace_id=request.workspace.pk, identity_id=mention.author_identity_id
                )
                or mention.author_handle,
                "handle": mention.author_handle,
                "name": mention.author_name,
            },
            "account_id": mention.account_id,
            "language": mention.language,
            "sentiment": mention.sentiment,
        },
        by=request.user,
    )
    target = reverse("care:case", args=[case.pk])
    return redirect(f"{target}?reply=1#reply" if request.POST.get("reply") else target)
