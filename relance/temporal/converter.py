"""The data converter of every client and worker: the SDK's pydantic converter (datetime and Decimal
fields need it), with one TypeAdapter cache for the whole process.

The workflow sandbox builds a payload converter per workflow, so the SDK's per-converter cache was
empty for every run and rebuilt RunPlan's adapter each time (bench/: ~3% of the worker's CPU).
The payloads are the same bytes as with `pydantic_data_converter`.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

_type_adapter = functools.lru_cache(maxsize=1024)(TypeAdapter)


class SharedCacheJSONConverter(PydanticJSONPlainPayloadConverter):
    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint = Any if type_hint is None else type_hint
        try:
            adapter = _type_adapter(hint)
        except TypeError:  # an unhashable hint cannot be cached
            adapter = TypeAdapter(hint)
        return adapter.validate_json(payload.data)


# One instance for the process: it holds no state of its own (the adapters are in _type_adapter), and
# building one per workflow instance (pydantic's SchemaSerializer, an lru_cache wrapper) inside the
# sandbox cost ~0.5 ms per run (bench/, py-spy).
_JSON = SharedCacheJSONConverter()


class RelancePayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(*(_JSON if isinstance(c, JSONPlainPayloadConverter) else c
                           for c in DefaultPayloadConverter.default_encoding_payload_converters))


DATA_CONVERTER = DataConverter(payload_converter_class=RelancePayloadConverter)
