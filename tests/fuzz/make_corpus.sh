#!/usr/bin/env bash
# Remakes the seed inputs of tests/fuzz/corpus/ from the repository (inputs that once broke a reader,
# named crash-*, are kept): bash tests/fuzz/make_corpus.sh [PERFCAST] [NEUSIGHT_DIR]
#   network_json/  zoo networks exported at batch 2 (the CNNs whole or in part, a transformer's embeddings
#                  and first block), compact JSON
#   device_json/   the built-in devices, as a perfcast-devices document and as one device object
#   dataset_csv/   the provenance, header, first rows and every 400th (5000th) row of the CPU sweeps in data/cpu/ and
#                  of NeuSight's data in data/neusight/
#   neusight_csv/  a few rows of each operator of NeuSight's T4 files (NEUSIGHT_DIR: its raw CSV folder)
#   neusight_trace/ the first lines of two of NeuSight's per-node traces and one end-to-end label (V100)
#   model_file/    a small model trained on those rows (dense only, hidden 4, one member)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
perfcast=${1:-build/bin/perfcast}
neusight=${2:-../shared/data/external/neusight}
out=tests/fuzz/corpus
mkdir -p $out/{network_json,device_json,dataset_csv,neusight_csv,neusight_trace,model_file}
find $out -type f ! -name 'crash-*' -delete

python3 - "$perfcast" "$out" <<'PY'
import json, subprocess, sys
perfcast, out = sys.argv[1], sys.argv[2]
def export(name, *extra):
    return json.loads(subprocess.check_output([perfcast, 'network', 'export', name, '--batch', '2', *extra]))
def save(path, j):
    open(path, 'w').write(json.dumps(j, separators=(',', ':')) + '\n')
save(f'{out}/network_json/alexnet.json', export('alexnet'))
save(f'{out}/network_json/lenet5.json', export('lenet5'))
r = export('resnet50'); r['layers'] = r['layers'][:40] + r['layers'][-3:]; save(f'{out}/network_json/resnet50_part.json', r)
i = export('inception_v3'); i['layers'] = i['layers'][:60]; save(f'{out}/network_json/inception_v3_part.json', i)
for name in ['gpt2_large', 'bert_large', 'opt_13']:
    g = export(name, '--seq', '8')
    second = [k for k, l in enumerate(g['layers'])
              if l['name'].startswith(('transformer.h.1.', 'bert.encoder.layer.1.', 'model.decoder.layers.1.'))]
    g['layers'] = g['layers'][:second[0]] + g['layers'][-4:]
    save(f'{out}/network_json/{name}_part.json', g)
devices = json.loads(subprocess.check_output([perfcast, 'devices', '--format', 'json']))
save(f'{out}/device_json/builtin.json', devices)
open(f'{out}/device_json/one_device.json', 'w').write(json.dumps(devices['devices'][0], indent=1) + '\n')
PY

# a dataset's provenance lines and header, then its first 10 rows and every EVERY-th
rows() { awk -v every="$1" '/^#/ { print; next } !h { print; h = 1; next } { n++; if (n <= 10 || n % every == 0) print }'; }
for f in xeon_spr_2c xeon_spr_2c_torch_layers xeon_spr_2c_torch_memory epyc_milan_2c_torch_add; do
    rows 400 <data/cpu/$f.csv | head -40 >$out/dataset_csv/$f.csv
done
for f in bmm conv elementwise layernorm linear softmax; do
    rows 5000 <data/neusight/$f.csv | head -40 >$out/dataset_csv/neusight_$f.csv
done
for f in bmm linear; do rows 1000000 <data/neusight/test/$f.csv | head -20 >$out/dataset_csv/neusight_test_$f.csv; done

for dir in "$neusight"/*/; do
    op=$(basename "$dir")
    f=$(ls "$dir" | grep -E '^Tesla_T4\.csv(\.xz)?$' | head -1 || true)
    [ -n "$f" ] || continue
    if [[ $f == *.xz ]]; then xzcat "$dir/$f"; else cat "$dir/$f"; fi | awk 'NR<=4 || NR%3000==0' | head -8 \
        >$out/neusight_csv/${op}_t4.csv
done

labels=$neusight/labels/Tesla_V100-PCIE-32GB
xzcat $labels/gpt2_large-inf-1024-4.csv.xz | head -40 >$out/neusight_trace/gpt2_large_head.csv
xzcat $labels/bert_large-train-512-2.csv.xz | head -30 >$out/neusight_trace/bert_large_train_head.csv
cp $labels/gpt2_large-inf-1024-4.json $out/neusight_trace/gpt2_large_label.json

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$perfcast" import neusight $out/neusight_csv/linear_t4.csv $out/neusight_csv/softmax_t4.csv \
    $out/neusight_csv/relu_t4.csv --out "$tmp/rows.csv" >/dev/null
"$perfcast" train --data "$tmp/rows.csv" --out "$tmp/model.json" --hidden 4 --ensemble 1 --epochs 5 --holdout 0 \
    --kinds dense --no-portable >/dev/null
python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(',', ':')))" \
    "$tmp/model.json" >$out/model_file/dense_tiny.json
echo "make_corpus: $(find $out -type f | wc -l) files in $out"
