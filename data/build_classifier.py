"""Train the shipped MNIST classifier on the training split (seeded) and write its weights and record.

    python data/build_classifier.py   # writes data/mnist_classifier.safetensors and .json
"""

import argparse
import json

from safetensors.torch import save_model

from assignment.classifier import WEIGHTS_PATH, evaluate, train_classifier
from assignment.mnist import load_mnist, mnist_source, mnist_tensors

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8, help="training epochs (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = parser.parse_args()
    train_x, train_y = mnist_tensors(load_mnist(train=True))
    test_x, test_y = mnist_tensors(load_mnist(train=False))
    model = train_classifier(train_x, train_y, epochs=args.epochs, seed=args.seed)
    accuracy = evaluate(model, test_x, test_y)
    save_model(model, str(WEIGHTS_PATH))
    record = {"data": mnist_source(), "train_size": len(train_x), "test_size": len(test_x),
              "epochs": args.epochs, "seed": args.seed, "held_out_accuracy": round(accuracy, 4)}
    WEIGHTS_PATH.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
