"""A case's language is the language its customer writes in, detected as the Explorer detects a
mention's, whatever the account's language or the platform's hint says; the inbox's language
filter, macros and the satisfaction survey follow it."""

from __future__ import annotations

import pytest

from care import services
from care.models import Case, Direction
from cxm.channels.connectors.base import ItemKind
from cxm.tenancy.models import Role
from listening.services import mentions_ingest_payload
from tests.care.conftest import dm, make_account, receive

pytestmark = pytest.mark.django_db

THAI = "สวัสดีค่ะ อยากสอบถามเรื่องการคืนเงินค่ะ สั่งกาแฟไปแต่ไม่ได้รับ"
TAGALOG = "Magandang araw po, hindi pa dumating ang order ko kahapon. Pakitingnan po ninyo."
INDONESIAN = "Halo kak, pesanan saya belum sampai sejak kemarin, tolong dicek ya."
ENGLISH = "Hi, my order has not arrived yet and it has been three days."


@pytest.fixture
def indonesian_account(workspace_a):
    return make_account(workspace_a, language="id")


def _case_of(author: str) -> Case:
    return Case.objects.get(customer__display_name=author.title())


def test_a_thai_message_to_an_indonesian_account_opens_a_thai_case(indonesian_account):
    receive(indonesian_account, dm("m1", author="somchai", text=THAI))
    case = Case.objects.get()
    assert case.language == "th"
    assert case.messages.get().language == "th"


def test_a_tagalog_message_is_tagalog_whatever_the_platform_hint_says(indonesian_account):
    receive(indonesian_account, dm("m1", author="maria", text=TAGALOG, language="en"))
    assert Case.objects.get().language == "tl"


def test_an_email_and_a_direct_message_each_get_their_customers_language(workspace_a, indonesian_account):
    mail = make_account(workspace_a, platform="email", handle="care@kopi.example", language="id")
    receive(
        mail, dm("e1", author="john", text=ENGLISH, kind=ItemKind.EMAIL, platform="email", subject="Order")
    )
    receive(indonesian_account, dm("m1", author="budi", text=INDONESIAN))
    assert Case.objects.get(platform="email").language == "en"
    assert Case.objects.get(platform="mastodon").language == "id"


def test_a_case_whose_first_message_is_too_short_learns_its_language_from_the_next(indonesian_account):
    receive(indonesian_account, dm("m1", author="maria", text="hi"))
    case = Case.objects.get()
    assert case.language == ""
    receive(indonesian_account, dm("m2", author="maria", text=TAGALOG))
    case.refresh_from_db()
    assert case.language == "tl"
    receive(indonesian_account, dm("m3", author="maria", text=ENGLISH))
    case.refresh_from_db()
    assert case.language == "tl"  # once known, a case keeps its language


def test_a_case_opened_from_a_mention_takes_the_mentions_detected_language(workspace_a):
    make_account(workspace_a, handle="@kopi@social.example", language="id")
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": "t1",
                "text": "@kopi@social.example ทำไมกาแฟที่สั่งยังไม่มาส่งเลยคะ?",
                "created_at": "2026-11-20T10:00:00Z",
                "author": {"handle": "@somchai@social.example", "name": "Somchai"},
            }
        ],
    )
    assert Case.objects.get().language == "th"


def test_the_inbox_language_filter_lists_the_right_cases(client, workspace_a, member, indonesian_account):
    receive(indonesian_account, dm("m1", author="somchai", text=THAI))
    receive(indonesian_account, dm("m2", author="maria", text=TAGALOG, language="en"))
    receive(indonesian_account, dm("m3", author="budi", text=INDONESIAN))
    thai, tagalog, indonesian = _case_of("somchai"), _case_of("maria"), _case_of("budi")
    client.force_login(member(workspace_a, Role.AGENT).user)

    def listed(language):
        page = client.get("/care/", {"language": language}).content.decode()
        return {case.pk for case in (thai, tagalog, indonesian) if f'id="case-{case.pk}"' in page}

    assert listed("th") == {thai.pk}
    assert listed("tl") == {tagalog.pk}
    assert listed("id") == {indonesian.pk}


def test_the_inbox_names_languages_in_the_readers_language(client, workspace_a, member, indonesian_account):
    receive(indonesian_account, dm("m1", author="somchai", text=THAI))
    receive(indonesian_account, dm("m2", author="maria", text=TAGALOG, language="en"))
    client.force_login(member(workspace_a, Role.AGENT).user)

    english = client.get("/care/").content.decode()
    assert ">Thai</span>" in english and ">Tagalog</span>" in english
    client.post("/i18n/setlang/", {"language": "id", "next": "/care/"})
    indonesian = client.get("/care/").content.decode()
    assert ">Thailand</span>" in indonesian
    assert 'data-left="{span} lagi"' in indonesian


def _preview(client, case: Case, macro) -> str:
    """The reply box's text as picking the macro fills it in."""
    return client.get(
        f"/care/cases/{case.pk}/macro/", {"macro": macro.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()


def test_a_macro_answers_a_thai_customer_in_thai(client, workspace_a, member, indonesian_account):
    macro = services.macro_save(
        workspace=workspace_a,
        name="On its way",
        default_language="id",
        bodies={
            "id": "Halo {{customer.first_name}}, pesanan dikirim hari ini.",
            "th": "สวัสดีค่ะ คุณ{{customer.first_name}} จัดส่งวันนี้ค่ะ",
        },
    )
    receive(indonesian_account, dm("m1", author="somchai", text=THAI))
    case = Case.objects.get()
    client.force_login(member(workspace_a, Role.AGENT).user)
    body = _preview(client, case, macro)
    assert "สวัสดีค่ะ คุณSomchai จัดส่งวันนี้ค่ะ" in body and "pesanan" not in body
    assert "has no" not in body


def test_a_macro_without_the_customers_language_says_which_one_it_used(
    client, workspace_a, member, indonesian_account
):
    macro = services.macro_save(
        workspace=workspace_a,
        name="On its way",
        default_language="en",
        bodies={"en": "Hi {{customer.first_name}}, it ships today.", "id": "Halo, dikirim hari ini."},
    )
    receive(indonesian_account, dm("m1", author="maria", text=TAGALOG))
    case = Case.objects.get()
    client.force_login(member(workspace_a, Role.AGENT).user)
    body = _preview(client, case, macro)
    assert "Hi Maria, it ships today." in body
    assert "This macro has no Tagalog version; its English version was filled in." in body

    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    body = _preview(client, case, macro)
    assert "Makro ini tidak punya versi bahasa Tagalog" in body


def _survey(case: Case):
    services.case_resolve(case=case)
    return case.messages.get(direction=Direction.OUTBOUND)


@pytest.mark.parametrize(
    ("author", "text", "language", "opening"),
    [
        ("budi", INDONESIAN, "id", "Seberapa puas Anda"),
        ("john", ENGLISH, "en", "How happy are you"),
        ("somchai", THAI, "th", "คุณพึงพอใจ"),
        ("maria", TAGALOG, "tl", "Gaano ka nasiyahan"),
    ],
)
def test_the_survey_goes_out_in_the_customers_language(indonesian_account, author, text, language, opening):
    receive(indonesian_account, dm("m1", author=author, text=text))
    survey = _survey(Case.objects.get())
    assert survey.text.startswith(opening) and survey.language == language


def test_a_survey_without_a_text_in_the_customers_language_says_so(
    client, workspace_a, member, indonesian_account
):
    receive(
        indonesian_account,
        dm("m1", author="hans", text="Guten Tag, meine Bestellung ist noch nicht angekommen."),
    )
    case = Case.objects.get()
    assert case.language == "de"
    survey = _survey(case)
    assert survey.text.startswith("How happy are you") and survey.language == "en"
    client.force_login(member(workspace_a, Role.AGENT).user)
    page = client.get(f"/care/cases/{case.pk}/").content.decode()
    assert "Sent in English: there is no survey text in German." in page


def test_the_survey_page_speaks_the_customers_language(client, indonesian_account):
    receive(indonesian_account, dm("m1", author="budi", text=INDONESIAN))
    link = _survey(Case.objects.get()).text.split()[-1]
    page = client.get(link[link.index("/care/csat/") :]).content.decode()
    assert 'lang="id"' in page and "Seberapa puas Anda dengan cara kami menangani permintaan Anda?" in page


def test_the_survey_page_for_an_english_case_is_english(client, indonesian_account):
    receive(indonesian_account, dm("m1", author="john", text=ENGLISH))
    link = _survey(Case.objects.get()).text.split()[-1]
    page = client.get(link[link.index("/care/csat/") :], HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'lang="en"' in page and "How happy are you with how we handled your request?" in page
