from django.urls import path

from care.views import case, csat, customers, engagement, inbox, reply_delete, reports, setup

app_name = "care"

urlpatterns = [
    path("", inbox.index, name="index"),
    path("inbox/rows/", inbox.rows, name="inbox-rows"),
    path("inbox/views/", inbox.views_sidebar, name="inbox-views"),
    path("inbox/bulk/", inbox.bulk, name="bulk"),
    path("presence/", inbox.presence, name="presence"),
    path("cases/<int:case_id>/", case.detail, name="case"),
    path("cases/<int:case_id>/messages/", case.messages_page, name="case-messages"),
    path("cases/<int:case_id>/reply/", case.reply, name="case-reply"),
    path("cases/<int:case_id>/typing/", case.typing, name="case-typing"),
    path("cases/<int:case_id>/template/", case.template_send, name="case-template"),
    path("cases/<int:case_id>/macro/", case.macro_preview, name="case-macro"),
    path("cases/<int:case_id>/update/", case.update, name="case-update"),
    path("cases/<int:case_id>/checklist/", case.checklist, name="case-checklist"),
    path("cases/<int:case_id>/fields/", case.fields, name="case-fields"),
    path("cases/<int:case_id>/resolve/", case.resolve, name="case-resolve"),
    path("cases/<int:case_id>/messages/<int:message_id>/delivery/", case.delivery, name="message-delivery"),
    path("cases/<int:case_id>/messages/<int:message_id>/retry/", case.retry, name="message-retry"),
    path("cases/<int:case_id>/messages/<int:message_id>/engage/", engagement.engage, name="message-engage"),
    path(
        "cases/<int:case_id>/messages/<int:message_id>/delete/",
        reply_delete.reply_delete,
        name="message-platform-delete",
    ),
    path("mentions/<int:mention_id>/case/", case.from_mention, name="mention-case"),
    path("customers/", customers.index, name="customers"),
    path("customers/<int:profile_id>/", customers.detail, name="customer"),
    path("customers/<int:profile_id>/panel/", customers.panel, name="customer-panel"),
    path("customers/<int:profile_id>/merge/", customers.merge, name="customer-merge"),
    path("customers/<int:profile_id>/link/", customers.link, name="customer-link"),
    path("customers/<int:profile_id>/merge/candidates/", customers.merge_candidates, name="merge-candidates"),
    path("customers/merges/<int:merge_id>/undo/", customers.merge_undo, name="merge-undo"),
    path("reports/", reports.index, name="reports"),
    path("settings/", setup.index, name="settings"),
    path("settings/<str:kind>/new/", setup.edit, name="settings-new"),
    path("settings/<str:kind>/<int:pk>/", setup.edit, name="settings-edit"),
    path("settings/<str:kind>/<int:pk>/delete/", setup.delete, name="settings-delete"),
    path("settings/agents/<int:pk>/presence/", setup.agent_presence, name="agent-presence"),
    path("csat/<str:token>/", csat.survey, name="csat"),
]
