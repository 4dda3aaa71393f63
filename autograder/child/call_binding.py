"""Call a student's function with the assignment's arguments, whatever its exact parameter list.

Real submissions keep the course's parameter order but differ around it: extra parameters named after given
objects (``alphas_cumprod``, ``stage_1``, ``scheduler``, ``unet``, ``device`` …) anywhere in the list, a
``display=True`` flag, the course's signature of ``make_hybrids`` without ``kernel_size``/``sigma``, ``scale``
renamed ``guidance_scale``. :func:`bind_call` maps the grader's values onto the student's parameters:

1. a parameter named after a given object gets that object (by keyword);
2. a parameter with the name of one of the grader's values gets that value (``display`` gets ``False``);
3. the remaining parameters without a default take the grader's positional values in order.

Optional values (``scale``, ``kernel_size``, ``sigma``, ``display``) are passed only to a parameter of that
name (or a known alias), so a function that hard-codes them runs with its own constants. When the parameter
list cannot take the call, :class:`SignatureMismatch` says in one line which signature was expected.
"""

from __future__ import annotations

import inspect
from typing import Any

# Other names the course uses for a function (its deliverable is called "visual anagrams"), shared with the in-notebook
# checks. The loader counts a function defined under one of them as the assignment's; the probe calls it.
from assignment.names import FUNCTION_ALIASES as FUNCTION_ALIASES

#: Parameter names that mean the grader's ``scale`` (the course writes ``scale``; some write these).
ALIASES = {"scale": ("guidance_scale", "cfg_scale", "gamma", "cfg"), "guidance_scale": ("scale", "cfg_scale", "gamma")}


class SignatureMismatch(TypeError):
    """The student's parameter list cannot take the assignment's arguments."""


def given_objects(given: dict[str, Any]) -> dict[str, Any]:
    """The given names plus the objects students commonly pass explicitly, derived from ``stage_1``."""
    objects = dict(given)
    stage_1 = given.get("stage_1")
    if stage_1 is not None:
        scheduler = getattr(stage_1, "scheduler", None)
        objects.setdefault("scheduler", scheduler)
        objects.setdefault("unet", getattr(stage_1, "unet", None))
        objects.setdefault("model", getattr(stage_1, "unet", None))
        if scheduler is not None:
            objects.setdefault("alphas_cumprod", scheduler.alphas_cumprod)
            objects.setdefault("alpha_cumprod", scheduler.alphas_cumprod)
            objects.setdefault("alphas_cumprods", scheduler.alphas_cumprod)
            objects.setdefault("alpha_bars", scheduler.alphas_cumprod)
    return objects


#: Parameter names under which a submission takes both prompts of an illusion as one argument (a pair or a dict).
PAIR_NAMES = ("prompt_embeds", "prompts", "prompt_pair", "prompt_embeds_pair", "prompt_embeddings", "embeds")
#: The assignment's two prompts that such a parameter stands for.
PROMPT_PAIR = ("prompt_embeds_1", "prompt_embeds_2")


class PromptPair(tuple):
    """``(prompt_embeds_1, prompt_embeds_2)`` for a parameter that packs both prompts: it unpacks as a pair
    (``p1, p2 = prompt_embeds``, ``prompt_embeds[0]``) and answers string keys ending in 1 or 2 (``prompt_embeds["p1"]``)."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            digits = [c for c in key if c.isdigit()]
            if digits and digits[-1] in "12":
                return tuple.__getitem__(self, int(digits[-1]) - 1)
            raise KeyError(f"{key!r}: the grader passes both prompts as the pair (prompt_embeds_1, prompt_embeds_2); "
                           "keys ending in 1 or 2 work too")
        return tuple.__getitem__(self, key)


def bind_call(fn: Any, display_name: str, positional: list[tuple[str, Any]], optional: dict[str, Any],
              objects: dict[str, Any]) -> tuple[list[Any], dict[str, Any], list[str]]:
    """``(args, kwargs, notes)`` to call ``fn`` with (:func:`_bind_call`); when the parameter list does not fit and
    takes the illusions' two prompts as one parameter named in :data:`PAIR_NAMES`, that parameter gets a
    :class:`PromptPair`. Raises :class:`SignatureMismatch` (the first attempt's message) when neither fits."""
    try:
        return _bind_call(fn, display_name, positional, optional, objects)
    except SignatureMismatch as first:
        packed = _packed_prompts(fn, positional)
        if packed is None:
            raise
        try:
            args, kwargs, notes = _bind_call(fn, display_name, packed, optional, objects)
        except SignatureMismatch:
            raise first from None
        return args, kwargs, notes + ["both prompts passed as one pair (prompt_embeds_1, prompt_embeds_2)"]


def _packed_prompts(fn: Any, positional: list[tuple[str, Any]]) -> list[tuple[str, Any]] | None:
    """``positional`` with the two prompts replaced by one :class:`PromptPair` under the name of ``fn``'s packing
    parameter, or None when the assignment has no prompt pair or ``fn`` no such parameter."""
    values = dict(positional)
    if not all(name in values for name in PROMPT_PAIR):
        return None
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    target = next((n for n in names if n in PAIR_NAMES and n not in values), None)
    if target is None:
        return None
    packed: list[tuple[str, Any]] = []
    for name, value in positional:
        if name == PROMPT_PAIR[0]:
            packed.append((target, PromptPair((values[PROMPT_PAIR[0]], values[PROMPT_PAIR[1]]))))
        elif name != PROMPT_PAIR[1]:
            packed.append((name, value))
    return packed


def _bind_call(fn: Any, display_name: str, positional: list[tuple[str, Any]], optional: dict[str, Any],
               objects: dict[str, Any]) -> tuple[list[Any], dict[str, Any], list[str]]:
    """``(args, kwargs, notes)`` to call ``fn`` with.

    Args:
        fn: the student's function.
        display_name: how the assignment writes its signature, for the mismatch message.
        positional: the assignment's required arguments ``[(name, value), …]`` in order.
        optional: the assignment's optional keyword values (``{"scale": 7.0, "display": False}``).
        objects: given objects a parameter may be named after (:func:`given_objects`).
    Raises:
        SignatureMismatch: a parameter without a default that nothing can fill, or too few parameters.
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin or an odd callable: pass positionally
        return [value for _, value in positional], {}, []
    wanted = {name: value for name, value in positional}
    kinds = inspect.Parameter
    has_var_kw = any(p.kind is kinds.VAR_KEYWORD for p in params)
    has_var_pos = any(p.kind is kinds.VAR_POSITIONAL for p in params)
    named = [p for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)]
    filled: dict[str, Any] = {}
    notes: list[str] = []
    used_positional: set[str] = set()
    for p in named:  # 1. by the assignment's own names
        if p.name in wanted:
            filled[p.name] = wanted[p.name]
            used_positional.add(p.name)
        elif p.name in optional:
            filled[p.name] = optional[p.name]
        else:
            for canonical, aliases in ALIASES.items():
                if p.name in aliases and canonical in optional:
                    filled[p.name] = optional[canonical]
    for p in named:  # 2. parameters named after given objects
        if p.name not in filled and p.name in objects and p.name not in wanted:
            filled[p.name] = objects[p.name]
            notes.append(f"{p.name} = the given {p.name}")
    remaining = [(name, value) for name, value in positional if name not in used_positional]
    for p in named:  # 3. the rest, in order
        if p.name in filled or p.kind is kinds.KEYWORD_ONLY:
            continue
        if not remaining:
            break
        name, value = remaining.pop(0)
        filled[p.name] = value
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional_only = [p for p in named if p.kind is kinds.POSITIONAL_ONLY]
    for p in positional_only:
        if p.name in filled:
            args.append(filled.pop(p.name))
    if remaining and has_var_pos:
        args += [value for _, value in remaining]
        remaining = []
    missing = [p.name for p in named if p.default is inspect.Parameter.empty and p.name not in filled
               and p.kind is not kinds.POSITIONAL_ONLY]
    if missing or remaining:
        got = ", ".join(str(p).split(":")[0].split("=")[0].strip() for p in params)
        raise SignatureMismatch(
            f"{getattr(fn, '__name__', 'the function')}({got}) cannot be called as the assignment's {display_name}: "
            + (f"nothing to pass for {', '.join(missing)}" if missing else
               f"no parameter left for {', '.join(n for n, _ in remaining)}")
            + " — keep the assignment's parameters (extra ones need defaults, or a given object's name)")
    kwargs.update(filled)
    if has_var_kw:
        for key, value in optional.items():
            if key not in kwargs and key != "display":
                kwargs[key] = value
    return args, kwargs, notes


def call_accepting(method: Any, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, list[str]]:
    """``method(*args, **kwargs)`` without the keywords it has no parameter for, and the keywords left out.

    A module's ``sample`` written to the course's signature (no ``num_samples``) samples its own number of images;
    the caller grades what comes back and says nothing about the keyword (docs/spec.md §5).
    """
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return method(*args, **kwargs), []
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return method(*args, **kwargs), []
    names = {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    dropped = [k for k in kwargs if k not in names]
    return method(*args, **{k: v for k, v in kwargs.items() if k in names}), dropped
