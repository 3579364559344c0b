"""The machine-readable Bot API spec, loaded once and indexed, and the checks made against it.

A request is decoded and checked in one pass: form and multipart values arrive as strings (PTB
JSON-encodes every non-string value), so each value is interpreted as the first documented type
it parses as, non-string types first; JSON bodies are checked with their native types. Objects
are checked recursively against `types`, including subtypes (ChatMember, BotCommandScope, ...).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_ENV = "JIANFU_BOT_API_SPEC"
_ATTACH = "attach://"
_INT = re.compile(r"-?\d+")
_DISCRIMINATOR = re.compile(r'(?:must be|always) "?([a-z_]+)"?')
_PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})


class SpecError(Exception):
    """A request or object does not match the spec; the message says where and how."""


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One documented type of a field: `depth` times "Array of" around `name`."""

    depth: int
    name: str

    def __str__(self) -> str:
        return "Array of " * self.depth + self.name


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[TypeRef, ...]
    required: bool

    def describe(self) -> str:
        return " or ".join(str(t) for t in self.types)


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """A method's parameters or a type's fields; `subtypes` for union types like ChatMember."""

    name: str
    fields: Mapping[str, FieldSpec]
    required: frozenset[str]
    subtypes: tuple[str, ...] = ()
    returns: tuple[TypeRef, ...] = ()
    discriminator: tuple[str, str] | None = None


# ../shared/telegram-bot-api/api.json as the project received it; tests/test_vendored_data.py
# fails when the shared file moves on.
VENDORED_SPEC = Path(__file__).resolve().parent / "data" / "api.json"


def default_spec_path() -> Path:
    """JIANFU_BOT_API_SPEC, else the copy of the shared api.json (Bot API 10.1) kept here."""
    configured = os.environ.get(SPEC_ENV)
    return Path(configured) if configured else VENDORED_SPEC


def _type_ref(text: str) -> TypeRef:
    depth = 0
    while text.startswith("Array of "):
        text = text[len("Array of ") :]
        depth += 1
    return TypeRef(depth, text)


def _object_spec(raw: Mapping[str, Any]) -> ObjectSpec:
    fields = {
        f["name"]: FieldSpec(f["name"], tuple(_type_ref(t) for t in f["types"]), f["required"])
        for f in raw.get("fields", ())
    }
    discriminator = None
    for key in ("type", "status", "source"):
        field = next((f for f in raw.get("fields", ()) if f["name"] == key), None)
        if field is not None and (found := _DISCRIMINATOR.search(field["description"])):
            discriminator = (key, found.group(1))
            break
    return ObjectSpec(
        name=raw["name"],
        fields=fields,
        required=frozenset(name for name, f in fields.items() if f.required),
        subtypes=tuple(raw.get("subtypes", ())),
        returns=tuple(_type_ref(t) for t in raw.get("returns", ())),
        discriminator=discriminator,
    )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class BotApiSpec:
    """Methods and types of one api.json, indexed for cheap per-request checks."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = raw.get("version", "unknown")
        self.methods: dict[str, ObjectSpec] = {
            name: _object_spec(m) for name, m in raw["methods"].items()
        }
        self.types: dict[str, ObjectSpec] = {
            name: _object_spec(t) for name, t in raw["types"].items()
        }
        self._methods_lower = {name.lower(): spec for name, spec in self.methods.items()}

    @classmethod
    def load(cls, path: Path | None = None) -> BotApiSpec:
        """Load api.json from `path` or the default location (cached per path)."""
        return _load(path or default_spec_path())

    def method(self, name: str) -> ObjectSpec | None:
        """The method spec; Telegram matches method names case-insensitively."""
        return self.methods.get(name) or self._methods_lower.get(name.lower())

    def decode_form(
        self, method: ObjectSpec, form: Mapping[str, str], files: Mapping[str, UploadedFile]
    ) -> dict[str, object]:
        """Check form/multipart parameters and return them decoded to native values."""
        decoded: dict[str, object] = {}
        for name, raw in form.items():
            field = method.fields.get(name)
            if field is None:
                raise SpecError(f"unknown parameter {name!r} for method {method.name}")
            decoded[name] = self._decode_form_value(field, raw, files)
        for name, upload in files.items():
            field = method.fields.get(name)
            if field is not None and any(t == TypeRef(0, "InputFile") for t in field.types):
                decoded[name] = upload
            elif not _referenced(name, form.values()):
                raise SpecError(f"unknown file part {name!r} for method {method.name}")
        self._check_required(method, decoded)
        return decoded

    def check_json(self, method: ObjectSpec, body: Mapping[str, object]) -> dict[str, object]:
        """Check a JSON body's parameters (native types); returns them unchanged."""
        for name, value in body.items():
            field = method.fields.get(name)
            if field is None:
                raise SpecError(f"unknown parameter {name!r} for method {method.name}")
            self._check_field(field, value, name, {})
        self._check_required(method, body)
        return dict(body)

    def check_value(self, types: Iterable[str], value: object, path: str = "result") -> None:
        """Check a native value against documented type names like "Array of Update"."""
        refs = tuple(_type_ref(t) for t in types)
        self._check_union(refs, value, path, {})

    def _check_required(self, method: ObjectSpec, given: Mapping[str, object]) -> None:
        missing = sorted(method.required.difference(given))
        if missing:
            raise SpecError(f"required parameter {missing[0]!r} is missing for {method.name}")

    def _decode_form_value(
        self, field: FieldSpec, raw: str, files: Mapping[str, UploadedFile]
    ) -> object:
        composite: list[TypeRef] = []
        for ref in field.types:
            if ref.depth == 0 and ref.name in _PRIMITIVES:
                parsed = _parse_primitive(ref.name, raw, files)
                if parsed is not None:
                    return parsed
            else:
                composite.append(ref)
        error = SpecError(f"{field.name}: expected {field.describe()}, got {raw!r}")
        if composite:
            try:
                value = json.loads(raw)
            except ValueError:
                pass
            else:
                try:
                    self._check_union(tuple(composite), value, field.name, files)
                except SpecError as exc:
                    error = exc
                else:
                    return value
        if TypeRef(0, "String") in field.types:
            return raw
        raise error

    def _check_field(
        self, field: FieldSpec, value: object, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        self._check_union(field.types, value, path, files)

    def _check_union(
        self,
        refs: tuple[TypeRef, ...],
        value: object,
        path: str,
        files: Mapping[str, UploadedFile],
    ) -> None:
        errors: list[SpecError] = []
        for ref in refs:
            try:
                self._check_ref(ref, value, path, files)
            except SpecError as exc:
                errors.append(exc)
            else:
                return
        if len(errors) == 1:
            raise errors[0]
        closest = self._closest(refs, errors, value)
        if closest is not None:
            raise closest
        wanted = " or ".join(str(r) for r in refs)
        raise SpecError(f"{path}: expected {wanted}, got {_kind(value)}")

    def _closest(
        self, refs: tuple[TypeRef, ...], errors: list[SpecError], value: object
    ) -> SpecError | None:
        """The error of the one alternative the value most looks like, if there is one."""
        if isinstance(value, list):
            arrays = [e for r, e in zip(refs, errors, strict=True) if r.depth > 0]
            return arrays[0] if len(arrays) == 1 else None
        if not isinstance(value, dict):
            return None
        scored = sorted(
            (
                (len(value.keys() & self.types[r.name].fields.keys()), i)
                for i, r in enumerate(refs)
                if r.depth == 0 and r.name in self.types
            ),
            reverse=True,
        )
        if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        return errors[scored[0][1]]

    def _check_ref(
        self, ref: TypeRef, value: object, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        if ref.depth > 0:
            if not isinstance(value, list):
                raise SpecError(f"{path}: expected {ref}, got {_kind(value)}")
            inner = TypeRef(ref.depth - 1, ref.name)
            for i, item in enumerate(value):
                self._check_ref(inner, item, f"{path}[{i}]", files)
            return
        name = ref.name
        if name in _PRIMITIVES:
            if not _is_primitive(name, value, files):
                raise SpecError(f"{path}: expected {name}, got {_kind(value)}")
            return
        spec = self.types.get(name)
        if spec is None:
            raise SpecError(f"{path}: the spec has no type {name}")
        self._check_object(spec, value, path, files)

    def _check_object(
        self, spec: ObjectSpec, value: object, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        if not isinstance(value, dict):
            raise SpecError(f"{path}: expected {spec.name}, got {_kind(value)}")
        if spec.subtypes:
            self._check_subtypes(spec, value, path, files)
            return
        for key, item in value.items():
            field = spec.fields.get(key)
            if field is None:
                raise SpecError(f"{path}: unknown field {key!r} in {spec.name}")
            self._check_field(field, item, f"{path}.{key}", files)
        missing = sorted(spec.required.difference(value))
        if missing:
            raise SpecError(f"{path}: {spec.name} requires field {missing[0]!r}")

    def _check_subtypes(
        self,
        spec: ObjectSpec,
        value: Mapping[str, object],
        path: str,
        files: Mapping[str, UploadedFile],
    ) -> None:
        candidates = [self.types[name] for name in spec.subtypes if name in self.types]
        chosen = [
            c
            for c in candidates
            if c.discriminator is not None and value.get(c.discriminator[0]) == c.discriminator[1]
        ]
        errors: list[SpecError] = []
        for candidate in chosen or candidates:
            try:
                self._check_object(candidate, value, path, files)
            except SpecError as exc:
                errors.append(exc)
            else:
                return
        if chosen:
            raise errors[0]
        raise SpecError(f"{path}: matches none of {spec.name}'s kinds ({', '.join(spec.subtypes)})")


@cache
def _load(path: Path) -> BotApiSpec:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Bot API spec not found at {path}; set {SPEC_ENV} to the path of api.json"
        ) from None
    return BotApiSpec(raw)


def _referenced(part: str, values: Iterable[str]) -> bool:
    needle = _ATTACH + part
    return any(needle in v for v in values)


def _parse_primitive(name: str, raw: str, files: Mapping[str, UploadedFile]) -> object | None:
    """`raw` read as the primitive `name`, or None when it is not one."""
    if name == "Integer":
        return int(raw) if _INT.fullmatch(raw) else None
    if name == "Boolean":
        return {"true": True, "false": False}.get(raw.lower())
    if name == "Float":
        try:
            return float(raw)
        except ValueError:
            return None
    if name == "InputFile" and raw.startswith(_ATTACH):
        return files.get(raw[len(_ATTACH) :])
    return None


def _is_primitive(name: str, value: object, files: Mapping[str, UploadedFile]) -> bool:
    if name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "String":
        return isinstance(value, str)
    if name == "Boolean":
        return isinstance(value, bool)
    if name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, UploadedFile) or (
        isinstance(value, str) and value.startswith(_ATTACH) and value[len(_ATTACH) :] in files
    )
