"""The typed contract between a group's plan (grader) and its probe (child): which probe runs, and each call's case.

One definition for both sides: the grader imports it as ``autograder.child.cases``, the sandboxed child as the
flat module ``cases`` (``autograder/child`` is copied flat into the child's ``code/`` folder). So, like every module
here, it imports only the standard library — never ``autograder``, ``solutions`` or torch — and holds plain data.

What crosses the sandbox boundary is JSON (``groups/NAME/spec.json``, never pickle) plus named tensors
(``inputs.safetensors``). A case never holds a tensor: it names one of the inputs by its key (a ``str`` field, or
``"@name"`` among Part A's positional ``args``, see :func:`input_ref`).

* :class:`Case` — one probe call, written to one record ``key`` (or ``key_suffix``: see ``belongs_to_case``).
  Subclasses add typed fields; tuples travel as JSON lists and come back as tuples (top-level fields only).
* :class:`Spec` — a probe's whole spec: its ``cases`` plus settings shared by every call (subclass fields).
  ``class AddNoiseSpec(Spec[AddNoiseCase])`` is all it takes: the case type is read from the base.
* :class:`Probe` — every probe the child can run: its flat module, its function and the :class:`Spec` it receives.
  A group names one (``Group(probe_ref=Probe.ADD_NOISE)``); the harness imports ``module`` and calls ``function``.
* :func:`receives` — decorates a probe function: it is called with the spec's JSON and receives the typed spec.

Adding a probe (as flow matching's ``run_flow`` was added):

1. Here: ``@dataclass(frozen=True, kw_only=True) class FlowCase(Case)`` with typed fields (tensor inputs as ``str``
   keys), ``@dataclass(frozen=True, kw_only=True) class FlowSpec(Spec[FlowCase])`` (add shared settings as fields,
   or just a docstring), and a member ``FLOW = ("probes_flow", "run_flow", FlowSpec)`` of :class:`Probe`. Name
   the student function a case calls in a field ``fn``, ``kind`` or ``name``: when a call stops the child, the
   sandbox's re-run leaves out the other cases with the same value (``sandbox.runner._function_of``).
2. In the probe module (``autograder/child/probes_flow.py``: copied flat too, same import rules as this module):
   ``@receives(FlowSpec) def run_flow(ns, spec: FlowSpec, inputs, rec)``, reading ``case.field`` (never
   ``case["field"]``) and recording each case under ``case.key`` (``rec.run(case.key, fn)``).
3. In the group (``autograder/groups``): ``probe_ref=Probe.FLOW``, and ``plan_spec()`` returning
   ``(FlowSpec(num_ts=..., cases=[FlowCase(key=..., ...), ...]), inputs)``. What its checks need goes in ``self.expected``,
   by record key, as a small frozen dataclass of the group module (``Group.expected_of(Kind)`` lists them).

Adding a field to an existing case is the same: a typed field with a default keeps older plans valid. Unknown keys
in a spec's JSON are an error (a plan and a probe out of step fail loudly, in the grader's own tests). Values handed
on to student code as they are (Part A's ``args``) keep their JSON form below the top level: a list stays a list.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

#: Part A's positional ``args`` hold values as they are, except strings starting with this: input tensors' keys.
INPUT_PREFIX = "@"


def input_ref(name: str) -> str:
    """``"@name"``: the input tensor ``name``, among Part A's ``args`` / ``kwargs`` values."""
    return INPUT_PREFIX + name


def _freeze(data: Any) -> None:
    """Turn a dataclass's list fields into tuples (JSON lists come back as tuples: immutable on both sides)."""
    for item in dataclasses.fields(data):
        value = getattr(data, item.name)
        if isinstance(value, list):
            object.__setattr__(data, item.name, tuple(value))


def _to_json(value: Any) -> Any:
    """Plain JSON data: tuples become lists (recursively); dataclasses have their own ``to_json``."""
    if isinstance(value, (Case, Spec)):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class Case:
    """One probe call; its record is written under ``key``. Subclasses add the call's typed fields."""

    key: str

    def __post_init__(self) -> None:
        _freeze(self)

    def to_json(self) -> dict[str, Any]:
        """The case as plain JSON data (every field, tuples as lists)."""
        return {item.name: _to_json(getattr(self, item.name)) for item in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> typing.Self:
        """The case from :meth:`to_json`'s data; an unknown key raises ``TypeError``."""
        return cls(**data)


C = TypeVar("C", bound=Case)


@dataclass(frozen=True, kw_only=True)
class Spec(Generic[C]):
    """A probe's spec: its cases, in order, plus (in subclasses) settings shared by every case."""

    cases: tuple[C, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self)

    @classmethod
    def case_type(cls) -> type[Case]:
        """The case class of ``class XSpec(Spec[XCase])``."""
        for klass in cls.__mro__:
            for base in getattr(klass, "__orig_bases__", ()):
                args = typing.get_args(base)
                if typing.get_origin(base) is Spec and args and isinstance(args[0], type):
                    return args[0]
        raise TypeError(f"{cls.__name__} must subclass Spec[ItsCase]")

    def to_json(self) -> dict[str, Any]:
        """The spec as plain JSON data: ``{"cases": [...], setting: value, ...}``."""
        return {item.name: _to_json(getattr(self, item.name)) for item in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> typing.Self:
        """The spec from :meth:`to_json`'s data (cases decoded as :meth:`case_type`)."""
        settings = {k: v for k, v in data.items() if k != "cases"}
        case_type = cls.case_type()
        return cls(cases=tuple(case_type.from_json(c) for c in data.get("cases", ())), **settings)


# ------------------------------------------------------------------------------------------ Part A


@dataclass(frozen=True, kw_only=True)
class CallCase(Case):
    """A call ``fn(*args, **kwargs)`` of a Part A function (``args`` bound to the assignment's parameter names).

    Values are passed as they are, except :func:`input_ref` strings (input tensors). ``grader_forward``: ``forward``
    is the grader's own while the call runs; ``stub_cfg``: ``iterative_denoise_cfg`` is a recording stub.
    """

    fn: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    grader_forward: bool = False
    stub_cfg: bool = False


@dataclass(frozen=True, kw_only=True)
class CallSpec(Spec[CallCase]):
    """Part A's calls, run one by one on the tiny IF pipeline."""


# ------------------------------------------------------------------------------------------ Part B


@dataclass(frozen=True, kw_only=True)
class ModelCase(Case):
    """Build ``name(*args)``; unless ``count_only``, load the inputs prefixed ``weights`` as its weights (when its
    layers allow) and run one forward call per entry of ``calls`` (each a list of input keys)."""

    name: str
    args: tuple[int, ...] = ()
    calls: tuple[list[str], ...] = ()
    signatures: tuple[str, ...] = ()
    weights: str = ""
    count_only: bool = False


@dataclass(frozen=True, kw_only=True)
class ModelSpec(Spec[ModelCase]):
    """Blocks and UNets against the reference's weights."""


@dataclass(frozen=True, kw_only=True)
class AddNoiseCase(Case):
    """``add_noise(inputs[x], sigma)``."""

    x: str
    sigma: float


@dataclass(frozen=True, kw_only=True)
class AddNoiseSpec(Spec[AddNoiseCase]):
    """``add_noise`` calls."""


@dataclass(frozen=True, kw_only=True)
class ScheduleCase(Case):
    """``ddpm_schedule(beta1, beta2, num_ts)``."""

    beta1: float
    beta2: float
    num_ts: int


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec(Spec[ScheduleCase]):
    """``ddpm_schedule`` calls."""


@dataclass(frozen=True, kw_only=True)
class DDPMCase(Case):
    """A call of the DDPM function ``kind`` on the stand-in UNet. Inputs by key: ``x`` (``x_0``), ``c`` (classes);
    ``ddpm_forward_cond`` uses ``p_uncond``, the samplers ``img_wh``, ``num_samples`` / ``guidance_scale``."""

    kind: str  # ddpm_forward | ddpm_forward_cond | ddpm_sample | ddpm_sample_cond
    x: str | None = None
    c: str | None = None
    p_uncond: float | None = None
    img_wh: tuple[int, int] | None = None
    num_samples: int | None = None
    guidance_scale: float | None = None
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class DDPMSpec(Spec[DDPMCase]):
    """The DDPM functions on a stand-in UNet (class-conditioned when ``conditional``), with ``num_ts`` steps; the
    schedule is the inputs ``betas``, ``alphas``, ``alpha_bars``."""

    conditional: bool
    num_ts: int


@dataclass(frozen=True, kw_only=True)
class DDPMModuleCase(Case):
    """``DDPM.forward(inputs[x][, inputs[c]])`` or ``DDPM.sample(...)`` (``method``); records ``KEY_wired`` (the
    DDPM functions stubbed) and ``KEY_real``."""

    method: str  # forward | sample
    x: str | None = None
    c: str | None = None
    num_samples: int | None = None
    guidance_scale: float | None = None
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class DDPMModuleSpec(Spec[DDPMModuleCase]):
    """The ``DDPM`` module built as ``DDPM(unet, betas=betas, num_ts=num_ts, p_uncond=p_uncond)``."""

    betas: tuple[float, float]
    num_ts: int
    p_uncond: float


@dataclass(frozen=True, kw_only=True)
class FlowCase(Case):
    """A call of the flow-matching function ``kind`` on the stand-in UNet (read as a velocity field). Inputs by key:
    ``x`` (``x_1``), ``c`` (classes); ``class_fm_forward`` uses ``p_uncond``, the samplers ``img_wh``,
    ``num_samples`` / ``guidance_scale``."""

    kind: str  # time_fm_forward | class_fm_forward | time_fm_sample | class_fm_sample
    x: str | None = None
    c: str | None = None
    p_uncond: float | None = None
    img_wh: tuple[int, int] | None = None
    num_samples: int | None = None
    guidance_scale: float | None = None
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class FlowSpec(Spec[FlowCase]):
    """The flow-matching functions on a stand-in UNet, with ``num_ts`` Euler steps."""

    num_ts: int


@dataclass(frozen=True, kw_only=True)
class FlowModuleCase(Case):
    """``FlowMatching.forward(inputs[x][, inputs[c]])`` or ``FlowMatching.sample(...)`` (``method``), traced."""

    method: str  # forward | sample
    x: str | None = None
    c: str | None = None
    num_samples: int | None = None
    guidance_scale: float | None = None
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class FlowModuleSpec(Spec[FlowModuleCase]):
    """The ``FlowMatching`` module built as ``FlowMatching(unet, num_ts=num_ts, p_uncond=p_uncond)``."""

    num_ts: int
    p_uncond: float


@dataclass(frozen=True, kw_only=True)
class TrainingCase(Case):
    """``steps`` Adam steps (``lr``, batches of ``batch`` from ``images``, noise from ``noise``) of ``name(*args)``:
    ``kind`` ``denoise`` (σ = ``sigma``) or ``ddpm`` (``num_ts`` steps; ᾱ from the input ``alpha_bars``)."""

    kind: str  # denoise | ddpm
    name: str
    args: tuple[int, ...]
    steps: int
    batch: int
    lr: float
    images: str
    noise: str
    seed: int = 0
    sigma: float | None = None
    num_ts: int | None = None


@dataclass(frozen=True, kw_only=True)
class TrainingSpec(Spec[TrainingCase]):
    """Short CPU training runs."""


@dataclass(frozen=True, kw_only=True)
class GPUCase(Case):
    """Train ``unet(*args)`` on the GPU (``kind`` ``class`` or ``time``; Part B's ``version`` ``ddpm`` or ``flow``)
    for ``epochs`` over the inputs ``images`` and ``labels`` repeated ``repeat`` times with Adam at ``lr``, then draw
    ``num_samples`` samples with the student's sampler."""

    kind: str  # class | time
    version: str = "ddpm"  # ddpm | flow
    unet: str
    args: tuple[int, ...]
    epochs: int
    repeat: int
    num_ts: int
    betas: tuple[float, float]
    seed: int
    num_samples: int
    mode: str
    p_uncond: float | None = None
    guidance_scale: float | None = None
    lr: float = 1e-3


@dataclass(frozen=True, kw_only=True)
class GPUSpec(Spec[GPUCase]):
    """GPU convergence runs."""


# ------------------------------------------------------------------------------------------ probes


class Probe(enum.Enum):
    """Every probe the child can run: ``(flat module, function, the Spec it receives)``."""

    PART_A_CALLS = ("probes_part_a", "run_calls", CallSpec)
    MODELS = ("probes_part_b", "run_models", ModelSpec)
    ADD_NOISE = ("probes_part_b", "run_add_noise", AddNoiseSpec)
    SCHEDULE = ("probes_part_b", "run_schedule", ScheduleSpec)
    DDPM = ("probes_part_b", "run_ddpm", DDPMSpec)
    DDPM_MODULE = ("probes_part_b", "run_ddpm_class", DDPMModuleSpec)
    FLOW = ("probes_flow", "run_flow", FlowSpec)
    FLOW_MODULE = ("probes_flow", "run_flow_module", FlowModuleSpec)
    TRAINING = ("probes_part_b", "run_training", TrainingSpec)
    GPU_CONVERGENCE = ("probes_gpu", "run_gpu_convergence", GPUSpec)

    def __init__(self, module: str, function: str, spec_type: type[Spec]) -> None:
        self.module = module
        self.function = function
        self.spec_type = spec_type


S = TypeVar("S", bound=Spec)
ProbeFunction = Callable[[dict[str, Any], Any, dict[str, Any], Any], None]


def receives(spec_type: type[S]) -> Callable[[Callable[..., None]], ProbeFunction]:
    """Decorate a probe ``fn(ns, spec, inputs, rec)``: called with the spec's JSON, ``fn`` receives ``spec_type``."""

    def decorate(fn: Callable[..., None]) -> ProbeFunction:
        @functools.wraps(fn)
        def probe(ns: dict[str, Any], spec: dict[str, Any], inputs: dict[str, Any], rec: Any) -> None:
            fn(ns, spec_type.from_json(spec), inputs, rec)

        probe.spec_type = spec_type  # type: ignore[attr-defined]
        return probe

    return decorate
