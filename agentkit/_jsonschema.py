"""The JSON Schema of one parameter type, cached per type, from a cheaper pydantic generator; same output.

Why a faster path: a tool module that brings its own nested models makes pydantic describe every one of
them once, and most of that cost is the stock generator's fixed overhead per model, not the fields: a
naming and de-duplication pass over all definitions, a handler chain built for every core schema node,
a TypeAdapter per default. Measured on a two-model parameter (bench/tool_schemas.py, worst case): about
0.45 ms per parameter type with the stock ``generate``, about 0.14 ms with :class:`NamingGenerator`.

Only pydantic's public generator API is used (its overridable methods and documented attributes). Any
case the shortcuts are not sure of goes to pydantic's own ``generate``, and tests compare the output with
pydantic's stock generator's, byte for byte, on fixed and random types.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Callable
from typing import Any, cast

from pydantic import VERSION as PYDANTIC_VERSION, BaseModel, ConfigDict, TypeAdapter
from pydantic.json_schema import (
    CoreModeRef,
    DefsRef,
    GenerateJsonSchema,
    JsonRef,
    JsonSchemaMode,
    JsonSchemaValue,
    PydanticJsonSchemaWarning,
)
from pydantic_core import CoreSchema, core_schema

ARGUMENT_CONFIG = ConfigDict(extra="forbid")
"""The argument model's config; plain dataclasses and TypedDicts inside it inherit it (closed objects)."""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_CLASS_NAME = re.compile(r"[A-Za-z0-9_]+")
_NAMING = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2]) >= (2, 11)
"""NamingGenerator mirrors ``generate``, ``generate_inner`` and the reference walks as they are from
pydantic 2.11 on (2.10 and earlier differ in details, such as ``allOf`` wrapping): older ones skip it."""


class SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator, with two costs taken out:

    - plain JSON defaults (None, str, int, finite float, bool, empty containers) are written as they are:
      the stock ``encode_default`` builds a TypeAdapter for every default of every nested model field;
      other defaults go through pydantic's own encoder;
    - the ``<core type>_schema`` methods are looked up when first needed, not all 64 for every generator.
    """

    def build_schema_type_to_method(self) -> dict[Any, Callable[[Any], JsonSchemaValue]]:
        return _Methods(self)

    def encode_default(self, dft: Any) -> Any:
        if dft is None or type(dft) in (str, int, bool) or (type(dft) is float and math.isfinite(dft)):
            return dft
        if type(dft) in (list, tuple, dict) and not dft:
            return {} if type(dft) is dict else []
        return super().encode_default(dft)


class _Methods(dict[Any, Callable[[Any], JsonSchemaValue]]):
    """Core schema type -> the generator's method for it, looked up by pydantic's naming rule on first use."""

    def __init__(self, generator: GenerateJsonSchema) -> None:
        super().__init__()
        self._generator = generator

    def __missing__(self, key: str) -> Callable[[Any], JsonSchemaValue]:
        method: Callable[[Any], JsonSchemaValue] = getattr(self._generator, f"{key.replace('-', '_')}_schema")
        self[key] = method
        return method


class Declined(Exception):
    """A schema :class:`NamingGenerator` is not sure to write as pydantic would: pydantic's own path does."""


class NamingGenerator(SchemaGenerator):
    """A validation-mode generator without pydantic's per-model fixed costs, for the same output:

    - each definition is named with its class name at once (the name pydantic ends up giving it when no
      other definition wants it; anything else is :class:`Declined`). The stock ``generate`` names them
      in full (module, qualname, id, mode), then runs a de-duplication and renaming pass (a deep copy, a
      hash of every definition for each of six candidate names, two rewrites of the schema): about 40% of
      describing a new model;
    - a core schema node without a ``ref`` or JSON Schema hooks (most of them: fields, str, list...) goes
      straight to its method, without the stock ``generate_inner``'s handler chain built for every node;
    - ``mode`` is "validation" throughout: a class whose config overrides it is declined.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owners: dict[str, CoreModeRef] = {}
        self._methods = self.build_schema_type_to_method()

    @property
    def mode(self) -> JsonSchemaMode:
        return "validation"

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        """The stock ``generate`` without the renaming pass: unpack a top-level ``$ref`` used once, keep
        the definitions it reaches, sort."""
        if mode != "validation":
            raise Declined(mode)
        json_schema = self.generate_inner(schema)
        top = json_schema.get("$ref") if len(json_schema) == 1 else None
        reached: set[DefsRef] = set()
        recursive = False
        pending = _json_refs(json_schema)
        while pending:
            ref = pending.pop()
            if ref.startswith(("http://", "https://")) or self.json_to_defs_refs[ref] in reached:
                continue
            reached.add(self.json_to_defs_refs[ref])
            found = _json_refs(self.definitions[self.json_to_defs_refs[ref]])
            recursive = recursive or top in found
            pending |= found
        if top is not None and not recursive and not top.startswith(("http://", "https://")):
            reached.discard(self.json_to_defs_refs[top])
            json_schema = self.definitions[self.json_to_defs_refs[top]].copy()
        definitions = {name: value for name, value in self.definitions.items() if name in reached}
        if definitions:
            json_schema["$defs"] = definitions
        return self.sort(json_schema)

    def generate_inner(self, schema: Any) -> JsonSchemaValue:  # a core schema, or a field of one
        if "ref" in schema or schema.get("metadata"):
            return super().generate_inner(schema)
        return self._methods[schema["type"]](schema)

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        # pydantic's first choice: the ref's last dotted part without its ":id". Only plain names, without
        # "__" or "-" (which pydantic's longer choices contain) and generic arguments, each with one owner.
        name = core_mode_ref[0].rsplit(":", 1)[0].rsplit(".", 1)[-1]
        if not _CLASS_NAME.fullmatch(name) or "__" in name:
            raise Declined(name)
        if self._owners.setdefault(name, core_mode_ref) != core_mode_ref:
            raise Declined(name)
        return DefsRef(name)

    # The classes whose config pydantic's generator follows inside them: declined if it switches the mode.
    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        _check_mode(schema["cls"].model_config)
        return super().model_schema(schema)

    def dataclass_schema(self, schema: core_schema.DataclassSchema) -> JsonSchemaValue:
        _check_mode(getattr(schema["cls"], "__pydantic_config__", None))
        return super().dataclass_schema(schema)

    def typed_dict_schema(self, schema: core_schema.TypedDictSchema) -> JsonSchemaValue:
        _check_mode(getattr(schema.get("cls"), "__pydantic_config__", None))
        return super().typed_dict_schema(schema)


def _check_mode(config: Any) -> None:
    if isinstance(config, dict) and config.get("json_schema_mode_override") not in (None, "validation"):
        raise Declined(config["json_schema_mode_override"])


def _json_refs(node: Any) -> set[JsonRef]:
    """Every ``$ref`` in a schema, skipping ``examples`` lists (data), the way pydantic collects them. A
    property named "$ref" is declined: pydantic's reference counting stops at it."""
    refs: set[JsonRef] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            for key, value in current.items():
                if key == "$ref":
                    if not isinstance(value, str):
                        raise Declined(key)
                    refs.add(JsonRef(value))
                elif isinstance(value, (dict, list)) and not (key == "examples" and isinstance(value, list)):
                    stack.append(value)
    return refs


def generated(json_schema: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """``json_schema(schema_generator=...)`` by :class:`NamingGenerator` when it takes the case, else by
    pydantic's own ``generate``."""
    if _NAMING:
        try:
            return json_schema(schema_generator=NamingGenerator)
        except Declined:
            pass
    return json_schema(schema_generator=SchemaGenerator)


def type_schema(hint: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A parameter type's schema as pydantic writes it for a field (models as ``$ref``), and its $defs."""
    try:
        hash(hint)
    except TypeError:
        return _uncached_type_schema(hint)
    return _cached_type_schema(hint)


def _uncached_type_schema(hint: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", PydanticJsonSchemaWarning)
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            found = _model_schema(hint)
            if found is not None:
                return found
        adapter = TypeAdapter(cast(Any, list)[hint], config=ARGUMENT_CONFIG)  # items: the field form
        schema = generated(adapter.json_schema)
    return schema["items"], schema.get("$defs", {})


def _model_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A model's field form (``$ref`` to its definition) from its own top-level schema, which pydantic
    writes in about two thirds of the time of the ``list[Model]`` form. The definition name is the one
    pydantic gives a model (its class name); None when that is not certain (generic or recursive models,
    a nested model of the same name): the general path then decides."""
    short = model.__qualname__.rsplit(".", 1)[-1]
    if not _PLAIN_NAME.fullmatch(short) or model.__pydantic_generic_metadata__["origin"] is not None:
        return None
    schema = generated(model.model_json_schema)
    defs = schema.pop("$defs", {})
    if "$ref" in schema or short in defs:
        return None
    defs[short] = schema
    return {"$ref": f"#/$defs/{short}"}, defs


_cached_type_schema = functools.lru_cache(maxsize=1024)(_uncached_type_schema)
"""Types repeat across tools (str, int, shared models): each is described once. Never mutate results."""
