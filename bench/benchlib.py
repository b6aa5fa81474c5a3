"""Shared by the benchmark scripts: where Odoo finds this add-on.

The repository root is the add-on, whatever the clone is called; like
scripts/lib.sh, expose it as ``crm_client_suite`` in a cache folder and put
that folder first on the addons path Odoo itself would use (its
configuration file, ``$ODOO_RC`` or ``~/.odoorc``, else the folders of the
Odoo installation). scripts/test passes the path it computed in
``CCS_ADDONS_PATH``.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def addons_path():
    if os.environ.get("CCS_ADDONS_PATH"):
        return os.environ["CCS_ADDONS_PATH"]
    cache = os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "crm_client_suite", "addons"
    )
    os.makedirs(cache, exist_ok=True)
    link = os.path.join(cache, "crm_client_suite")
    if os.path.realpath(link) != REPO:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(REPO, link)
    from odoo.tools import config

    config.parse_config([], setup_logging=False)
    return ",".join([cache] + [path for path in config["addons_path"].split(",") if path and path != cache])
