"""GeneRec's chat app: `python app.py` (or a Hugging Face Space) builds the demo and launches it.

The work is in `generec.cli.launch`: `build` (the demo and its app) and `launch` (served behind the door).
"""
from generec.cli.launch import build, launch

__all__ = ["build", "launch"]

if __name__ == "__main__":
    launch()
