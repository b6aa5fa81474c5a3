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

# Odoo's configuration file: CCS_ODOO_CONF (passed on as -c FILE), else what
# Odoo reads by itself ($ODOO_RC, then ~/.odoorc).
ODOO_CONF_ARGS=()
if [ -n "${CCS_ODOO_CONF:-}" ]; then
    [ -f "$CCS_ODOO_CONF" ] && [ -r "$CCS_ODOO_CONF" ] \
        || die "CCS_ODOO_CONF names '$CCS_ODOO_CONF', which is not a readable Odoo configuration file."
    CCS_ODOO_CONF=$(cd "$(dirname "$CCS_ODOO_CONF")" && pwd)/$(basename "$CCS_ODOO_CONF")
    ODOO_CONF_ARGS=(-c "$CCS_ODOO_CONF")
    # Tools started by the scripts (pytest-odoo, the benchmarks) read it too.
    export ODOO_RC=$CCS_ODOO_CONF
fi

# Odoo 18.0: $ODOO_BIN (the `odoo` of a package or a pip install, or a source
# checkout's odoo-bin), or `odoo` on PATH.
find_odoo() {
    ODOO=${ODOO_BIN:-$(command -v odoo || true)}
    [ -n "$ODOO" ] && [ -f "$ODOO" ] && [ ! -x "$ODOO" ] \
        && die "$ODOO is not executable: make it so (chmod +x $ODOO) or set ODOO_BIN to Odoo's launcher."
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
    # A source checkout's odoo-bin imports the odoo package beside it (Python
    # puts the launcher's real folder first on sys.path); do the same.
    ODOO_HOME=$(dirname "$(readlink -f "$ODOO")")
    [ -f "$ODOO_HOME/odoo/__init__.py" ] || ODOO_HOME=""
    odoo_python -c 'import odoo' 2>/dev/null \
        || die "The interpreter $ODOO_PYTHON of $ODOO cannot import odoo: reinstall Odoo 18.0."
    read_odoo_config
}

# Odoo's interpreter, importing the same odoo package as $ODOO.
odoo_python() {
    if [ -n "$ODOO_HOME" ]; then
        PYTHONPATH=$ODOO_HOME${PYTHONPATH:+:$PYTHONPATH} "$ODOO_PYTHON" "$@"
    else
        "$ODOO_PYTHON" "$@"
    fi
}

# Odoo itself, with the configuration file and the addons path of find_addons.
odoo_run() {
    "$ODOO" "${ODOO_CONF_ARGS[@]}" --addons-path="$ADDONS" "$@"
}

# Odoo's own addons path and database connection, parsed by Odoo itself from
# its configuration file and defaults: odoo/addons inside the package (pip,
# Debian), plus the checkout's top-level addons/ (odoo-bin of a git source
# install), or the addons_path of the configuration file.
read_odoo_config() {
    local out
    out=$(odoo_python - "${ODOO_CONF_ARGS[@]}" <<'PY' 2>&1
import sys

from odoo.tools import config

config.parse_config(sys.argv[1:], setup_logging=False)
print("addons_path=" + config["addons_path"])
for key in ("db_host", "db_port", "db_user", "db_password"):
    print(f"{key}={config[key] or ''}")
PY
    ) || die "Odoo could not read its configuration$([ -n "${CCS_ODOO_CONF:-}" ] && printf ' (%s)' "$CCS_ODOO_CONF"): $(tail -n 1 <<<"$out")"
    ODOO_ADDONS_PATH=$(sed -n 's/^addons_path=//p' <<<"$out")
    # psql, createdb and dropdb reach the server Odoo is configured for.
    local value
    value=$(sed -n 's/^db_host=//p' <<<"$out"); [ -n "$value" ] && export PGHOST=$value
    value=$(sed -n 's/^db_port=//p' <<<"$out"); [ -n "$value" ] && export PGPORT=$value
    value=$(sed -n 's/^db_user=//p' <<<"$out"); [ -n "$value" ] && export PGUSER=$value
    value=$(sed -n 's/^db_password=//p' <<<"$out"); [ -n "$value" ] && export PGPASSWORD=$value
    return 0
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
    if ! odoo_python - "$file" <<'PY' 2>/dev/null; then
import re, sys
from importlib import metadata
for line in open(sys.argv[1]):
    name = re.split(r"[<>=!~;\[ ]", line.split("#")[0].strip())[0]
    if name:
        metadata.version(name)
PY
        echo "Installing $(basename "$file") into $ODOO_PYTHON ..."
        odoo_python -m pip install --quiet -r "$file" \
            || die "Could not install $(basename "$file") into $ODOO_PYTHON: install it by hand with pip."
    fi
}

# Odoo looks for add-ons by folder name; the repository root is the add-on,
# whatever the clone is called, so expose it under its module name, and put
# that folder first on Odoo's own addons path (so this checkout wins over any
# other copy of the add-on). Sets ADDONS.
find_addons() {
    mkdir -p "$CACHE/addons"
    ln -sfn "$REPO" "$CACHE/addons/$MODULE"
    ADDONS=$CACHE/addons
    local dir
    local IFS=,
    for dir in $ODOO_ADDONS_PATH; do
        [ -n "$dir" ] && [ "$dir" != "$CACHE/addons" ] && ADDONS=$ADDONS,$dir
    done
    # The benchmarks (bench/benchlib.py) use the same path.
    export CCS_ADDONS_PATH=$ADDONS
}

# One value from SQL; psql variables (-v name=value, quoted in the query as
# :'name') carry every value, never pasted into the SQL text. psql expands
# variables only in what it reads, not in -c, hence the standard input.
# Usage: sql_value DB "select ... :'name'" name=value ...
sql_value() {
    local db=$1 query=$2
    shift 2
    local vars=() pair
    for pair in "$@"; do vars+=(-v "$pair"); done
    psql -X -d "$db" -At -v ON_ERROR_STOP=1 "${vars[@]}" <<<"$query"
}

db_exists() {
    [ "$(sql_value postgres "select 1 from pg_database where datname = :'name'" name="$1" 2>/dev/null)" = 1 ]
}
