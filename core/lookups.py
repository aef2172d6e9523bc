"""`field__in_array=[ids]`: membership in a long list of integers, sent as one parameter.

`pk__in=ids` puts one placeholder per value in the SQL: for the 2,000 recipients of an
alert that is a 2,000-parameter statement which the driver parses and adapts value by
value on every call (~10 ms of Python). Here the list travels as one value: a PostgreSQL
bigint array literal (`= ANY(%s::bigint[])`, core.sql), or one JSON text that SQLite's `json_each` takes apart.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import IntegerField, Lookup

from core.sql import int_array


@IntegerField.register_lookup
class InArray(Lookup):
    lookup_name = "in_array"

    def get_prep_lookup(self) -> list[int]:
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, int_array(self.rhs))
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(self.rhs))  # noqa: S608
