"""Real-browser tests: JupyterLab in headless Chromium (Debian's `chromium`, driven by Playwright).

``lab.py`` starts and stops a throw-away JupyterLab server; ``test_lab_player.py`` runs a course
notebook in it and clicks through the step-through player.
"""
