#!/usr/bin/env bash
# Gradescope's setup step, for courses that upload an autograder zip instead of a custom image:
# Gradescope unpacks the zip into /autograder/source and runs this script once while building its image.
set -euo pipefail
cd /autograder/source
apt-get update && apt-get install -y --no-install-recommends python3-venv && rm -rf /var/lib/apt/lists/*
# The README's setup command.
python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'
FUNDIFF_MNIST_ROOT=/opt/mnist .venv/bin/python -c "from assignment.mnist import load_mnist; load_mnist(download=True)"
chmod -R a+rX /opt/mnist
cp docker/run_autograder /autograder/run_autograder && chmod 0755 /autograder/run_autograder
# Submissions run as other users: keep the reference and the grader unreadable to them, even without namespaces.
.venv/bin/python -m autograder protect
