"""Predictive calibration of the scoring-rule seeds (``lead-funnel calibrate``, issues 15, 20).

``history`` reads what the rules see from a built warehouse; ``outcomes`` picks the contacts
with a known outcome and observes each at its horizon (created_at + H); ``features`` turns what
the rules see there into one feature per rule, current and ``candidates``; ``model`` fits the
regularised logistic regression and turns it into integer points and an MQL threshold;
``proposal`` ties them together and judges the result; ``report`` writes it (docs/calibration.md).
"""
