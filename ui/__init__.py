"""The Gradio app: chat with cited sources, documents, feedback and export (gradio is imported only here)."""
