"""SQL the reports and the analytics upkeep share: covering indexes for index-only reads, and reads
with planner settings of their own (without PostgreSQL's JIT ...)."""

from contextlib import contextmanager

from odoo.tools import SQL
from odoo.tools.sql import index_exists


def create_covering_index(cr, indexname, tablename, keys, include, where=""):
    """Create a btree index on ``keys`` that also holds the ``include`` columns, unless it exists.

    A report's grouped read then scans the index alone (an index-only scan), not the wide rows of
    its table: the reports read a few columns of a million deals or partners."""
    if index_exists(cr, indexname):
        return
    cr.execute(
        SQL(
            "CREATE INDEX %s ON %s (%s) INCLUDE (%s)%s",
            SQL.identifier(indexname),
            SQL.identifier(tablename),
            SQL(", ").join(SQL.identifier(key) for key in keys),
            SQL(", ").join(SQL.identifier(column) for column in include),
            SQL(" WHERE %s", SQL(where)) if where else SQL(),
        )
    )


@contextmanager
def planner_settings(cr, **settings):
    """PostgreSQL planner settings for the statements run inside, then back to what they were.

    Local to the transaction: an error rolls them back with the transaction or savepoint. For
    instance ``jit="off"``, for a statement whose estimated cost crosses ``jit_above_cost`` but which
    runs in well under a second (many UNION ALL branches, many index lookups): compiling it would take
    longer than running it."""
    names = sorted(settings)
    cr.execute(
        SQL(
            "SELECT %s FROM (SELECT %s OFFSET 0) old",
            SQL(", ").join(
                SQL("old.%s, set_config(%s, %s, true)", SQL.identifier(name), name, str(settings[name]))
                for name in names
            ),
            SQL(", ").join(SQL("current_setting(%s) AS %s", name, SQL.identifier(name)) for name in names),
        )
    )
    [row] = cr.fetchall()
    previous = row[::2]
    yield
    cr.execute(
        SQL(
            "SELECT %s",
            SQL(", ").join(
                SQL("set_config(%s, %s, true)", name, value) for name, value in zip(names, previous, strict=True)
            ),
        )
    )


def without_jit(cr):
    """PostgreSQL's JIT off for the statements run inside (see ``planner_settings``)."""
    return planner_settings(cr, jit="off")
