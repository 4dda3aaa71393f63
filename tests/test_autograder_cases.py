"""``autograder.child.cases``: the typed plan → probe contract.

Every :class:`~autograder.child.cases.Probe` names a child function that receives its spec class (checked in a
fresh process that imports ``autograder/child`` flat, as the child does); the Part B groups' plans build their
probe's spec class and survive the JSON trip into the sandbox; an unknown key in a spec's JSON is an error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import autograder
from autograder.child.cases import DDPMCase, DDPMSpec, Probe
from autograder.groups import ddpm, flow_matching, gpu, noise_schedule, training

CHILD_DIR = Path(autograder.__file__).parent / "child"


def test_every_probe_receives_its_spec_class_in_the_child():
    members = [(m.name, m.module, m.function, m.spec_type.__name__) for m in Probe]
    script = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(CHILD_DIR)!r})\n"
        "bad = []\n"
        f"for name, module, function, spec in {members!r}:\n"
        "    fn = getattr(importlib.import_module(module), function)\n"
        "    got = getattr(getattr(fn, 'spec_type', None), '__name__', None)\n"
        "    if got != spec:\n"
        "        bad.append((name, got, spec))\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


GROUPS = [
    noise_schedule.AddNoiseGroup(), noise_schedule.ScheduleGroup(),
    ddpm.DDPMTimeGroup(), ddpm.DDPMClassCondGroup(), ddpm.DDPMModuleGroup(),
    flow_matching.FlowTimeGroup(), flow_matching.FlowClassGroup(), flow_matching.FlowModuleGroup(),
    training.TrainingGroup(), gpu.GPUConvergenceGroup("ddpm"), gpu.GPUConvergenceGroup("flow"),
]


@pytest.mark.parametrize("group", GROUPS, ids=[f"{g.name}-{getattr(g, 'version', '')}".rstrip("-") for g in GROUPS])
def test_a_plan_builds_its_probes_spec_and_survives_the_json_trip(group):
    spec, _inputs = group.plan_spec()
    assert isinstance(spec, group.probe_ref.spec_type)
    wire = json.loads(json.dumps(spec.to_json()))
    assert group.probe_ref.spec_type.from_json(wire) == spec
    assert all(isinstance(case, spec.case_type()) for case in spec.cases)


def test_an_unknown_key_in_a_spec_is_an_error():
    wire = DDPMSpec(conditional=False, num_ts=3, cases=[DDPMCase(key="k", kind="ddpm_forward", x="x")]).to_json()
    wire["cases"][0]["surprise"] = 1
    with pytest.raises(TypeError):
        DDPMSpec.from_json(wire)
