"""Every default of the grader in one place, each with what it is and why it has its value.

Values shared with the sandboxed child (record sizes, the stdout cap, Part A's image size) live in
:mod:`autograder.child.protocol`, the one module both sides import; the reference's GPU convergence thresholds live
with the reference's training (``solutions.fast_training.CONVERGENCE_THRESHOLDS``), which measured them.
"""

from __future__ import annotations

#: Seed of every random draw the grader makes for a submission (inputs, hypothesis cases, the child's RNG).
GRADER_SEED = 0
#: Extra address space per child, in MiB, on top of what it maps after importing torch: the tiny models and the
#: 28×28 UNets at D ≤ 128 need well under 1 GiB; 3 GiB leaves room for a student's inefficient but honest code.
MEMORY_MB = 3072
#: Test groups run at once: one per core, at most this many (each child uses one thread).
MAX_JOBS = 4

#: Wall-time limit of each test group's child, in seconds, on a 2-core CPU (``--timeout-scale`` multiplies them).
#: The reference finishes every group in under 2 s there; the limits leave room for slow but honest code (an
#: unbatched CFG loop, a Python loop over pixels) and for a machine shared by several children.
TIME_LIMITS_S = {
    "part_a_basics": 90,
    "part_a_loops": 120,
    "part_a_illusions": 120,
    "blocks": 60,
    "UnconditionalUNet": 90,
    "TimeConditionalUNet": 90,
    "ClassConditionalUNet": 90,
    "add_noise": 40,
    "ddpm_schedule": 30,
    "ddpm": 60,
    "ddpm_cond": 60,
    "DDPM": 60,
    "flow_time": 60,
    "flow_class": 60,
    "FlowMatching": 60,
    "training": 120,
    "gpu_convergence": 300,  # two 5-epoch trainings through the CUDA-graph engine plus sampling, ~8 s each on an H100
}

#: Wall-time limit of one probe call (one case of a group), in seconds, on a 2-core CPU. Measured on the reference
#: (benchmarks/bench_grade.py's machine, loaded): every call takes under 0.5 s, except the training group's 20-step
#: CPU runs of a UNet, about 2 s each. A call running ten times longer than that is stuck: the harness stops it and
#: the group is re-run without that function's calls, so other functions keep their points.
CALL_LIMIT_S = 10.0
CALL_LIMITS_S = {"training": 30.0, "gpu_convergence": 240.0}  # the GPU group trains two DDPMs per call
#: ``--timeout-scale`` scales call limits too, but never below this (a call limit under the reference's own cost
#: would fail correct work on a busy machine).
CALL_LIMIT_FLOOR_S = 5.0
#: How many times a group that stopped mid-call is re-run without the calls it stopped in.
MAX_RERUNS = 3

#: Model outputs on shared weights (float32; the same operations up to the summation order of convolutions).
MODEL_ATOL = 1e-4
#: Part A images: ``atol = PART_A_RTOL · (1 + max|expected|)`` (the CFG scale 7 and ``1/sqrt(ᾱ_990)`` magnify
#: float32 rounding of ~1e-7 to ~1e-5).
PART_A_RTOL = 1e-4
#: Noise recovered from a formula must equal a recorded draw within this (float32 rounding through the formula).
NOISE_ATOL = 2e-3


#: GPU convergence of Part B's flow-matching version (docs/spec.md §2.6): the student's UNets trained with their
#: own flow-matching loss through the CUDA-graph engine, 5 epochs of 60,000 images, batch 128, Adam lr 1e-3 (the
#: DDPM budget), then 200 samples from their own Euler sampler with T = 50 steps (CFG γ = 5). The reference on an
#: H200 over seeds 0, 1, 2 (``benchmarks/bench_flow_convergence.py``, ``benchmarks/results/flow_convergence_h200.log``;
#: ~8.5 s of training per model): class loss 0.092–0.093 and 100 % of CFG samples the digit asked for; time loss
#: 0.099–0.100 and classifier confidence 0.85–0.88. The flipped-target mutant reaches the same loss (the UNet learns
#: −u) but its samples are not digits: 9 % class accuracy, confidence 0.52. So the loss limits sit ~30 % above the
#: reference's, and the sample limits 20 points below the reference's accuracy and 0.1 below its lowest confidence.
FLOW_CONVERGENCE_THRESHOLDS = {
    "epochs": 5,
    "num_ts": 50,
    "class_loss": 0.12,
    "class_accuracy": 0.80,
    "time_loss": 0.13,
    "time_confidence": 0.75,
}
