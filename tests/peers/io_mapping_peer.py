"""Round trip of the Algonauts 2023 mapping files with real numpy, for tests/io_label_mapping.rs:
loads the file Rust wrote and writes one with numpy.save for Rust to read."""
import json
import sys

import numpy as np

args = json.load(sys.stdin)
loaded = np.load(args["rust_written"], allow_pickle=True).item()
mapping = {int(k): v for k, v in args["mapping"].items()}
np.save(args["numpy_path"], mapping)
print(json.dumps({"loaded": {str(k): v for k, v in loaded.items()}}))
