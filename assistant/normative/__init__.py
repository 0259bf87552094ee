"""Normative sentences by rule (modality, actor, deadline, condition): used by answering and the register."""
