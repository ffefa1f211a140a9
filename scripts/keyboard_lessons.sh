#!/usr/bin/env bash
# Run every shipped lesson start to end with the keyboard alone, in a real X window (Xvfb) at
# 1280x720, a screenshot after each key:
#     scripts/keyboard_lessons.sh OUT_DIR
# For each lesson: Page Down through every slide, F1 (the keyboard sheet), Escape, Page Up.
# Keys go through XTEST to the focused app window (xdotool key without --window: a key sent to
# a window with XSendEvent never reaches Qt). Each lesson's stderr is kept as OUT_DIR/NAME.log;
# the script fails if one has a traceback. Needs Xvfb, xdotool and ImageMagick (the
# ../shared/tools/shoot helper installs them).
set -u
out=${1:?usage: scripts/keyboard_lessons.sh OUT_DIR}
mkdir -p "$out"
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
status=0
for lesson in assets/lessons/*.json; do
  name=$(basename "$lesson" .json)
  slides=$("$python" -c "import json, sys; print(len(json.load(open(sys.argv[1]))['slides']))" "$lesson")
  keys="$(for _ in $(seq 2 "$slides"); do printf 'Next '; done)F1 Escape Prior"
  disp=:$(( 90 + RANDOM % 100 ))
  Xvfb "$disp" -screen 0 1600x1000x24 >/dev/null 2>&1 & xpid=$!
  sleep 1
  env -u QT_QPA_PLATFORM DISPLAY="$disp" "$python" -m gui --lesson "$lesson" --size 1280x720 \
    > "$out/$name.log" 2>&1 & apid=$!
  sleep "${WAIT_S:-15}"
  win=$(DISPLAY="$disp" xdotool search --onlyvisible --pid "$apid" 2>/dev/null | head -1)
  DISPLAY="$disp" xdotool windowactivate --sync "$win" >/dev/null 2>&1 \
    || DISPLAY="$disp" xdotool windowfocus --sync "$win"
  DISPLAY="$disp" import -window root -crop 1280x720+0+0 "$out/${name}_0.png"
  n=0
  for key in $keys; do
    n=$((n + 1))
    DISPLAY="$disp" xdotool key "$key"
    sleep 1.2
    DISPLAY="$disp" import -window root -crop 1280x720+0+0 "$out/${name}_${n}_${key}.png"
  done
  kill "$apid" 2>/dev/null; sleep 0.5; kill -9 "$apid" 2>/dev/null; kill "$xpid" 2>/dev/null
  wait 2>/dev/null
  if grep -q Traceback "$out/$name.log"; then echo "$name: traceback (see $out/$name.log)"; status=1
  else echo "$name: $slides slides, $n keys, no traceback"; fi
done
exit $status
