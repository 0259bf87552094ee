"""The assistant: hybrid retrieval, answerers with citations, CLI and chat UI."""
