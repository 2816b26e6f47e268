"""Offline enrichment of mentions: language detection, lexicon sentiment and dictionary tags."""

# The sentences are in many scripts on purpose; their look-alike letters are not typos.
# ruff: noqa: RUF001

from __future__ import annotations

import time

import pytest

from listening.enrichment import DictionaryTagger, detect_languages, score_many, score_sentiment, strip_markup
from listening.enrichment.language import SUPPORTED_LANGUAGES

CLEAR_SENTENCES = {
    "en": "The coffee at this branch is always fresh and the staff are friendly.",
    "id": "Kopi di cabang ini selalu segar dan pelayanannya sangat ramah sekali.",
    "ms": "Saya sangat suka kedai kopi ini kerana pekerjanya mesra dan harganya berpatutan.",
    "es": "El café de esta sucursal siempre está fresco y el personal es muy amable.",
    "pt": "O café desta loja está sempre fresco e os funcionários são muito simpáticos.",
    "fr": "Le café de cette boutique est toujours frais et le personnel est très aimable.",
    "de": "Der Kaffee in dieser Filiale ist immer frisch und das Personal ist sehr freundlich.",
    "ja": "この店のコーヒーはいつも新鮮で、スタッフもとても親切です。",
    "th": "กาแฟที่สาขานี้สดใหม่เสมอและพนักงานก็เป็นมิตรมาก",
    "vi": "Cà phê ở chi nhánh này luôn tươi ngon và nhân viên rất thân thiện.",
    "ar": "القهوة في هذا الفرع طازجة دائما والموظفون ودودون جدا.",
    "tl": "Laging sariwa ang kape sa sangay na ito at napakabait ng mga tauhan.",
    "ko": "이 지점의 커피는 항상 신선하고 직원들이 매우 친절합니다.",
    "zh": "这家分店的咖啡总是很新鲜，员工也非常友好。",
    "ru": "Кофе в этом филиале всегда свежий, а персонал очень дружелюбный.",
    "it": "Il caffè in questa filiale è sempre fresco e il personale è molto gentile.",
    "tr": "Bu şubedeki kahve her zaman taze ve çalışanlar çok güler yüzlü.",
}


# --- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "text"), CLEAR_SENTENCES.items(), ids=CLEAR_SENTENCES.keys())
def test_clear_sentences_are_detected_in_their_language(expected, text):
    [(code, confidence)] = detect_languages([text])
    assert code == expected
    assert 0.5 <= confidence <= 1.0


def test_detection_answers_each_text_in_order():
    texts = list(CLEAR_SENTENCES.values())
    assert [code for code, _ in detect_languages(texts)] == list(CLEAR_SENTENCES)


@pytest.mark.parametrize(
    "text", ["", "ok", "  ", "😍😍😍", "12345 !!!", "https://example.com/a/b", "@kopinusantara"]
)
def test_too_little_text_has_no_language(text):
    assert detect_languages([text]) == [(None, 0.0)]


def test_candidates_settle_close_languages_a_workspace_expects():
    text = "Kopi Nusantara enak banget, mantap!"
    [(code, confidence)] = detect_languages([text], candidates={"id", "en"})
    assert code == "id"
    assert 0.0 < confidence <= 1.0
    assert detect_languages(["The coffee was great today"], candidates={"id", "ms"})[0][1] < 0.5
    with pytest.raises(ValueError, match="unsupported"):
        detect_languages([text], candidates={"xx"})


def test_supported_languages_cover_the_model_with_iso_codes():
    assert len(SUPPORTED_LANGUAGES) >= 50
    assert {"id", "ms", "en", "es", "pt", "fr", "de", "ja", "th", "vi", "ar", "tl"} <= SUPPORTED_LANGUAGES
    assert all(len(code) == 2 for code in SUPPORTED_LANGUAGES)


def test_markup_is_stripped_and_hashtags_keep_their_words():
    text = (
        "Check https://t.co/x1 and www.kopi.id @kopinusantara @ana@example.social #KopiEnakBanget 😍 #promo"
    )
    assert strip_markup(text) == "Check and Kopi Enak Banget promo"


def test_urls_and_handles_do_not_decide_the_language():
    text = (
        "https://kopinusantara.co.id/promo/kopi-susu-gula-aren-terbaru @kopinusantara_id "
        "good morning, is the store open"
    )
    assert detect_languages([text])[0][0] == "en"


# --- sentiment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("not good", "en"),
        ("The latte was not good at all", "en"),
        ("tidak enak", "id"),
        ("kopinya gak enak", "id"),
        ("kurang enak", "id"),
        ("rasanya kurang", "id"),
        ("pesanan belum sampai", "id"),
        ("My order never arrived", "en"),
    ],
)
def test_negation_turns_praise_or_expectation_into_complaint(text, language):
    assert score_sentiment(text, language)[0] == "negative"


def test_negation_reaches_three_tokens_and_no_further():
    assert score_sentiment("not really that good", "en")[0] == "negative"
    assert score_sentiment("not sure why but the coffee is good", "en")[0] == "positive"


def test_negated_complaint_is_praise():
    assert score_sentiment("not bad at all", "en")[0] == "positive"
    assert score_sentiment("nggak pernah kecewa", "id")[0] == "positive"


def test_the_clause_after_but_weighs_more():
    assert score_sentiment("enak tapi mahal banget", "id")[0] == "negative"
    assert score_sentiment("mahal tapi enak banget", "id")[0] == "positive"
    assert score_sentiment("I love your coffee but the delivery is always late", "en")[0] == "negative"


def test_intensifiers_before_or_after_strengthen():
    plain = score_sentiment("enak", "id")[1]
    assert score_sentiment("enak banget", "id")[1] > plain
    assert score_sentiment("sangat enak", "id")[1] > plain
    assert score_sentiment("very good", "en")[1] > score_sentiment("good", "en")[1]


def test_too_makes_a_neutral_attribute_a_complaint_unless_negated():
    assert score_sentiment("too sweet", "en")[0] == "negative"
    assert score_sentiment("terlalu manis", "id")[0] == "negative"
    assert score_sentiment("nggak terlalu manis", "id")[0] != "negative"


def test_emoji_and_emoticons_carry_sentiment():
    assert score_sentiment("😍👍🙏", None)[0] == "positive"
    assert score_sentiment("😡👎💔", None)[0] == "negative"
    assert score_sentiment("great coffee :)", "en")[0] == "positive"
    assert score_sentiment("lama bgt T_T", "id")[0] == "negative"


def test_emoji_are_not_flipped_by_negation():
    assert score_sentiment("Delivery was cancelled without any notice 👎", "en")[0] == "negative"


def test_repeated_exclamation_adds_emphasis():
    assert score_sentiment("enak!!!", "id")[1] > score_sentiment("enak", "id")[1] > 0
    assert score_sentiment("awful!!", "en")[1] < score_sentiment("awful", "en")[1] < 0


def test_elongated_words_are_recognised_but_ordinary_double_letters_are_not_squeezed():
    assert score_sentiment("mantaaappp", "id")[0] == "positive"
    assert score_sentiment("sooo goooood", "en")[0] == "positive"
    assert score_sentiment("The latte is ready for pickup", "en") == ("unknown", 0.0)


def test_downloading_a_free_copy_is_a_negative_signal():
    assert score_sentiment("just download it from BitTorrent instead", "en")[0] == "negative"
    assert score_sentiment("just download it from BitTorrent instead", None)[0] == "negative"


def test_questions_and_statements_without_judgement_are_neutral():
    assert score_sentiment("Do you deliver to Bekasi?", "en") == ("neutral", 0.0)
    assert score_sentiment("Cabang Kemang buka jam berapa hari Minggu?", "id") == ("neutral", 0.0)


def test_unknown_language_and_regional_codes_use_suitable_lexicons():
    assert score_sentiment("kopinya enak banget", None)[0] == "positive"
    assert score_sentiment("kopinya enak banget", "jv")[0] == "positive"
    assert score_sentiment("O café chegou frio", "pt-BR")[0] == "negative"
    assert score_sentiment("Recommended banget kak", "id")[0] == "positive"


def test_scores_stay_within_bounds():
    texts = ["love love love love 😍😍😍😍😍!!!!!", "worst scam ever 😡😡😡😡!!!!!", "", "..."]
    for label, score in score_many(texts, [None] * len(texts)):
        assert -1.0 <= score <= 1.0
        assert label in {"positive", "neutral", "negative", "unknown"}
    assert score_many(texts, ["en"] * len(texts))[0][1] > 0.9


def test_score_many_matches_one_by_one_and_needs_a_language_per_text():
    texts = ["enak", "not good", "Do you deliver?"]
    languages = ["id", "en", "en"]
    assert score_many(texts, languages) == [
        score_sentiment(t, lang) for t, lang in zip(texts, languages, strict=True)
    ]
    with pytest.raises(ValueError):
        score_many(texts, ["en"])


# --- tags -------------------------------------------------------------------------------------


@pytest.fixture
def tagger() -> DictionaryTagger:
    return DictionaryTagger(
        [
            ("brand", "Kopi Nusantara", ["kopi nusantara", "kopnus"]),
            ("product", "Teh Segar", ["teh segar"]),
            ("product", "Teh Segar 1L", ["teh segar 1l", "teh segar 1 liter"]),
            ("location", "Jakarta", ["jakarta", "jkt"]),
            ("location", "São Paulo", ["São Paulo", "sao paulo"]),
            ("location", "München", ["münchen", "muenchen"]),
            ("location", "Bangkok", ["กรุงเทพ", "bangkok"]),
            ("location", "Tokyo", ["東京"]),
        ]
    )


def test_multi_word_terms_match_across_any_whitespace(tagger):
    assert tagger.tags("Baru beli Kopi   Nusantara\ndi mall") == [("brand", "Kopi Nusantara")]


def test_matching_ignores_case(tagger):
    assert tagger.tags("KOPNUS di JAKARTA mantap") == [("brand", "Kopi Nusantara"), ("location", "Jakarta")]


def test_the_longest_term_wins_where_terms_overlap(tagger):
    assert tagger.tags("teh segar 1 liter habis") == [("product", "Teh Segar 1L")]
    assert tagger.tags("Teh Segar 1L enak") == [("product", "Teh Segar 1L")]
    assert tagger.tags("teh segar 1 gelas") == [("product", "Teh Segar")]


def test_terms_only_match_whole_words(tagger):
    assert tagger.tags("Jakartans love coffee") == []
    assert tagger.tags("jkt48 concert") == []
    assert tagger.tags("#jakarta, jakarta! (Jakarta)") == [("location", "Jakarta")]


def test_unicode_terms_match(tagger):
    assert tagger.tags("Café em SÃO PAULO") == [("location", "São Paulo")]
    assert tagger.tags("Kaffee in München") == [("location", "München")]
    # Thai and Japanese are written without spaces between words.
    assert tagger.tags("ไปกรุงเทพวันนี้") == [("location", "Bangkok")]
    assert tagger.tags("東京で飲んだ") == [("location", "Tokyo")]


def test_each_pair_is_returned_once_in_order_of_first_occurrence(tagger):
    text = "Jakarta, jkt, Kopi Nusantara and Jakarta again"
    assert tagger.tags(text) == [("location", "Jakarta"), ("brand", "Kopi Nusantara")]


def test_a_term_shared_by_two_tags_yields_both():
    tagger = DictionaryTagger([("brand", "Segar", ["segar"]), ("product", "Segar Original", ["segar"])])
    assert tagger.tags("minum segar") == [("brand", "Segar"), ("product", "Segar Original")]


def test_an_empty_dictionary_tags_nothing():
    assert DictionaryTagger([]).tags("Jakarta") == []
    assert DictionaryTagger([("location", "Nowhere", ["", "  "])]).tags("Jakarta") == []


def test_unknown_tag_types_are_refused():
    with pytest.raises(ValueError, match="tag type"):
        DictionaryTagger([("colour", "Red", ["red"])])


def test_many_terms_compile_into_one_fast_pattern():
    entries = [("product", f"Blend {n}", [f"blend {n}", f"house blend {n}"]) for n in range(2000)]
    tagger = DictionaryTagger(entries)
    assert tagger.tags("I'd like the house blend 1234 please") == [("product", "Blend 1234")]
    started = time.perf_counter()
    for _ in range(2000):
        tagger.tags("nothing to see here, just a long enough sentence about blends and coffee")
    assert time.perf_counter() - started < 2.0
