"""Shared by the benchmark scripts: where Odoo finds this add-on.

The repository root is the add-on, whatever the clone is called; like
scripts/lib.sh, expose it as ``crm_client_suite`` in a cache folder and use
that folder as the addons path.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def addons_path():
    cache = os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "crm_client_suite", "addons"
    )
    os.makedirs(cache, exist_ok=True)
    link = os.path.join(cache, "crm_client_suite")
    if os.path.realpath(link) != REPO:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(REPO, link)
    return cache
