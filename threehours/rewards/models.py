"""The incentive catalogue, its codes and redemptions (激励, issue #15 §5)."""

from __future__ import annotations
