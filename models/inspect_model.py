"""Print what streampipe sees in an ONNX model: inputs, outputs, recognised decoder, and a timing.

    python models/inspect_model.py path/to/model.onnx [--decoder yolov8] [--image img.jpg]

Use it before ``--decoder`` guessing: it shows the output signature the recogniser looked at, and with
``--image`` runs one detection and prints the records.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import onnx

from streampipe.errors import ModelError
from streampipe.inference import load_model
from streampipe.inference.signature import TensorInfo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="catalog name or .onnx path")
    ap.add_argument("--decoder", default=None)
    ap.add_argument("--image", default=None, help="run one detection on this image")
    args = ap.parse_args()
    if args.model.endswith(".onnx"):
        proto = onnx.load(args.model, load_external_data=False)
        inits = {i.name for i in proto.graph.initializer}
        print("opset:", [(o.domain or "ai.onnx", o.version) for o in proto.opset_import], "ir:", proto.ir_version)
        for vi in proto.graph.input:
            if vi.name not in inits:
                print("input: ", TensorInfo.from_proto(vi))
        for vi in proto.graph.output:
            print("output:", TensorInfo.from_proto(vi))
    try:
        model = load_model(args.model, decoder=args.decoder)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(model.info(), indent=2))
    if args.image:
        import cv2

        img = cv2.imread(args.image)
        if img is None:
            print(f"error: cannot read {args.image}", file=sys.stderr)
            return 2
        model.detect(img)
        t = time.perf_counter()
        dets = model.detect(img)
        print(f"detect: {(time.perf_counter() - t) * 1e3:.1f} ms")
        print(json.dumps(dets.to_records(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
