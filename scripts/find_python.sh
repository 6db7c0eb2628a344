#!/usr/bin/env bash
# Print the path of a working interpreter for the version asked for (e.g. 3.10).
# pyenv shims exist for every installed version but refuse to run one that is not selected, so try them for real.
set -u
want="$1"
for candidate in "python${want}" "$(command -v pyenv >/dev/null 2>&1 && ls -d "$(pyenv root)"/versions/${want}.*/bin/python${want} 2>/dev/null | sort -V | tail -n 1)" /usr/bin/python${want} /usr/local/bin/python${want}; do
  [ -n "$candidate" ] || continue
  if path=$(command -v "$candidate" 2>/dev/null) && "$path" -c 'import sys, venv' >/dev/null 2>&1; then
    if [[ "$path" == */shims/* ]]; then
      # A shim that works today may not tomorrow: resolve it to the real binary.
      path=$("$path" -c 'import sys; print(sys.executable)')
    fi
    echo "$path"
    exit 0
  fi
done
echo "error: Python ${want} not found (Rasa 3.6 needs Python 3.10; install it or put python${want} on PATH)" >&2
exit 1
