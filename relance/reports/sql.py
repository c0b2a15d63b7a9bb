"""Running a report's SQL: read-only text queries, their parameters bound, rows as mappings."""

from __future__ import annotations

from sqlalchemy import text

from relance.db import Database
from relance.reports.period import Scope


def scenario_filter(scope: Scope, alias: str = "s") -> str:
    """The SQL condition a scenario filter adds (its values are bound parameters, never pasted)."""
    parts = [f"{alias}.key = :scenario"] * (scope.scenario is not None)
    parts += [f"{alias}.version = :version"] * (scope.version is not None)
    return "".join(f" AND {part}" for part in parts)


async def rows(db: Database, queries: dict[str, str], scope: Scope, explain: bool = False) -> dict[str, list[dict]]:
    """Each query's rows, in one read-only transaction (one snapshot: the parts of a report agree); with
    `explain`, each query's plan as PostgreSQL ran it, with its timings (bench/reports.py --explain)."""
    params = scope.params()
    async with db.session() as session:
        connection = await session.connection()
        await connection.execute(text("SET TRANSACTION READ ONLY"))
        # JIT compiling costs more than these queries save by it (bench/reports.py: 0.5 s of 0.65 s).
        await connection.execute(text("SET LOCAL jit = off"))
        # A year of 100,000 invoices hashes and sorts tens of MB: in memory, not spilled to temporary files
        # (4 MB by default; bench/reports.py: 3.1 s of wall time for 2.0 s of CPU, most of the gap was those).
        await connection.execute(text("SET LOCAL work_mem = '64MB'"))
        found = {}
        for name, query in queries.items():
            bound = {key: value for key, value in params.items() if f":{key}" in query}
            query = f"EXPLAIN (ANALYZE, BUFFERS) {query}" if explain else query
            found[name] = [dict(row) for row in (await connection.execute(text(query), bound)).mappings()]
        return found
