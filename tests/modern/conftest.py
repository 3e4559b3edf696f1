"""Tests of the KIP-848 consumer protocol (kafkalab.modern); helpers in modern_helpers.py."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
