"""Renal band edges follow the label: min <= value < max, and a band that includes its upper edge takes it."""

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.rules.renal_hepatic import band_for


def _bands():  # type: ignore[no-untyped-def]
    lab = default_knowledge().label("tofacitinib", "US")
    assert lab is not None and lab.renal is not None
    return lab.renal.bands


def test_tofacitinib_us_crcl_50_is_in_the_moderate_band() -> None:
    """Xeljanz USPI 2.3 Table 1: moderate renal impairment is CLcr 30 to 50 mL/min inclusive."""
    band = band_for(_bands(), 50.0)
    assert band is not None and band.action == "dose-adjustment" and band.max == 50


def test_tofacitinib_us_crcl_just_above_50_is_mild() -> None:
    band = band_for(_bands(), 50.1)
    assert band is not None and band.action == "no-change"


def test_tofacitinib_us_crcl_30_is_moderate_and_29_9_severe() -> None:
    assert band_for(_bands(), 30.0).min == 30  # type: ignore[union-attr]
    assert band_for(_bands(), 29.9).max == 30  # type: ignore[union-attr]
