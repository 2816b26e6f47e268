"""Offline enrichment applied to mentions at ingest: language, sentiment and dictionary tags.

Everything here runs from what ships with the code and its packages (py3langid's model,
wordfreq's word lists and the lexicons in `lexicons/`); nothing is downloaded at run time.
"""

from listening.enrichment.language import detect_language, detect_languages, strip_markup
from listening.enrichment.sentiment import LEXICON_LANGUAGES, score_many, score_sentiment
from listening.enrichment.tags import DictionaryTagger

__all__ = [
    "LEXICON_LANGUAGES",
    "DictionaryTagger",
    "detect_language",
    "detect_languages",
    "score_many",
    "score_sentiment",
    "strip_markup",
]
