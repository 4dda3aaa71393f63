"""The checks' registry and runner: ``check(obj)`` looks up the checks registered under ``obj``'s name, runs
them and prints ✅ / ❌ / ➖ per check; the check modules register with :func:`_register` and fail with
:func:`_expect` (a :class:`CheckFailed` whose message is what the student reads).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..names import canonical_name


class CheckFailed(AssertionError):
    """A public check found a problem; the message says what was expected and what came."""


@dataclass(frozen=True)
class _Check:
    description: str
    run: Callable[[Any, dict], None]


CHECKS: dict[str, list[_Check]] = {}
"""Public checks per SPEC name: ``name → [(description, run(obj, namespace))]``."""


def check(obj: Any) -> None:
    """Run the public checks of ``obj`` (a function or class you defined) and print a line per check.

    Never raises: a stub that is not implemented yet shows as ❌. (:func:`run_checks` returns the counts.)
    """
    run_checks(obj)


def run_checks(obj: Any, verbose: bool = True) -> tuple[int, int]:
    """Run the public checks of ``obj``; returns ``(passed, total)`` (skipped checks count as passed)."""
    name = getattr(obj, "__name__", None)
    checks = CHECKS.get(name or "") or CHECKS.get(canonical_name(name or ""))
    say = print if verbose else (lambda *args: None)
    if not checks:
        say(f"ℹ️  no public checks for {name or obj!r}")
        return 0, 0
    namespace = _namespace(obj)
    global _DEVICE
    _DEVICE = _notebook_device(namespace)
    passed = skipped = 0
    for item in checks:
        torch.manual_seed(0)
        try:
            item.run(obj, namespace)
        except NotImplementedError:
            say(f"❌ {name}: not implemented yet (it raises NotImplementedError)")
            return 0, len(checks)
        except _Skip as skip:
            passed += 1
            skipped += 1
            say(f"➖ {item.description}: not checked yet ({skip})")
        except CheckFailed as failure:
            say(f"❌ {item.description}: {failure}")
        except Exception as error:  # the student's code crashed: say where, briefly
            say(f"❌ {item.description}: raised {type(error).__name__}: {error}")
        else:
            passed += 1
            say(f"✅ {item.description}")
    total = len(checks)
    if skipped == total:
        say(f"➖ {name}: none of its {total} public checks could run yet (see above)")
    else:
        later = f" ({skipped} not checked yet)" if skipped else ""
        say(f"{'✅' if passed == total else '❌'} {name}: {passed - skipped}/{total - skipped} public checks passed{later}")
    return passed, total


_DEVICE = torch.device("cpu")


def stand_in_device() -> torch.device:
    """Where the checks' stand-in UNets live: the notebook's ``device`` when it is a usable one (a notebook's code
    that moves its tensors to ``device``, or to ``'cuda'``, then meets the stand-in where it meets its own UNet)."""
    return _DEVICE


def _on_device(module: Any) -> Any:
    """A module the check built (``DDPM(stand_in, …)``), moved to :func:`stand_in_device` as a notebook moves its own."""
    return module.to(stand_in_device()) if isinstance(module, torch.nn.Module) else module


def _notebook_device(namespace: dict) -> torch.device:
    try:
        device = torch.device(namespace.get("device", "cpu"))
        torch.empty(0, device=device)
        return device
    except Exception:  # noqa: BLE001  (not a device, or not available here)
        return torch.device("cpu")


def _passes_for_any(run: Callable[[Any], str | None], options: tuple) -> None:
    """Pass when ``run(option)`` finds no problem (returns None) for one of ``options`` — each a legitimate way of
    writing the same thing, e.g. a time convention used consistently; else fail with the first option's problem."""
    problems = []
    for option in options:
        try:
            problem = run(option)
        except CheckFailed as failure:
            problem = str(failure)
        if problem is None:
            return
        problems.append(problem)
    raise CheckFailed(problems[0])


class _Skip(Exception):
    """A check that cannot run yet (e.g. it needs a function defined further down the notebook)."""




def _register(name: str, description: str):
    def decorator(run: Callable[[Any, dict], None]) -> Callable[[Any, dict], None]:
        CHECKS.setdefault(name, []).append(_Check(description, run))
        return run

    return decorator


def _namespace(obj: Any) -> dict:
    """The globals the student's code sees (the notebook's namespace for notebook-defined objects)."""
    obj = inspect.unwrap(obj)  # decorated functions (@torch.no_grad()) keep the original in __wrapped__
    if hasattr(obj, "__globals__"):
        return obj.__globals__
    module = sys.modules.get(getattr(obj, "__module__", ""), None)
    return vars(module) if module is not None else {}


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _shape(t: Any) -> str:
    return str(list(t.shape)) if torch.is_tensor(t) else type(t).__name__


def _expect_tensor(value: Any, shape: tuple[int, ...], what: str) -> torch.Tensor:
    _expect(torch.is_tensor(value), f"{what} should be a torch.Tensor, got {type(value).__name__}")
    _expect(tuple(value.shape) == shape, f"{what} should have shape {list(shape)}, got {_shape(value)}")
    _expect(value.is_floating_point(), f"{what} should be a float tensor, got {value.dtype}")
    return value
