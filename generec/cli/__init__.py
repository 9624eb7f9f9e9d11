"""The outer layer's command line: `python -m generec <command>` (main.py), starting the app
(launch.py, which `app.py` calls), turning built media into a live corpus (bootstrap.py), and one
module per command family (editor, creator, fidelity, recsys). It may import anything; nothing in
the package imports it.
"""
