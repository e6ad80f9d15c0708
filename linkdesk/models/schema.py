"""What the migrations build beside the models, left out when Alembic compares the two (the
schema test, ``flask db migrate``)."""

from .tickets import POSTGRESQL_ONLY_INDEXES, SEARCH_TABLE


def comparison_filters(dialect: str) -> dict:
    """``include_name`` and ``include_object`` for Alembic's comparison on ``dialect``.

    - SQLite's ticket search is an FTS5 virtual table, ``ticket_search``, and the shadow tables
      SQLite keeps for it (``ticket_search_data``, ``_idx``, ``_docsize``, ``_config``). No model
      can declare a virtual table, so Alembic would offer to drop all five: they are not compared.
    - The PostgreSQL trigram index is declared on the model for PostgreSQL only
      (``ddl_if``), which Alembic does not read: elsewhere it is not expected.
    """

    def include_name(name, type_, parent_names) -> bool:
        return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLE))

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES and dialect != "postgresql")

    return {"include_name": include_name, "include_object": include_object}
