"""Writes data/datasets/toy/task-*.json: the four fixed mappings the task-vector toy (toy-tasks-2l) learns.

Each task maps the 32 inputs of the associative-recall toy (AssociativeRecall.Inputs) to one of its own eight labels,
four inputs per label, in an order shuffled once with Python's random.Random(seed). The label sets are disjoint, so a
demonstration's label tells which task a prompt is; only the demonstrations can tell it, since every input appears in all
four tasks. Run from the repository root: python3 tools/toy-datasets/task_datasets.py
"""
import json
import random

INPUTS = ["apple", "river", "chair", "cloud", "horse", "bread", "stone", "light", "glass", "music", "paper",
          "water", "field", "plant", "train", "house", "table", "watch", "phone", "money", "night", "dream",
          "heart", "storm", "book", "door", "tree", "metal", "fish", "bird", "shirt", "bridge"]

TASKS = {
    "colour": ["red", "blue", "green", "black", "white", "yellow", "orange", "purple"],
    "number": ["one", "two", "three", "four", "five", "six", "seven", "eight"],
    "letter": ["A", "B", "C", "D", "E", "F", "G", "H"],
    "animal": ["cat", "dog", "cow", "pig", "fox", "owl", "bee", "rat"],
}

for seed, (name, labels) in enumerate(TASKS.items(), start=11):
    outputs = [labels[i % len(labels)] for i in range(len(INPUTS))]
    random.Random(seed).shuffle(outputs)
    pairs = [{"input": x, "output": y} for x, y in zip(INPUTS, outputs)]
    with open(f"data/datasets/toy/task-{name}.json", "w", encoding="utf-8") as f:
        json.dump(pairs, f, indent=1)
        f.write("\n")
