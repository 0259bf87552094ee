"""Evaluation: question sets, metrics, baselines and reports."""
