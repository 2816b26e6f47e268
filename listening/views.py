"""The analyst's pages: Explorer, mention detail, dashboard, topics, alerts."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.channels import engagement_panel
from cxm.channels import selectors as channel_selectors
from cxm.channels.services.engagement import COMMENT_ACTIONS
from cxm.replica import read_alias
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission
from cxm.web.errors import validation_message
from listening import services
from listening.answering import reason_label
from listening.api import mentions_csv_response
from listening.models import MediaType, Sentiment
from listening.query import UNSPACED_CHAR, Phrase, QuerySyntaxError, Term, parse, phrase_text
from listening.selectors.dashboard import dashboard as dashboard_figures
from listening.selectors.explorer import ExplorerFilters, mentions_search, query_error, saved_searches
from listening.selectors.mention_detail import author_history, mention_get, mention_thread
from listening.selectors.spikes import alerts
from listening.selectors.topic_setup import topic_get, topic_mention_counts, topic_names, topics


def _query_words(query: str) -> list[str]:
    """Words and phrases of a query, for highlighting (NOT parts included: harmless, simpler)."""
    try:
        node = parse(query)
    except QuerySyntaxError:
        return []
    words: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Term):
            words.append(_word_pattern([current.word], prefix=current.prefix))
        elif isinstance(current, Phrase):
            words.append(_word_pattern(phrase_text(current.words).split(" ")))
        else:
            stack.extend(
                getattr(current, "children", ()) or ([current.child] if hasattr(current, "child") else [])
            )
    return words


def _word_pattern(pieces: list[str], prefix: bool = False) -> str:
    """The pieces of a word or phrase as they stand in a text, punctuation between them. Chinese,
    Japanese, Korean and Thai are found inside longer runs of letters (咖啡 in 咖啡店, 커피 in
    커피가), and run on from what stands next to them without a space; other words stand whole."""
    pattern = ""
    for index, piece in enumerate(pieces):
        if index:
            joined = UNSPACED_CHAR.match(pieces[index - 1][-1]) or UNSPACED_CHAR.match(piece[0])
            pattern += r"\W*" if joined else r"\W+"
        pattern += re.escape(piece)
    first, last = pieces[0][0], pieces[-1][-1]
    if prefix and not UNSPACED_CHAR.match(last):
        pattern += r"\w*"
    before = "" if UNSPACED_CHAR.match(first) else r"(?<!\w)"
    after = "" if UNSPACED_CHAR.match(last) or prefix else r"(?!\w)"
    return before + pattern + after


def highlight(text: str, patterns: list[str]) -> str:
    escaped = escape(text)
    if not patterns:
        return escaped
    regex = re.compile("|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True)), re.IGNORECASE)
    return mark_safe(regex.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308 (escaped above)


def _explorer_context(request, filters, page, using, error=""):
    workspace = request.workspace
    names = topic_names(workspace=workspace, using=using)
    patterns = _query_words(filters.q) if filters.q else []
    results = []
    for row in page.results if page else []:
        row["highlighted"] = highlight(row["text"], patterns)
        row["topic_names"] = [names.get(t, "") for t in row["topic_ids"]]
        row["answer_why"] = reason_label(row["answer_reason"])
        results.append(row)
    next_params = None
    if page and page.next_cursor:
        next_params = QueryDict(mutable=True)
        next_params.update(filters.as_params())
        next_params["cursor"] = page.next_cursor
        next_params = next_params.urlencode()
    return {
        "filters": filters,
        "results": results,
        "facets": page.facets if page else {},
        "facets_sampled": page.facets_sampled if page else False,
        "next_params": next_params,
        "query_error": error,
        "topics": topics(workspace=workspace, using=using),
        "brands": tenancy_selectors.brands(workspace=workspace),
        "saved": saved_searches(workspace=workspace, user=request.user, using=using),
        "sentiments": Sentiment.choices,
        "media_types": MediaType.choices,
        "export_params": _encode(filters.as_params()),
        "newest_id": results[0]["id"] if results and not request.GET.get("cursor") else None,
    }


def _encode(params: dict) -> str:
    query = QueryDict(mutable=True)
    query.update(params)
    return query.urlencode()


@workspace_view("listening.view")
def explorer(request):
    error = ""
    try:
        filters = ExplorerFilters.from_params(request.GET)
    except ValueError as exc:
        filters, error = ExplorerFilters(), str(exc)
    page = None
    using = read_alias(reader=request.user)
    if not error:
        try:
            page = mentions_search(
                workspace=request.workspace,
                filters=filters,
                cursor=request.GET.get("cursor") or None,
                facets=not request.GET.get("cursor"),
                using=using,
            )
        except QuerySyntaxError as exc:
            error = _("%(message)s (at character %(position)s)") % {
                "message": exc,
                "position": exc.position + 1,
            }
        except ValueError as exc:
            error = str(exc)
    context = _explorer_context(request, filters, page, using, error)
    if request.htmx and request.GET.get("cursor"):
        return render(request, "listening/_results_more.html", context)
    if request.htmx and request.htmx.target == "explorer-body":
        return render(request, "listening/_explorer_body.html", context)
    return render(request, "listening/explorer.html", context)


@workspace_view("listening.view")
def explorer_new_count(request):
    """How many mentions arrived since the newest one on screen (polled by the Explorer)."""
    try:
        filters = ExplorerFilters.from_params(request.GET)
        since_id = int(request.GET.get("after") or 0)
    except ValueError:
        return render(request, "listening/_new_count.html", {"count": 0})
    page = mentions_search(
        workspace=request.workspace,
        filters=filters,
        limit=100,
        facets=False,
        using=read_alias(reader=request.user),
    )
    count = sum(1 for row in page.results if row["id"] > since_id)
    return render(
        request, "listening/_new_count.html", {"count": count, "params": _encode(filters.as_params())}
    )


@workspace_view("listening.view")
def explorer_export(request):
    try:
        filters = ExplorerFilters.from_params(request.GET)
        return mentions_csv_response(
            workspace=request.workspace, filters=filters, using=read_alias(reader=request.user)
        )
    except ValueError as exc:  # QuerySyntaxError too: both are said before the download starts
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")


@require_POST
@workspace_view("listening.view")
def saved_search_save(request):
    params = {
        k: v for k, v in request.POST.items() if k not in {"csrfmiddlewaretoken", "name", "cursor"} and v
    }
    try:
        services.saved_search_create(
            workspace=request.workspace, user=request.user, name=request.POST.get("name", ""), params=params
        )
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
    else:
        messages.success(request, _("Search saved."))
    return redirect(f"{request.path.rsplit('/', 2)[0]}/?{_encode(params)}")


@workspace_view("listening.view")
def mention_detail(request, mention_id: int):
    workspace = request.workspace
    mention = mention_get(workspace=workspace, mention_id=mention_id)
    if mention is None:
        raise Http404
    names = topic_names(workspace=workspace)
    return render(
        request,
        "listening/mention.html",
        {
            "mention": mention,
            "answer_why": reason_label(mention.answer_reason),
            "topic_names": [names.get(t, "") for t in mention.topic_ids],
            "thread": mention_thread(workspace=workspace, mention=mention),
            "history": author_history(
                workspace=workspace, customer_id=mention.customer_id, exclude=mention.pk
            ),
            "can_work_cases": has_permission(request.membership, "care.work"),
            "engagement": _engagement(request, mention),
        },
    )


def _comment_account(workspace, mention):
    """The account a Facebook Page, Instagram or YouTube comment came in through, which can hide,
    like or moderate it there; None for every other mention."""
    if mention.platform not in COMMENT_ACTIONS or mention.kind != "comment" or not mention.account_id:
        return None
    account = channel_selectors.channel_account_get(workspace=workspace, account_id=mention.account_id)
    return account if account is not None and account.platform == mention.platform else None


def _engagement(request, mention):
    if _comment_account(request.workspace, mention) is None:
        return ""
    state = engagement_panel.states(
        workspace=request.workspace, comments=[(mention.platform, mention.external_id)]
    ).get((mention.platform, mention.external_id))
    return engagement_panel.panel(
        request,
        key=f"mention-{mention.pk}",
        platform=mention.platform,
        action_url=reverse("listening:mention-engage", args=[mention.pk]),
        state=state,
        can_act=has_permission(request.membership, "listening.manage"),
    )


@require_POST
@workspace_view("listening.manage")
def mention_engage(request, mention_id: int):
    """Hide, show, like, unlike or moderate a Facebook Page, Instagram or YouTube comment on the
    platform."""
    mention = mention_get(workspace=request.workspace, mention_id=mention_id)
    account = _comment_account(request.workspace, mention) if mention is not None else None
    if account is None:
        raise Http404
    html = engagement_panel.press(
        request,
        account=account,
        external_id=mention.external_id,
        key=f"mention-{mention.pk}",
        action_url=reverse("listening:mention-engage", args=[mention.pk]),
    )
    if not request.htmx:
        return redirect(reverse("listening:mention", args=[mention.pk]))
    return HttpResponse(html)


@workspace_view("listening.view")
def dashboard(request):
    try:
        filters = ExplorerFilters.from_params(request.GET)
    except ValueError:
        filters = ExplorerFilters()
    days = 30
    using = read_alias(reader=request.user)
    data = dashboard_figures(workspace=request.workspace, filters=filters, days=days, using=using)
    brand_names = {b.pk: b.name for b in tenancy_selectors.brands(workspace=request.workspace)}
    for row in data["share_of_voice"]:
        row["name"] = brand_names.get(row["brand_id"], _("No brand"))
    return render(
        request,
        "listening/dashboard.html",
        {
            "data": data,
            "filters": filters,
            "topics": topics(workspace=request.workspace, using=using),
            "days": days,
            "alerts": alerts(workspace=request.workspace, open_only=True)[:10],
        },
    )


class TopicForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    query = forms.CharField(
        label=gettext_lazy("Query"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            'Words, "phrases", prefix*, AND / OR / NOT, ( ), lang:id, platform:mastodon, '
            "author:@name, sentiment:negative, country:ID, kind:comment, media:paid"
        ),
    )
    alert_recipients = forms.CharField(
        label=gettext_lazy("Email alerts to"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Email addresses, one a line or separated by commas."),
    )
    alert_webhook_url = forms.CharField(
        label=gettext_lazy("Webhook URL"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Alerts are POSTed here as JSON, signed the Standard Webhooks way."),
    )
    alert_webhook_secret = forms.CharField(
        label=gettext_lazy("Webhook signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "whsec_… Leave empty to keep the current one; a new webhook gets one generated."
        ),
    )

    @property
    def alert_delivery_fields(self):
        return [self[name] for name in ("alert_recipients", "alert_webhook_url", "alert_webhook_secret")]

    def clean_query(self):
        query = self.cleaned_data["query"]
        error = query_error(query)
        if error is not None:
            pointer = " " * error.position + "^"
            raise forms.ValidationError(
                _("%(message)s at character %(position)s:")
                % {"message": error, "position": error.position + 1}
                + f"\n{query}\n{pointer}"
            )
        return query


def _delivery_changes(form: TopicForm) -> dict:
    """The form's alert delivery fields as `topic_alert_delivery_set` arguments. The form shows
    every recipient in one list, the API's single `alert_email` included, so saving it moves that
    address into the list."""
    data = form.cleaned_data
    return {
        "recipients": [a for a in re.split(r"[\s,;]+", data["alert_recipients"]) if a],
        "email": "",
        "webhook_url": data["alert_webhook_url"],
        "webhook_secret": data["alert_webhook_secret"] or None,
    }


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, validation_message(error))
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@workspace_view("listening.view", write_permission="listening.manage")
def topic_list(request):
    form = TopicForm(request.POST or None)
    can_manage = has_permission(request.membership, "listening.manage")
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                topic = services.topic_create(
                    workspace=request.workspace,
                    name=form.cleaned_data["name"],
                    query=form.cleaned_data["query"],
                    by=request.user,
                    request=request,
                )
                services.topic_alert_delivery_set(
                    topic=topic, by=request.user, request=request, **_delivery_changes(form)
                )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Topic saved; matching it over past mentions now."))
            return redirect("listening:topics")
    return render(
        request,
        "listening/topics.html",
        {
            "form": form,
            "topics": _counted(request, list(topics(workspace=request.workspace))),
            "can_manage": can_manage,
        },
    )


def _counted(request, topics: list) -> list:
    """Each topic with `mention_count`: what it matches now, not only what the back-fill found."""
    counts = topic_mention_counts(workspace=request.workspace, topic_ids=[t.pk for t in topics])
    for topic in topics:
        topic.mention_count = counts.get(topic.pk, 0)
    return topics


@workspace_view("listening.manage")
def topic_edit(request, topic_id: int):
    topic = topic_get(workspace=request.workspace, topic_id=topic_id)
    if topic is None:
        raise Http404
    form = TopicForm(
        request.POST or None,
        initial={
            "name": topic.name,
            "query": topic.query,
            "alert_recipients": "\n".join(topic.alert_email_recipients),
            "alert_webhook_url": topic.alert_webhook_url,
        },
    )
    if request.method == "POST" and form.is_valid():
        changes = {
            k: form.cleaned_data[k] for k in ("name", "query") if form.cleaned_data[k] != getattr(topic, k)
        }
        try:
            with transaction.atomic():
                if changes:
                    services.topic_update(topic=topic, by=request.user, request=request, **changes)
                services.topic_alert_delivery_set(
                    topic=topic, by=request.user, request=request, **_delivery_changes(form)
                )
        except ValidationError as exc:
            topic.refresh_from_db()
            _form_errors(form, exc)
        else:
            messages.success(request, _("Topic saved."))
            return redirect("listening:topic-edit", topic_id=topic.pk)
    return render(request, "listening/topic_edit.html", {"form": form, "topic": topic})


@workspace_view("listening.view")
def topic_progress(request, topic_id: int):
    topic = topic_get(workspace=request.workspace, topic_id=topic_id)
    if topic is None:
        raise Http404
    return render(request, "listening/_topic_progress.html", {"topic": _counted(request, [topic])[0]})


@workspace_view("listening.view")
def alert_list(request):
    return render(request, "listening/alerts.html", {"alerts": alerts(workspace=request.workspace)[:200]})
