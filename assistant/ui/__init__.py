"""The Gradio chat: server and /pdf, blocks, rendering, tabs, evidence packs, feedback."""
