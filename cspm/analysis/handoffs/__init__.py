"""Handoffs, ping-pong, rework, approval loops, redundancy and their findings."""
