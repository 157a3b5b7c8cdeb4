"""Predictive calibration of the scoring-rule seeds (``lead-funnel calibrate``, issue 15).

``history`` reads what the rules see from a built warehouse, ``features`` turns it into one
feature per rule (current and candidate) at each contact's prediction moment, ``model`` fits
the regularised logistic regression and turns it into integer points and an MQL threshold;
:mod:`lead_funnel.calibrate` ties them together and writes the proposal and its report.
"""
