"""The print agent: runs on a register PC, prints the server's jobs on the local ESC/POS printer.

Imports nothing from Django or the rest of the app, so it installs alone
(``pip install -r devices/agent/requirements.txt``).
"""
