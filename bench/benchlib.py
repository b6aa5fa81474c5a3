"""Shared by the benchmark scripts: where Odoo finds this add-on, and the
database a script works on.

The repository root is the add-on, whatever the clone is called; like
scripts/lib.sh, expose it as ``crm_client_suite`` in a cache folder and put
that folder first on the addons path Odoo itself would use (its
configuration file, ``$ODOO_RC`` or ``~/.odoorc``, else the folders of the
Odoo installation). scripts/test passes the path it computed in
``CCS_ADDONS_PATH``.
"""

import os
import subprocess

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


def ensure_modules(db, modules, addons_path):
    """Install into ``db`` (created when missing) those of ``modules`` it does
    not have yet, without demo data; nothing when it has them all."""
    listing = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout.split("\n")
    if any(line.split("|")[0].strip() == db for line in listing):
        installed = subprocess.run(
            ["psql", "-d", db, "-Atc", "SELECT name FROM ir_module_module WHERE state = 'installed'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        modules = [name for name in modules if name not in installed]
        if not modules:
            return
    print(f"installing {', '.join(modules)} into {db}...", flush=True)
    subprocess.run(
        ["odoo", "-d", db, "--addons-path", addons_path, "-i", ",".join(modules), "--without-demo=all"]
        + ["--stop-after-init", "--log-level=warn", "--max-cron-threads=0"],
        check=True,
    )
