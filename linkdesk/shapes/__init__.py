"""How linkdesk's objects look in JSON, declared once (pydantic v2 models).

A ticket, a center, a document, a cutover, a link: each is one model here, with a builder from
the ORM object (``ticket_json``, ``center_json``…). The JSON API answers with them, notifications
send them to webhooks, and the OpenAPI document of ``/api/v1`` is generated from them
(``api.openapi``), so that the answer, the payload and the document cannot drift apart.

The package sits beside the features, below the API and notify: it imports ``models`` and the
rules it reads (the probe's state), never ``api``, ``notify``, views or operations.

- ``registry``: a center, a service;
- ``tickets``: a ticket (list item and detail), its documents, history and probe;
- ``calendar``: the earliest cutover, the picker's days, the cutover calendar;
- ``links``: the link registry's live addresses and their health;
- ``overview``: the national picture (总览);
- ``webhooks``: the events a webhook channel receives.

A model's docstring and its fields' ``description`` are the document's text (Chinese: it is read
by the centers' and provinces' developers).
"""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema

# A moment, written as datetime.isoformat() writes it ("2026-11-27T02:00:00+00:00"), as the API
# always has; pydantic's own form would end in "Z".
Timestamp = Annotated[
    datetime, PlainSerializer(datetime.isoformat, return_type=str), WithJsonSchema({"type": "string", "format": "date-time"})
]
Day = Annotated[date, WithJsonSchema({"type": "string", "format": "date"})]


class Shape(BaseModel):
    """An object as the API writes it: every field present (null, never missing), in order."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    def as_json(self) -> dict[str, Any]:
        """The JSON object (dates and moments as ISO text, enums as their values)."""
        return self.model_dump(mode="json")


class DocumentSchema(GenerateJsonSchema):
    """JSON Schema 2020-12 for the OpenAPI document: no generated ``title`` on each property, no
    ``default`` (an absent field means what the rules say, which the description tells)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema):
        return self.generate_inner(schema["schema"])
