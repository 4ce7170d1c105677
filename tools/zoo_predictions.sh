#!/usr/bin/env bash
# Prints perfcast's predictions for the whole zoo, layer by layer (JSON lines), over devices,
# passes, precisions, batch sizes, the committed models and the analytical methods: a record to
# diff before and after a change that must not change any prediction.
#   bash tools/zoo_predictions.sh build/bin/perfcast > after.jsonl
#   diff before.jsonl after.jsonl && echo identical
set -euo pipefail
perfcast=${1:?usage: tools/zoo_predictions.sh PATH/TO/perfcast}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
nets=(lenet5 alexnet vgg16 resnet50 inception_v3)
one() { echo "# $*"; "$perfcast" predict "$@" --format json | tr -d '\n '; echo; }
for net in "${nets[@]}"; do
    for pass in inference training; do
        for batch in 1 32; do
            for dev in h100 a100 t4 p4 l4; do
                for dtype in fp32 bf16; do one "$net" --device "$dev" --pass "$pass" --batch "$batch" --dtype "$dtype"; done
            done
            one "$net" --device t4 --pass "$pass" --batch "$batch" --method paleo --ppp-comp 0.5
            one "$net" --device t4 --pass "$pass" --batch "$batch" --method roofline --optimizer adam
            one "$net" --device xeon_spr_2c --pass "$pass" --batch "$batch" --model models/cpu-xeon_spr_2c.json
            one "$net" --device xeon_spr_2c --pass "$pass" --batch "$batch" --model models/cpu-xeon_spr_2c-torch.json
            one "$net" --device epyc_milan_2c --pass "$pass" --batch "$batch" --model models/cpu-epyc_milan_2c-torch.json
            one "$net" --device epyc_milan_2c --pass "$pass" --batch "$batch" --model models/cpu-epyc_milan_2c-torch.json --optimizer none
        done
    done
done
