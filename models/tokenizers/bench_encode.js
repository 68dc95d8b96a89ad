// Peer timing for casa-bench's TokenizerBenchmark: HF tokenizers (npm) encoding/decoding the same
// ~1 MB text (LICENSE + train_extra.txt repeated to >= 1,000,000 chars) with the fixture tokenizers.
// Run: cd models/tokenizers && node bench_encode.js   (median of 7 runs after 3 warm-ups)
'use strict';
const fs = require('fs');
const path = require('path');
const hf = require('@anush008/tokenizers');

const repo = path.join(__dirname, '..', '..');
const base = fs.readFileSync(path.join(repo, 'LICENSE'), 'utf8') + fs.readFileSync(path.join(__dirname, 'train_extra.txt'), 'utf8');
let text = '';
while (text.length < 1000000) text += base;

async function time(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main() {
  for (const name of ['gpt2', 'llama3', 'qwen2', 'llama2', 'mistral']) {
    const tok = hf.Tokenizer.fromFile(path.join(repo, 'casa-text', 'src', 'test', 'resources', 'tokenizers', `${name}.tokenizer.json`));
    const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    const enc = [], dec = [];
    for (let i = 0; i < 10; i++) {
      const e = await time(() => tok.encode(text, null, { addSpecialTokens: false }));
      const d = await time(() => tok.decode(ids, false));
      if (i >= 3) { enc.push(e); dec.push(d); }
    }
    const median = a => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`${name}: ${ids.length} ids, encode ${median(enc).toFixed(1)} ms, decode ${median(dec).toFixed(1)} ms`);
  }
}
main().catch(e => { console.error(e); process.exit(1); });
