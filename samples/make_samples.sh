#!/usr/bin/env bash
# Makes the small speech samples the demo and tests use: espeak-ng speech over an ffmpeg test
# pattern. The spoken text of each sample is kept beside it as <name>.txt. Deterministic: the
# same tools give the same files. Run from anywhere: ./samples/make_samples.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

speak() { # name voice text
  printf '%s\n' "$3" > "$1.txt"
  espeak-ng -v "$2" -s 150 -w "$tmp/$1.wav" "$3"
}

speak talk en-us "Welcome to the subtitle tool. Today we will learn how editors add subtitles to their videos in several languages. Every line should be easy to read, and every word should appear on time."
speak bonjour fr "Bonjour à tous. Aujourd'hui nous allons voir comment ajouter des sous-titres à une vidéo. Chaque ligne doit être facile à lire."
speak memo en-us "This is a short voice memo. Please send the final cut to the client before Friday."

# MP4: H.264 + AAC, speech starting after one second of silence (so timestamps can be checked).
ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=320x180:rate=10" -i "$tmp/talk.wav" \
  -filter_complex "[1:a]adelay=1000|1000,apad=pad_dur=1,aresample=22050[a]" -map 0:v -map "[a]" -shortest \
  -c:v libx264 -preset veryfast -crf 36 -pix_fmt yuv420p -x264-params threads=1 -c:a aac -b:a 32k -ac 1 \
  -metadata:s:a:0 language=eng -movflags +faststart talk.mp4
# MKV: H.264 + Opus, French.
ffmpeg -nostdin -loglevel error -y -f lavfi -i "smptebars=size=320x180:rate=10" -i "$tmp/bonjour.wav" \
  -filter_complex "[1:a]adelay=500|500,apad=pad_dur=1[a]" -map 0:v -map "[a]" -shortest \
  -c:v libx264 -preset veryfast -crf 36 -pix_fmt yuv420p -x264-params threads=1 -c:a libopus -b:a 24k -ac 1 \
  -metadata:s:a:0 language=fre bonjour.mkv
# Audio only: MP3.
ffmpeg -nostdin -loglevel error -y -i "$tmp/memo.wav" -af "adelay=500|500,apad=pad_dur=0.5" -c:a libmp3lame -b:a 32k -ac 1 memo.mp3
ls -l talk.mp4 bonjour.mkv memo.mp3
