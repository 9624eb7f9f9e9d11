"""The instructor: turns what a person says (text, voice, pictures) into guidance, and guidance into tool calls."""
