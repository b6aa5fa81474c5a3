# Shared helpers of scripts/run and scripts/test. Source it; do not run it.
# Every check stops with one clear sentence instead of a traceback.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE=crm_client_suite
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/$MODULE
mkdir -p "$CACHE/logs"

die() {
    printf '%s\n' "$*" >&2
    exit 1
}

# Odoo 18.0: $ODOO_BIN, or `odoo` on PATH.
find_odoo() {
    ODOO=${ODOO_BIN:-$(command -v odoo || true)}
    [ -n "$ODOO" ] && [ -x "$ODOO" ] \
        || die "Odoo 18.0 was not found: install it (see README.md, 'Install Odoo 18.0') and put 'odoo' on PATH or set ODOO_BIN."
    local version
    version=$("$ODOO" --version 2>/dev/null | grep -o 'Odoo Server [0-9.a-z~+-]*' || true)
    case "$version" in
        "Odoo Server 18.0"*) ;;
        *) die "$ODOO is not Odoo 18.0 (it says '${version:-nothing}'): CRM Client Suite needs Odoo 18.0." ;;
    esac
    # The interpreter Odoo runs with, read from its launcher.
    local shebang
    shebang=$(head -n 1 "$ODOO")
    case "$shebang" in
        '#!/usr/bin/env '*) ODOO_PYTHON=$(command -v "${shebang#'#!/usr/bin/env '}") ;;
        '#!'*) ODOO_PYTHON=${shebang#'#!'} ;;
        *) ODOO_PYTHON=$(command -v python3) ;;
    esac
    ODOO_PYTHON=${ODOO_PYTHON%% *}
    [ -x "$ODOO_PYTHON" ] || die "Cannot find the Python interpreter of $ODOO."
    "$ODOO_PYTHON" -c 'import odoo' 2>/dev/null \
        || die "The interpreter $ODOO_PYTHON of $ODOO cannot import odoo: reinstall Odoo 18.0."
}

# PostgreSQL: a reachable server, started if installed but stopped, with a
# role for the current user.
ensure_postgres() {
    command -v psql >/dev/null 2>&1 \
        || die "PostgreSQL was not found: install it (Debian/Ubuntu: 'apt-get install postgresql') and run this command again."
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        if command -v pg_lsclusters >/dev/null 2>&1; then
            pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
                if [ "$status" != online ]; then
                    if [ "$(id -u)" = 0 ]; then
                        pg_ctlcluster "$ver" "$name" start >/dev/null 2>&1 || true
                    else
                        sudo -n pg_ctlcluster "$ver" "$name" start >/dev/null 2>&1 || true
                    fi
                fi
            done
            sleep 1
        fi
        if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            su postgres -c "createuser --superuser $(id -un)" >/dev/null 2>&1 || true
        fi
        psql -d postgres -Atc 'select 1' >/dev/null 2>&1 \
            || die "PostgreSQL is installed but not reachable by user '$(id -un)': start it and create that role (createuser --createdb $(id -un))."
    fi
}

# Python packages the add-on needs beyond Odoo's own, in Odoo's interpreter.
ensure_requirements() {
    local file=$1
    [ -s "$file" ] || return 0
    if ! "$ODOO_PYTHON" - "$file" <<'PY' 2>/dev/null; then
import re, sys
from importlib import metadata
for line in open(sys.argv[1]):
    name = re.split(r"[<>=!~;\[ ]", line.split("#")[0].strip())[0]
    if name:
        metadata.version(name)
PY
        echo "Installing $(basename "$file") into $ODOO_PYTHON ..."
        "$ODOO_PYTHON" -m pip install --quiet -r "$file" \
            || die "Could not install $(basename "$file") into $ODOO_PYTHON: install it by hand with pip."
    fi
}

# Odoo looks for add-ons by folder name; the repository root is the add-on,
# whatever the clone is called, so expose it under its module name.
addons_path() {
    mkdir -p "$CACHE/addons"
    ln -sfn "$REPO" "$CACHE/addons/$MODULE"
    printf '%s' "$CACHE/addons"
}

db_exists() {
    psql -d postgres -Atc "select 1 from pg_database where datname = '$1'" | grep -q 1
}
