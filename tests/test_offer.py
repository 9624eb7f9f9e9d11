"""When the chat offers to make a video: the run of answers that went badly, by rejections or by all signals."""
from __future__ import annotations

import pytest

from generec.instructor.offer import Answer, OfferRule, bad_run

UNPLAYED = Answer(played=0)
SHORT = Answer(played=2, best_share=0.1)
LONG = Answer(played=1, best_share=0.8)
MIDDLING = Answer(played=1, best_share=0.45)
SAID_NO = Answer(played=1, best_share=0.45, said_no=True)


def test_rejections_count_unplayed_answers_and_thumbs_down_and_a_like_ends_the_run():
    assert bad_run([UNPLAYED, UNPLAYED, Answer(thumbs_down=True, played=1)], signals=False) == 3
    assert bad_run([UNPLAYED, Answer(thumbs_up=True, played=1), UNPLAYED], signals=False) == 1
    # short watches and words are not rejections under the old rule: passed over
    assert bad_run([UNPLAYED, SHORT, SAID_NO, UNPLAYED], signals=False) == 2
    assert bad_run([UNPLAYED, LONG, UNPLAYED], signals=False) == 2


def test_signals_also_count_short_watches_and_words_and_a_long_watch_ends_the_run():
    assert bad_run([UNPLAYED, SHORT, SAID_NO], signals=True) == 3
    assert bad_run([UNPLAYED, LONG, SHORT], signals=True) == 1
    assert bad_run([UNPLAYED, MIDDLING, SHORT], signals=True) == 2   # a middling watch neither counts nor ends
    assert bad_run([SHORT, Answer(played=1, best_share=0.2, said_yes=True)], signals=True) == 0


def test_the_rule_offers_at_its_threshold_and_never_when_told():
    rule = OfferRule.parse("signals:2")
    assert not rule([SHORT]) and rule([SHORT, SAID_NO]) and rule.name == "signals:2"
    assert OfferRule.parse("rejections:3")([UNPLAYED] * 3) and not OfferRule.parse("rejections:3")([UNPLAYED, SHORT, UNPLAYED])
    assert not OfferRule.parse("never")([UNPLAYED] * 10)
    for bad in ("sometimes", "signals:0", "signals:x"):
        with pytest.raises(ValueError):
            OfferRule.parse(bad)
