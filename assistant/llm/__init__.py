"""LLM providers: local GGUF via llama.cpp, OpenAI-compatible servers, Ollama; model setup."""
