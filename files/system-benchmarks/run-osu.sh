#!/bin/sh
# Point-to-point latency and bandwidth between two ranks.
set -eu
mpirun -n 2 osu_latency
mpirun -n 2 osu_bw
