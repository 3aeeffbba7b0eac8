"""The floors of the house (docs/decisions/0010-floors.md): every app stands on the apps below
it and never imports one above it or beside it, so no two apps import each other; and no module
imports another app's private names. Read from the source with `ast`, imports inside functions
included; tests and migrations aside (tests build rows across apps on purpose; migrations never
import app code)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import threehours

PACKAGE = Path(threehours.__file__).parent

# Bottom to top. An app may import the apps on the floors below its own, never one on its own
# floor or above.
FLOORS: list[tuple[str, ...]] = [
    ("core",),
    ("notifications",),
    ("accounts",),
    ("family",),
    ("orgs",),
    ("activities",),
    ("signups",),
    ("hours",),
    ("attendance",),
    ("ratings", "rewards"),
    ("reporting",),
    ("privacy",),
    ("console", "api", "platform_admin"),
]
# Packages under threehours/ that are not apps of the house: pytest's early settings.
NOT_APPS = {"testing"}


@dataclass(frozen=True)
class Import:
    where: str  # "signups/views.py:12"
    app: str  # the importing app
    other: str  # the imported app
    name: str  # what was imported, dotted


def floor_of(app: str) -> int:
    for number, apps in enumerate(FLOORS):
        if app in apps:
            return number
    raise KeyError(app)


def _is_module(dotted: str) -> bool:
    """Whether `threehours.<dotted>` is a module or package (rather than a name in one)."""
    path = PACKAGE.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _absolute(filename: str, level: int, module: str | None) -> str:
    """The absolute name of `from <level dots><module> import …` in threehours/<filename>."""
    if level == 0:
        return module or ""
    package = ["threehours", *filename.split("/")[:-1]]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports_of(app: str, source: str, filename: str = "<source>") -> tuple[list[Import], list[str]]:
    """The imports of other apps in one module of `app` (at any depth: inside functions too),
    and the uses of other apps' private names: `from threehours.x.y import _z`, a private
    module `threehours.x._y`, or `y._z` on a module `y` imported from another app."""
    tree = ast.parse(source, filename=filename)
    found: list[Import] = []
    private: list[str] = []
    module_aliases: dict[str, str] = {}  # local name -> other app, for modules of other apps

    def note(node: ast.AST, dotted: str, bound: str | None) -> None:
        parts = dotted.split(".")
        if parts[0] != "threehours" or len(parts) < 2:
            return
        other = parts[1]
        where = f"{filename}:{node.lineno}"
        if other == app:
            return
        found.append(Import(where=where, app=app, other=other, name=dotted))
        if any(part.startswith("_") and not part.startswith("__") for part in parts[2:]):
            private.append(f"{where} imports {dotted}")
        if bound is not None and _is_module(".".join(parts[1:])):
            module_aliases[bound] = other

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import threehours.x.y` binds `threehours`; only `as` binds the module.
                note(node, alias.name, alias.asname)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(filename, node.level, node.module)
            for alias in node.names:
                note(node, f"{module}.{alias.name}", alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            private.append(f"{filename}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found, private


def _house() -> tuple[list[Import], list[str]]:
    imports: list[Import] = []
    private: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) < 2 or relative.parts[0] in NOT_APPS:
            continue  # threehours/cli.py and the like stand outside the house
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        found, uses = imports_of(relative.parts[0], path.read_text(), relative.as_posix())
        imports += found
        private += uses
    return imports, private


def floor_violations(imports: list[Import]) -> list[str]:
    return [
        f"{i.where}: {i.app} (floor {floor_of(i.app)}) imports {i.name} "
        f"({i.other}, floor {floor_of(i.other)})"
        for i in imports
        if floor_of(i.other) >= floor_of(i.app)
    ]


def mutual_pairs(imports: list[Import]) -> list[tuple[str, str]]:
    pairs = {(i.app, i.other) for i in imports}
    return sorted((a, b) for a, b in pairs if a < b and (b, a) in pairs)


def test_every_app_stands_on_a_floor():
    apps = {
        path.parent.name
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent.name not in NOT_APPS and any(path.parent.glob("*.py"))
    }
    placed = {app for floor in FLOORS for app in floor}
    assert apps - placed == set(), "give each new app its floor in FLOORS"


def test_no_app_imports_an_app_on_its_own_floor_or_above():
    imports, _private = _house()
    assert floor_violations(imports) == []


def test_no_two_apps_import_each_other():
    imports, _private = _house()
    assert mutual_pairs(imports) == []


def test_no_module_imports_a_private_name_of_another_app():
    _imports, private = _house()
    assert private == []


# The checks themselves, on sources written for them: each catches what it is for.

UPSTAIRS = """
from threehours.core.errors import DomainError


def f():
    from threehours.signups.models import Signup
"""


def test_an_import_inside_a_function_counts():
    imports, _private = imports_of("activities", UPSTAIRS, "activities/x.py")
    assert [i.other for i in imports] == ["core", "signups"]
    assert floor_violations(imports) == [
        "activities/x.py:6: activities (floor 5) imports threehours.signups.models.Signup "
        "(signups, floor 6)"
    ]


def test_two_apps_importing_each_other_are_found_whatever_their_floors():
    down, _ = imports_of("signups", "from threehours.activities import selectors\n", "s.py")
    up, _ = imports_of("activities", "import threehours.signups.tasks\n", "a.py")
    assert mutual_pairs(down + up) == [("activities", "signups")]
    assert mutual_pairs(down) == []


def test_apps_on_one_floor_do_not_import_each_other():
    imports, _ = imports_of("api", "from threehours.platform_admin import views\n", "api/x.py")
    assert len(floor_violations(imports)) == 1


def test_relative_imports_that_climb_out_of_the_app_count():
    source = "from ...signups import selectors\nfrom ..models import Activity\n"
    imports, _ = imports_of("activities", source, "activities/templatetags/x.py")
    assert [i.name for i in imports] == ["threehours.signups.selectors"]


def test_private_names_of_another_app_are_found_however_they_are_reached():
    source = """
from threehours.orgs.views import _context, with_org
from threehours.activities import selectors as activity_selectors
from threehours.hours import services

from ._own import _helper


def f(org):
    activity_selectors._activity_or_404(org, 1)
    services.hours_totals()
    return _helper(activity_selectors.__name__)
"""
    _imports, private = imports_of("signups", source, "signups/x.py")
    assert private == [
        "signups/x.py:2 imports threehours.orgs.views._context",
        "signups/x.py:10 uses activity_selectors._activity_or_404",
    ]
