"""Answering: evidence scoring, the answerability model, sentence selection and abstention."""
