"""SQL the reports and the analytics upkeep share: covering indexes for index-only reads, and reads
without PostgreSQL's JIT."""

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
def without_jit(cr):
    """PostgreSQL's JIT off for the statements run inside, then back to what it was.

    For a statement whose estimated cost crosses ``jit_above_cost`` but which runs in well under a
    second (many UNION ALL branches, many index lookups): compiling it would take longer than running
    it. The setting is local to the transaction: an error rolls it back with the transaction or
    savepoint."""
    cr.execute(
        SQL("SELECT old.jit, set_config('jit', 'off', true) FROM (SELECT current_setting('jit') AS jit OFFSET 0) old")
    )
    [(jit, _off)] = cr.fetchall()
    yield
    cr.execute(SQL("SELECT set_config('jit', %s, true)", jit))
