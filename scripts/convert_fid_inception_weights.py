#!/usr/bin/env python
"""Converts pytorch-fid's FID Inception weights: `kerasgan convert-inception-weights`.

Kept for older instructions; see `kerasgan.extractors.convert_fid_inception_weights`.
"""

import sys

from kerasgan.extractors.convert_fid_inception_weights import main

if __name__ == "__main__":
    sys.exit(main())
