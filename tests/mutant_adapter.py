"""A deliberately broken adapter used to prove that the runner catches each kind of failure.

``python -m tests.mutant_adapter MODE``: the reference adapter, except that
``wrong_output`` changes every merkle root, ``wrong_code`` renames every error code,
``accept_all`` accepts every case, ``crash`` exits on merkle ``verify_proof`` requests for a
one-leaf tree, ``garbage`` answers hashing requests for empty data with a non-JSON line,
``unsupported`` supports only encoding.
"""

from __future__ import annotations

import json
import sys

from conformance.adapter import handle_request
from conformance.handlers import FLOW_HANDLERS


def main() -> None:
    mode = sys.argv[1]
    flows = {"encoding": FLOW_HANDLERS["encoding"]} if mode == "unsupported" else FLOW_HANDLERS
    for line in sys.stdin:
        request = json.loads(line)
        data = request.get("input") or {}
        if mode == "crash" and request.get("handler") == "verify_proof" and data.get("count") == 1:
            sys.exit(3)
        if mode == "garbage" and request.get("flow") == "hashing" and data.get("data") == "":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            continue
        response = handle_request(request, flows)
        if mode == "wrong_output" and request.get("handler") == "root":
            response["output"] = {"root": "00" * 32}
        if mode == "wrong_code" and response.get("result") == "error":
            response["code"] = "SOMETHING_ELSE"
        if mode == "accept_all" and response.get("result") == "error":
            response = {"id": response["id"], "result": "ok", "output": None}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
        if request.get("method") == "shutdown":
            return


if __name__ == "__main__":
    main()
