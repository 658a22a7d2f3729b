"""Every visible string is translated: the catalogues cover the templates, the error messages of the
domain errors and of the import reports (problems and skips), and keep each message's placeholders."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import pvhub
import web
from pvhub.core.errors import DomainError, Phrase
from web.vocabulary import TERM_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_CN", "en")


@cache
def catalogue(locale: str) -> Catalog:
    with (ROOT / "web" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def translations(locale: str) -> dict[str, str]:
    return {
        m.id: m.string
        for m in catalogue(locale)
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
    }


def test_every_message_has_a_chinese_and_an_english_translation(tmp_path: Path) -> None:
    """The README's extraction: ``N_`` marks words of the vocabulary, the error classes mark templates."""
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    names = ("N_", *sorted(_error_classes()[0]), *(f"{k}:{i + 1}" for k, i in sorted(REPORT_CALLS.items())))
    keywords = [arg for k in names for arg in ("-k", k)]
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", *keywords, "-o", str(pot), "--no-location", "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    for locale in LOCALES:
        translated = set(translations(locale))
        assert wanted <= translated, f"{locale} lacks: {sorted(wanted - translated)}"


# --- the templates of the domain errors -----------------------------------------------------------------

#: Calls that build a line of an import report, and the position of their template argument:
#: ``Problem(index, field, "template", **values)``, ``Skip(index, "template", **values)`` and a row reader's
#: ``fields.reject(field, "template", **values)`` (see pvhub.register.imports.rows).
REPORT_CALLS = {"Problem": 2, "Skip": 1, "reject": 1}


@cache
def _error_classes() -> tuple[set[str], set[str]]:
    """Names of the classes built as ``Cls("template", **values)``, and of every DomainError class."""
    for package in (pvhub, web):  # every module, so that every subclass of DomainError exists
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.startswith("pvhub.migrations"):
                importlib.import_module(module.name)
    every: set[type[DomainError]] = set()
    todo: list[type[DomainError]] = [DomainError]
    while todo:
        cls = todo.pop()
        every.add(cls)
        todo.extend(cls.__subclasses__())
    templated = {c.__name__ for c in every if "__init__" not in c.__dict__ or c is DomainError}
    return templated | {Phrase.__name__}, {c.__name__ for c in every}


@dataclass(frozen=True)
class Template:
    text: str
    where: str
    keywords: frozenset[str] | None  # the values given (None: unknown, ``**values`` was passed)


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_super_init(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and _name(func.value.func) == "super"
    )


def _calls(path: Path, templated: set[str], errors: set[str]) -> Iterator[tuple[ast.Call, str, int]]:
    """The calls that build a message, with the position of the template: ``NotFound(...)``,
    ``Phrase(...)``, ``super().__init__(...)`` inside a DomainError subclass, the lines of an import
    report (:data:`REPORT_CALLS`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in templated:
            yield node, f"{where}:{node.lineno}", 0
        if isinstance(node, ast.Call) and _name(node.func) in REPORT_CALLS:
            yield node, f"{where}:{node.lineno}", REPORT_CALLS[str(_name(node.func))]
        if isinstance(node, ast.ClassDef) and node.name in errors - {"DomainError"}:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _is_super_init(inner.func):
                    yield inner, f"{where}:{inner.lineno}", 0


def error_templates() -> tuple[list[Template], list[str]]:
    """Every message template of the source, and the calls whose message is not a string literal."""
    templated, errors = _error_classes()
    found, offences = [], []
    for package in ("pvhub", "web"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for call, where, position in _calls(path, templated, errors):
                first = call.args[position] if len(call.args) > position else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    offences.append(where)
                    continue
                given = (
                    None
                    if any(k.arg is None for k in call.keywords)
                    else frozenset(k.arg for k in call.keywords if k.arg is not None)
                )
                found.append(Template(first.value, where, given))
    return found, offences


def placeholders(text: str) -> list[tuple[str, str | None, str | None]]:
    """The ``{name!conversion:spec}`` fields of a str.format template, sorted."""
    return sorted(
        (name, conversion, spec)
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def test_every_domain_error_message_is_a_literal_template() -> None:
    """An f-string or a concatenation cannot be looked up in a catalogue: pass the values instead."""
    templates, offences = error_templates()
    assert len(templates) > 150
    assert not offences, (
        "build the message as Error('… {name} …', name=value), not an f-string: " + ", ".join(offences)
    )


def test_the_lines_of_an_import_report_are_collected_as_templates() -> None:
    """Problems and skips of the register and meter-reading imports are held to the same rules."""
    templates, _ = error_templates()
    wheres = {t.where.split(":")[0] for t in templates}
    for module in ("service", "csv_format", "rows", "geojson_format", "cityjson_format"):
        assert f"pvhub/register/imports/{module}.py" in wheres
    texts = {t.text for t in templates}
    assert "line {line} holds a NUL character, which text cannot contain" in texts  # Problem(...)
    assert "north-facing wall" in texts  # Skip(...)
    assert "{name} must be a number, got {value!r}" in texts  # fields.reject(...)
    assert "{energy:g} kWh is more than {kwp:g} kWp can deliver in {month} (check the unit)" in texts


def test_every_placeholder_of_a_template_is_given_a_value() -> None:
    templates, _ = error_templates()
    for template in templates:
        names = {re.split(r"[.\[]", name)[0] for name, _, _ in placeholders(template.text)}
        assert "" not in names, f"{template.where}: name the placeholders of {template.text!r}"
        if template.keywords is not None:
            missing = names - template.keywords
            assert not missing, f"{template.where}: no value for {sorted(missing)} in {template.text!r}"


def test_every_error_message_has_a_chinese_and_an_english_translation() -> None:
    """What a Chinese user reads when a service refuses; the English entry is the template itself."""
    templates, _ = error_templates()
    chinese, english = translations("zh_CN"), translations("en")
    lacking = {
        locale: sorted({t.text for t in templates if t.text not in catalogue_})
        for locale, catalogue_ in (("zh_CN", chinese), ("en", english))
    }
    assert lacking == {"zh_CN": [], "en": []}
    for template in templates:
        assert english[template.text] == template.text, f"en changes {template.text!r}"
        assert chinese[template.text] != template.text, f"zh_CN copies {template.text!r}"


def test_translations_keep_the_placeholders_of_their_message() -> None:
    """``{name}`` and ``%(name)s`` alike; a vocabulary key (``notification.x``) is held to its English."""
    percent = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifgeEr%]")
    key = re.compile(r"[a-z_]+(\.[a-z0-9_]+)+")
    english = translations("en")
    for locale in LOCALES:
        for message in catalogue(locale):
            if not (isinstance(message.id, str) and message.id and isinstance(message.string, str)):
                continue
            if not message.string:
                continue
            source = english.get(message.id, message.id) if key.fullmatch(message.id) else message.id
            shown = f"{locale}: {message.id!r} -> {message.string!r}"
            assert placeholders(message.string) == placeholders(source), shown
            assert sorted(percent.findall(message.string)) == sorted(percent.findall(source)), shown


def test_every_word_an_error_message_can_hold_is_in_the_vocabulary() -> None:
    """An enum value inside an error is shown as the UI's word for it, in both languages."""
    for locale in LOCALES:
        words = translations(locale)
        wanted = {f"{prefix}.{member.value}" for enum, prefix in TERM_PREFIXES.items() for member in enum}
        assert wanted <= set(words), f"{locale} lacks: {sorted(wanted - set(words))}"
    assert all(issubclass(enum, Enum) for enum in TERM_PREFIXES)
