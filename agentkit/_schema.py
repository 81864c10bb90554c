"""From a function's signature and docstring to a JSON Schema and an argument validator.

Built once per tool at decoration time: a pydantic model (``create_model``) holds one field per parameter,
so pydantic both writes the JSON Schema and validates the model's arguments with the same rules. Each field
is named ``p0``, ``p1``... internally, with the parameter's name as its alias, so a parameter may be called
``json``, ``model_config`` or ``schema`` without clashing with ``BaseModel``'s own attributes.

The schema is normalised (titles dropped, keys in one fixed order) so that its serialisation is the same
bytes every time and on every pydantic version we support: request prefixes stay cache-friendly.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
import sys
import types
import typing
import warnings
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple, cast, get_args, get_origin

import docstring_parser
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model
from pydantic.errors import PydanticUserError
from pydantic.fields import FieldInfo
from pydantic.json_schema import PydanticJsonSchemaWarning
from pydantic_core import PydanticSerializationError, to_jsonable_python

from ._context import RunContext
from ._errors import ToolDefinitionError
from ._feedback import error_lines
from ._jsonschema import ARGUMENT_CONFIG, SchemaGenerator, type_schema
from ._strict import to_strict

# Key order of every schema object we emit; keys not listed follow in alphabetical order.
_ORDER = (
    "type", "description", "$ref", "enum", "const", "format", "pattern",
    "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
    "items", "prefixItems", "minItems", "maxItems", "uniqueItems",
    "properties", "required", "additionalProperties", "anyOf", "oneOf", "allOf", "default", "$defs",
)  # fmt: skip


class _Rank(dict[str, tuple[int, str]]):
    """Sort key of a schema key: its place in ``_ORDER``, then its name (a C-level lookup when listed)."""

    def __missing__(self, key: str) -> tuple[int, str]:
        return len(_ORDER), key


_RANK = _Rank({key: (rank, key) for rank, key in enumerate(_ORDER)})
_SCHEMA_MAPS = frozenset(
    {"properties", "$defs", "$def", "definitions", "patternProperties", "dependentSchemas"}
)
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_ONE = frozenset(
    {"items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else"}
)

_NUMPY_SECTION = re.compile(r"^\s*[A-Za-z ]+\n\s*-{3,}\s*$", re.MULTILINE)


class FunctionSchema:
    """What a tool knows about its function: the wire schema and how to validate arguments for it.

    The argument model is created on first use when the schema did not need it (the fast path), so
    decorating stays cheap; it is created once per tool either way.
    """

    def __init__(
        self,
        *,
        description: str,
        parameters: dict[str, Any],
        fields: tuple[tuple[str, str], ...],
        context_param: str | None,
        signature: inspect.Signature,
        make_model: Callable[[], type[BaseModel]],
    ) -> None:
        self.description = description
        self.parameters = parameters
        self.fields = fields
        """(internal field name, parameter name) for every parameter the model fills, in signature order."""
        self.context_param = context_param
        self.signature = signature
        self._make_model = make_model
        self._model: type[BaseModel] | None = None

    @property
    def model(self) -> type[BaseModel]:
        if self._model is None:
            self._model = self._make_model()
        return self._model

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate decoded JSON arguments; returns ``{parameter: value}``. Raises ``ValidationError``."""
        instance = self.model.model_validate(data)
        return {param: getattr(instance, field) for field, param in self.fields}


class _Param(NamedTuple):
    field: str
    name: str
    hint: Any
    doc: str | None
    default: Any


def build_function_schema(
    func: Callable[..., Any],
    *,
    name: str,
    description: str | None,
    strict: bool,
    localns: dict[str, Any] | None = None,
    reference: bool = False,
) -> FunctionSchema:
    """Build the schema of ``func``; raises ToolDefinitionError naming the parameter and the fix.

    The fast path assembles the parameters object from one cached JSON Schema per parameter type; the
    reference path (``reference=True``, and the fallback whenever the fast path declines) asks pydantic
    for the schema of the whole argument model. Tests check that both give the same schema.
    """
    target = _annotated_target(func)
    summary, param_docs = parse_docstring(target.__doc__)
    signature = inspect.signature(func)
    hints = _type_hints(target, name, localns)

    params: list[_Param] = []
    context_param: str | None = None
    for index, (pname, param) in enumerate(signature.parameters.items()):
        where = f"Tool {name!r}, parameter {pname!r}"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise ToolDefinitionError(
                f"{where}: {star}{pname} is not supported, because the model must know every argument by "
                f"name. Declare each argument as a typed parameter, or take one pydantic model."
            )
        hint = hints.get(pname, Any)
        if _is_run_context(hint):
            if context_param is not None:
                raise ToolDefinitionError(f"{where}: only one parameter may be a RunContext")
            context_param = pname
            continue
        if index == 0 and pname in ("self", "cls") and param.annotation is param.empty:
            raise ToolDefinitionError(
                f"{where}: this looks like a method. Decorate a plain function, or pass the bound method "
                f"(tool(instance.method))."
            )
        params.append(_Param(f"p{index}", pname, hint, param_docs.get(pname), _default(param, where)))

    def make_model() -> type[BaseModel]:
        try:
            fields = {p.field: (_field_annotation(p.hint, p.doc, p.name), p.default) for p in params}
        except (TypeError, AttributeError) as exc:  # a hint that is not a type at all, e.g. `x: ...`
            raise _culprit(name, hints, signature, exc) from exc
        return _create_model(name, fields, hints, signature)

    parameters = None if reference else _fast_parameters(params)
    if parameters is None:
        model = make_model()
        parameters = normalize(_json_schema(model, name))
        make_model = functools.partial(lambda m: m, model)
    if strict:
        parameters = normalize(to_strict(parameters, tool_name=name))
    return FunctionSchema(
        description=summary if description is None else description,
        parameters=parameters,
        fields=tuple((p.field, p.name) for p in params),
        context_param=context_param,
        signature=signature,
        make_model=make_model,
    )


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Summary (short and long description) and per-parameter descriptions, in any style
    docstring-parser knows (Google, NumPy, reST, Epydoc). A missing or odd docstring is never an error."""
    if not doc or not doc.strip():
        return "", {}
    try:
        parsed = docstring_parser.parse(doc, _docstring_style(doc))
    except docstring_parser.ParseError:
        return inspect.cleandoc(doc), {}
    parts = [part.strip() for part in (parsed.short_description, parsed.long_description) if part]
    params = {
        p.arg_name: p.description.strip() for p in parsed.params if p.description and p.description.strip()
    }
    return "\n\n".join(parts), params


def _docstring_style(doc: str) -> docstring_parser.DocstringStyle:
    """The style from its markers: parsing with one style is several times cheaper than AUTO (which
    parses with every style and keeps the best). Without NumPy, reST or Epydoc markers it is Google,
    which also reads a docstring that has no sections at all."""
    if _NUMPY_SECTION.search(doc):
        return docstring_parser.DocstringStyle.NUMPYDOC
    if ":param" in doc or ":return" in doc:
        return docstring_parser.DocstringStyle.REST
    if "@param" in doc or "@return" in doc:
        return docstring_parser.DocstringStyle.EPYDOC
    return docstring_parser.DocstringStyle.GOOGLE


def normalize(node: dict[str, Any]) -> dict[str, Any]:
    """Deep copy of a schema with ``title`` keys dropped and keys in one fixed order, at every depth."""
    out: dict[str, Any] = {}
    for key in sorted(node, key=_RANK.__getitem__):
        value = node[key]
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            items = sorted(value.items()) if key in ("$defs", "$def", "definitions") else value.items()
            value = {k: normalize(v) if isinstance(v, dict) else v for k, v in items}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            value = [normalize(v) if isinstance(v, dict) else v for v in value]
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            value = normalize(value)
        elif isinstance(value, (list, dict)):
            value = _copy_data(value)  # data (enum, default, required): never shared with a cache
        out[key] = value
    return out


def _copy_data(value: Any) -> Any:
    """A deep copy of JSON data (what ``copy.deepcopy`` does, several times faster for it)."""
    if type(value) is list:
        return [_copy_data(item) for item in value]
    if type(value) is dict:
        return {key: _copy_data(item) for key, item in value.items()}
    return value if value is None or type(value) in (str, int, float, bool) else copy.deepcopy(value)


def format_validation_error(tool_name: str, error: ValidationError, schema: FunctionSchema) -> str:
    """A compact message for the model: which argument, what was wrong, what was given."""
    lines = error_lines(error, accepted=[param for _, param in schema.fields], whole="arguments")
    return "\n".join([f"Invalid arguments for tool {tool_name!r}:", *lines, _AGAIN])


_AGAIN = "Call the tool again with corrected arguments."


# --------------------------------------------------------------------------- helpers


def _annotated_target(func: Callable[..., Any]) -> Callable[..., Any]:
    """The object whose ``__doc__`` and annotations describe ``func`` (partials and callable objects)."""
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.isfunction(func) or inspect.ismethod(func):
        return func
    call = getattr(type(func), "__call__", None)  # noqa: B004 (the method itself is what we want)
    return call if call is not None and not inspect.isclass(func) else func


_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _type_hints(target: Callable[..., Any], name: str, localns: dict[str, Any] | None) -> dict[str, Any]:
    namespace = dict(localns or {})
    if "RunContext" not in getattr(target, "__globals__", {}):
        namespace.setdefault("RunContext", RunContext)  # imported only under TYPE_CHECKING is fine too
    try:
        hints = typing.get_type_hints(_hint_source(target), localns=namespace, include_extras=True)
        init = getattr(target, "__init__", None) if inspect.isclass(target) else None
        if inspect.isfunction(init):  # a class is called through __init__: its named parameters' hints
            named = {p.name for p in inspect.signature(init).parameters.values() if p.kind in _NAMED}
            init_hints = typing.get_type_hints(_hint_source(init), localns=namespace, include_extras=True)
            hints.update({k: v for k, v in init_hints.items() if k in named})  # (a model's are its fields)
        return hints
    except Exception as exc:  # NameError, or a TypeError from a bad annotation
        raise ToolDefinitionError(
            f"Tool {name!r}: cannot resolve the type annotations ({type(exc).__name__}: {exc}). "
            f"Define or import the types at module level, not only under TYPE_CHECKING."
        ) from exc


def _hint_source(target: Callable[..., Any]) -> Any:
    """What get_type_hints reads. Python 3.10's turns ``x: int = None`` into ``int | None`` (3.11 dropped
    that), so there it reads a stand-in without the defaults: the same hints and schema on every version."""
    if sys.version_info >= (3, 11) or not hasattr(target, "__code__"):
        return target
    globalns = getattr(inspect.unwrap(target), "__globals__", {})
    return types.SimpleNamespace(__annotations__=target.__annotations__, __globals__=globalns)


def _is_run_context(hint: Any) -> bool:
    if get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    return hint is RunContext or get_origin(hint) is RunContext


def _field_annotation(hint: Any, doc: str | None, pname: str) -> Any:
    """Annotated[...] with, in merge order: the docstring's description, the user's own metadata (so a
    ``Field(description=...)`` wins over the docstring), then our alias."""
    base, user_metadata = (
        (get_args(hint)[0], get_args(hint)[1:]) if get_origin(hint) is Annotated else (hint, ())
    )
    metadata = [Field(description=doc)] if doc else []
    arguments = (base, *metadata, *user_metadata, Field(alias=pname))
    return cast(Any, Annotated)[arguments]


def _default(param: inspect.Parameter, where: str) -> Any:
    if param.default is param.empty:
        return ...
    if isinstance(param.default, FieldInfo):
        return param.default
    try:
        json.dumps(to_jsonable_python(param.default), allow_nan=False)  # NaN and inf are not JSON
    except (PydanticSerializationError, ValueError) as exc:
        raise ToolDefinitionError(
            f"{where}: the default value {param.default!r} cannot be written as JSON for the schema. "
            f"Use a JSON value (str, number, bool, None, list, dict) as the default, e.g. None, and build "
            f"the object inside the function."
        ) from exc
    return param.default


def _fast_parameters(params: list[_Param]) -> dict[str, Any] | None:
    """The parameters object from per-type schemas, or None to leave the case to the reference path
    (a ``Field`` as default, a type pydantic rejects, two different types with one class name)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    defs: dict[str, Any] = {}
    for param in params:
        if isinstance(param.default, FieldInfo):
            return None
        try:
            schema, param_defs = type_schema(param.hint)
        except Exception:  # the reference path reports it, naming the parameter
            return None
        prop = dict(schema)
        if param.doc and "description" not in prop:
            prop["description"] = param.doc
        if param.default is ...:
            required.append(param.name)
        else:
            prop["default"] = to_jsonable_python(param.default)
        properties[param.name] = prop
        for def_name, definition in param_defs.items():
            # "__": pydantic qualified the name (two classes share one name): their names across all
            # parameters depend on each other, which only the whole model's schema gets right.
            if "__" in def_name or defs.setdefault(def_name, definition) != definition:
                return None
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    parameters["additionalProperties"] = False
    if defs:
        parameters["$defs"] = defs
    return normalize(parameters)


def _create_model(
    name: str, fields: dict[str, Any], hints: dict[str, Any], signature: inspect.Signature
) -> type[BaseModel]:
    try:
        return create_model(name, __config__=ARGUMENT_CONFIG, **fields)
    except (PydanticUserError, TypeError, ValueError) as exc:
        raise _culprit(name, hints, signature, exc) from exc


def _json_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", PydanticJsonSchemaWarning)
        try:
            return model.model_json_schema(schema_generator=SchemaGenerator)
        except (PydanticUserError, PydanticJsonSchemaWarning, TypeError, ValueError) as exc:
            raise ToolDefinitionError(
                f"Tool {name!r}: cannot describe its parameters as JSON Schema: {exc}"
            ) from exc


def _culprit(
    name: str, hints: dict[str, Any], signature: inspect.Signature, exc: Exception
) -> ToolDefinitionError:
    """Find which parameter's type pydantic cannot handle (only on the error path, so cost is no matter)."""
    for pname in signature.parameters:
        hint = hints.get(pname, Any)
        if _is_run_context(hint):
            continue
        try:
            TypeAdapter(hint).json_schema()
        except Exception:
            shown = getattr(hint, "__qualname__", None) or repr(hint)
            return ToolDefinitionError(
                f"Tool {name!r}, parameter {pname!r}: its type {shown} cannot be described as JSON Schema. "
                f"Use JSON-friendly types (str, int, float, bool, list, dict, Literal, Enum, pydantic "
                f"models, dataclasses, TypedDicts); pass other objects through RunContext deps."
            )
    return ToolDefinitionError(f"Tool {name!r}: cannot build its argument model: {exc}")
