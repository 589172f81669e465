#!/usr/bin/env bash
# End to end on the small default deck: install, build, then run the job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/install_deps.sh
bash jobs/build.sh
exec bash jobs/local_run.sh input/quickstart.ini "${1:-quickstart_out}"
