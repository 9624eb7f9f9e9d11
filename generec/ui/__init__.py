"""Front ends: the Gradio chat. Only this package imports gradio."""
