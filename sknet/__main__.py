"""``python -m sknet demo [--out DIR]``: run the demo (see sknet.demo)."""

import sys


def main(argv=None):
    """Dispatch ``python -m sknet COMMAND``; only ``demo`` exists."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] != "demo":
        asked = bool(argv) and argv[0] in ("-h", "--help")
        stream = sys.stdout if asked else sys.stderr
        print("usage: python -m sknet demo [--help] [--out DIR]", file=stream)
        print("  demo   tune an MLP, report it, export it to ONNX and check it", file=stream)
        return 0 if asked else 2
    from sknet.demo import main as demo_main

    return demo_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
