#!/bin/sh
# Runs the HOC smoke test shipped in /opt/neuron/hoc; prints the final membrane potential.
set -eu
exec nrniv /opt/neuron/hoc/smoke-test.hoc
