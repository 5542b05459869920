#!/usr/bin/env bash
# Builds the mlapi container images: the gateway and one worker image per model. Models are found
# from models/*/model.json, so a new model folder gets an image with no edit here.
#
#   ./build-images.sh [--registry REG] [--tag TAG] [--push] [--dry-run]
#
# Images: REG/mlapi-api:TAG and REG/mlapi-worker-<model>:TAG, which is what the manifests in
# k8s-config/ and models/*/k8s/ reference (REG=mlapi and TAG=the gateway's package version by
# default).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: build-images.sh [options]

Build the gateway image and one worker image per models/<name>/model.json.

Options:
  --registry REG   image name prefix, e.g. registry.example.com/mlapi (default: mlapi)
  --tag TAG        image tag (default: the version in packages/api/package.json)
  --push           push every image after building it
  --dry-run        print the docker commands instead of running them
  -h, --help       show this help
USAGE
}

die() {
  printf 'build-images.sh: %s\n' "$*" >&2
  exit 2
}

cd "$(dirname "${BASH_SOURCE[0]}")"

registry=mlapi
tag=
push=0
dry_run=0

while (($# > 0)); do
  case "$1" in
    --registry)
      (($# >= 2)) || die "--registry needs a value"
      registry=$2
      shift 2
      ;;
    --registry=*)
      registry=${1#*=}
      shift
      ;;
    --tag)
      (($# >= 2)) || die "--tag needs a value"
      tag=$2
      shift 2
      ;;
    --tag=*)
      tag=${1#*=}
      shift
      ;;
    --push)
      push=1
      shift
      ;;
    --dry-run)
      dry_run=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown option: $1"
      ;;
  esac
done

if [[ -z $tag ]]; then
  tag=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' packages/api/package.json | head -n 1)
  [[ -n $tag ]] || die "no version in packages/api/package.json; pass --tag"
fi

registry=${registry%/}
[[ -n $registry ]] || die "--registry must not be empty"
# Docker's tag grammar: letters, digits, _ . - ; up to 128 characters; not starting with . or -.
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid tag: $tag"

# Runs a command, or prints it (shell-quoted, one per line) under --dry-run.
run() {
  if ((dry_run)); then
    local quoted
    printf -v quoted '%q ' "$@"
    printf '%s\n' "${quoted% }"
  else
    "$@"
  fi
}

build_and_push() { # image, then the docker build arguments
  local image=$1
  shift
  run docker build --tag "$image" "$@" .
  if ((push)); then
    run docker push "$image"
  fi
}

models=()
for manifest in models/*/model.json; do
  [[ -f $manifest ]] || continue
  model=${manifest#models/}
  model=${model%/model.json}
  # The same rule as the queue name mlapi.<model> (DESIGN.md): it becomes part of an image name.
  [[ $model =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die "model folder name not allowed: $model"
  [[ -f models/$model/model.onnx ]] || die "models/$model has model.json but no model.onnx"
  models+=("$model")
done
((${#models[@]} > 0)) || die "no models found (models/*/model.json); run pnpm models:build"

build_and_push "$registry/mlapi-api:$tag" --file packages/api/Dockerfile
for model in "${models[@]}"; do
  build_and_push "$registry/mlapi-worker-$model:$tag" \
    --file packages/worker/Dockerfile --build-arg "MODEL=$model"
done
