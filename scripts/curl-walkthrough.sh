#!/usr/bin/env bash
# A walk through the Nemo API with curl alone, written from docs/contract.md: token, session,
# upload, credits, one /run_sse turn, state, export (submit, poll, download) and the claim link.
#
#   nemokit mock --time-scale 1000 &        # or any server that follows the contract
#   scripts/curl-walkthrough.sh [FILE]      # FILE: a video/image/audio to upload (default: a stub)
#
# Environment: NEMO_API_URL (default http://127.0.0.1:8765), NEMO_TOKEN (skip the anonymous
# token), NEMO_CLIENT_ID, SKILL_SOURCE, NEMO_WEB_URL, NEMO_OUTPUT (where the MP4 goes).
# Needs curl and python3 (python3 only pulls fields out of JSON). The token is a secret: it is
# kept in a variable and a 0600 header file (never on curl's command line), and never printed.
set -euo pipefail

API="${NEMO_API_URL:-http://127.0.0.1:8765}"
API="${API%/}"
WEB="${NEMO_WEB_URL:-https://nemovideo.com}"
MESSAGE='add the title "Hello Nemo" and lo-fi background music'

umask 077
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n== %s\n' "$*"; }
say() { printf '  %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v curl >/dev/null || die "curl is not installed"
command -v python3 >/dev/null || die "python3 is needed to read JSON answers"

# field FILE PATH[|PATH...]: one value from a JSON file; PATH is dotted (data.files.0.filename),
# and alternatives separated by | are tried in order (the contract's variants).
field() {
  python3 -c '
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
for path in sys.argv[2].split("|"):
    value = doc
    try:
        for key in path.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]
    except (KeyError, IndexError, TypeError, ValueError):
        continue
    if value is not None:
        print(json.dumps(value) if isinstance(value, (dict, list)) else value)
        sys.exit(0)
sys.exit("no " + sys.argv[2] + " in the answer")
' "$1" "$2"
}

# Attribution headers go on every request; the bearer on every request but the token call.
CLIENT_ID="${NEMO_CLIENT_ID:-$(python3 -c 'import uuid; print(uuid.uuid4())')}"
PLATFORM="${SKILL_SOURCE:-unknown}"
printf '%s\n' 'X-Skill-Source: ai-video-editor-link' 'X-Skill-Version: 0.1.0' \
  "X-Skill-Platform: $PLATFORM" >"$WORK/attribution"
AUTH="$WORK/auth"  # attribution + Authorization, written once the token is known

# call METHOD PATH HEADERFILE [curl args...]: body → $WORK/body, HTTP status → $STATUS.
call() {
  local method=$1 path=$2 headers=$3
  shift 3
  STATUS="$(curl -sS -X "$method" -H @"$headers" -o "$WORK/body" -w '%{http_code}' "$@" \
    "$API$path")" || die "$method $path: no answer from $API (is \`nemokit mock\` running?)"
}

# expect_ok WHAT: the answer must be HTTP 2xx and a success envelope (code 0 or success true).
# On failure it prints the code and message only: an answer may carry a token.
expect_ok() {
  python3 -c '
import json, sys
what, status = sys.argv[1], int(sys.argv[2])
try:
    body = json.load(open(sys.argv[3], encoding="utf-8"))
except ValueError:
    sys.exit(f"{what} failed: HTTP {status} without a JSON body")
if not isinstance(body, dict):
    sys.exit(f"{what} failed: HTTP {status}, unexpected answer")
ok = body.get("code") == 0 if "code" in body and "success" not in body else body.get("success") is True
if not ok or not 200 <= status < 300:
    code, text = body.get("code"), body.get("message") or body.get("error") or ""
    sys.exit(f"{what} failed: HTTP {status}, code {code}: {text}")
' "$1" "$STATUS" "$WORK/body" || exit 1
}

step "Server: $API"
ADMIN=no
if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/__admin/clock" || true)" == 200 ]]; then
  ADMIN=yes
  say "the mock's /__admin API answers: waits advance its clock instead of sleeping"
fi

step "1. Token (POST /api/auth/anonymous-token)"
if [[ -n "${NEMO_TOKEN:-}" ]]; then
  TOKEN="$NEMO_TOKEN"
  say "using NEMO_TOKEN"
else
  call POST /api/auth/anonymous-token "$WORK/attribution" -H "X-Client-Id: $CLIENT_ID"
  expect_ok "anonymous token"
  TOKEN="$(field "$WORK/body" data.token)"
  say "user_id: $(field "$WORK/body" data.user_id)"
  say "credits: $(field "$WORK/body" data.credits)"
  say "expires_at: $(field "$WORK/body" data.expires_at)"
  rm -f "$WORK/body"  # it holds the token
fi
say "token: (hidden)"
{ cat "$WORK/attribution"; printf 'Authorization: Bearer %s\n' "$TOKEN"; } >"$AUTH"

step "2. Session (POST /api/tasks/me/with-session/nemo_agent)"
call POST /api/tasks/me/with-session/nemo_agent "$AUTH" \
  -H 'Content-Type: application/json' -d '{"task_name": "project", "language": "en"}'
expect_ok "new session"
SID="$(field "$WORK/body" data.session_id)"
TASK="$(field "$WORK/body" data.task_id)"
say "session_id: $SID"
say "task_id: $TASK"

step "3. Upload (POST /api/upload-video/nemo_agent/me/$SID, multipart field 'files')"
UPLOAD="${1:-}"
if [[ -z "$UPLOAD" ]]; then
  UPLOAD="$WORK/clip.mp4"
  printf 'a stand-in for a short clip' >"$UPLOAD"  # the mock reads the type from the name
fi
[[ -f "$UPLOAD" ]] || die "no such file to upload: $UPLOAD"
call POST "/api/upload-video/nemo_agent/me/$SID" "$AUTH" -F "files=@$UPLOAD"
expect_ok "upload"
say "uploaded: $(field "$WORK/body" 'data.files.0.filename|data.uploaded_files.0.filename')" \
  "($(field "$WORK/body" 'data.files.0.file_type|data.uploaded_files.0.file_type'))"
say "url: $(field "$WORK/body" 'data.files.0.cdn_url|data.uploaded_files.0.url')"

show_credits() {
  call GET /api/credits/balance/simple "$AUTH"
  expect_ok "credits"
  say "credits: available $(field "$WORK/body" data.available)," \
    "frozen $(field "$WORK/body" data.frozen), total $(field "$WORK/body" data.total)"
}

step "4. Credits (GET /api/credits/balance/simple)"
show_credits

step "5. One turn (POST /run_sse, Accept: text/event-stream)"
say "message: $MESSAGE"
SID="$SID" MESSAGE="$MESSAGE" python3 -c '
import json, os
print(json.dumps({"app_name": "nemo_agent", "user_id": "me", "session_id": os.environ["SID"],
                  "new_message": {"parts": [{"text": os.environ["MESSAGE"]}]}}))
' >"$WORK/turn.json"
# Print each data: line as it arrives; the turn ends when the server closes the connection.
print_events() {
  local line count=0
  while IFS= read -r line; do
    line="${line%$'\r'}"
    case "$line" in
      data:*) count=$((count + 1)); line="${line#data:}"; say "event: ${line# }" ;;
      :*) say "comment: $line" ;;
    esac
  done
  say "$count events; the stream closed (a turn has no done event)"
}
curl -sS -N -X POST -H @"$AUTH" -H 'Accept: text/event-stream' \
  -H 'Content-Type: application/json' --data-binary @"$WORK/turn.json" \
  -D "$WORK/sse-head" "$API/run_sse" | tee "$WORK/body" | print_events ||
  die "the stream broke before it closed: do not re-send the message; fetch the state instead"
STATUS="$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$WORK/sse-head")"
if ! grep -qi '^content-type: *text/event-stream' "$WORK/sse-head"; then
  expect_ok "run_sse"  # a refusal before the stream (1002, 2001...) is a JSON envelope
  die "run_sse answered $STATUS without an event stream"
fi

step "6. State (GET /api/state/nemo_agent/me/$SID/latest)"
call GET "/api/state/nemo_agent/me/$SID/latest" "$AUTH"
expect_ok "state"
field "$WORK/body" data.state.draft >"$WORK/draft.json"
python3 -c '
import json, sys
draft = json.load(open(sys.argv[1])) or {}
tracks = draft.get("t") or []
for n, track in enumerate(tracks, 1):
    name, kind, segments = track.get("name", "track"), track.get("tt"), track.get("sg") or []
    print(f"  {n}. {name} (tt {kind}): {len(segments)} segment(s)")
seconds, title = (draft.get("d") or 0) / 1000, (draft.get("m") or {}).get("title")
print(f"  duration: {seconds:g} s; title: {title}")
if not any(track.get("sg") for track in tracks):
    sys.exit("the draft has no segment yet: nothing to export")
' "$WORK/draft.json"

step "7. Export (POST /api/render/proxy/lambda, with X-Skill-Source/-Version/-Platform)"
RENDER_ID="render_$(date +%s)"
RENDER_ID="$RENDER_ID" SID="$SID" python3 -c '
import json, os, sys
draft = json.load(open(sys.argv[1]))
print(json.dumps({"id": os.environ["RENDER_ID"], "sessionId": os.environ["SID"], "draft": draft,
                  "output": {"format": "mp4", "quality": "high"}}))
' "$WORK/draft.json" >"$WORK/render.json"
call POST /api/render/proxy/lambda "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/render.json"
expect_ok "render submit"
say "render id: $RENDER_ID, status: $(field "$WORK/body" 'data.status|status')"

step "8. Poll (GET /api/render/proxy/lambda/$RENDER_ID, every 30 s, at most 10 times)"
RENDER_STATUS=pending
for poll in 1 2 3 4 5 6 7 8 9 10; do
  if [[ $ADMIN == yes ]]; then
    curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"seconds": 30}' \
      "$API/__admin/clock/advance" || die "could not advance the mock's clock"
  else
    sleep 30
  fi
  call GET "/api/render/proxy/lambda/$RENDER_ID" "$AUTH"
  expect_ok "render status"
  RENDER_STATUS="$(field "$WORK/body" 'data.status|status')"
  say "poll $poll: $RENDER_STATUS, $(field "$WORK/body" 'data.progress|progress')%"
  case "$RENDER_STATUS" in
    completed) break ;;
    failed | cancelled) die "the render ended $RENDER_STATUS" ;;
  esac
done
[[ $RENDER_STATUS == completed ]] || die "the render was not done after 10 polls (5 minutes)"
URL="$(field "$WORK/body" 'data.outputUrl|output.url')"
say "output: $URL"

step "9. Download"
OUT="${NEMO_OUTPUT:-./$RENDER_ID.mp4}"
# The bearer goes only to the API itself, never to another host (an output URL may be a CDN).
DOWNLOAD_HEADERS="$WORK/attribution"
if [[ "$URL" == "$API"/* ]]; then DOWNLOAD_HEADERS="$AUTH"; fi
curl -sS -f -H @"$DOWNLOAD_HEADERS" -o "$OUT" "$URL" || die "could not download $URL"
say "downloaded $(wc -c <"$OUT" | tr -d ' ') bytes to $OUT (first box: $(head -c 8 "$OUT" | tail -c 4))"

step "10. Credits after the turn"
show_credits

step "11. Project link (POST /api/auth/claim-token)"
TASK="$TASK" SID="$SID" python3 -c '
import json, os
print(json.dumps({"task_id": os.environ["TASK"], "session_id": os.environ["SID"]}))
' >"$WORK/claim.json"
call POST /api/auth/claim-token "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/claim.json"
expect_ok "claim token"
say "claim token: (hidden), expires in $(field "$WORK/body" data.expires_in) s"
say "project link: $WEB/workspace/claim?ct=(the claim token)"
rm -f "$WORK/body"

printf '\nDone: every step answered as the contract says.\n'
