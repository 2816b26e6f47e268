"""The public satisfaction survey page a customer reaches from the link in the survey message.
No login: the signed token names the case; the first answer is the one that counts."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from care import selectors, services
from care.forms import CsatForm


@never_cache
def survey(request, token: str):
    case = services.csat_case_for_token(token)
    if case is None:
        raise Http404
    existing = selectors.csat_for_case(case=case)
    form = CsatForm(request.POST or None, initial={"score": request.GET.get("score")})
    answer = None
    if request.method == "POST" and existing is None and form.is_valid():
        answer = services.csat_answer(
            case=case, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
        )
        existing = answer.response
    # The customer reads the page in the case's language where the interface has it, else in
    # the one their browser asks for.
    language = (case.language or "").split("-")[0].lower()
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language()
    with translation.override(language):
        return render(
            request,
            "care/csat.html",
            {
                "workspace_name": case.workspace.name,
                "form": form,
                "response": existing,
                "just_answered": answer is not None and answer.created,
                "scores": range(1, 6),
            },
        )
