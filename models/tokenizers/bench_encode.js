// Peer timing for casa-bench's TokenizerBenchmark: HF tokenizers (npm) encoding/decoding the same
// ~1 MB text (LICENSE + train_extra.txt repeated to >= 1,000,000 chars) with the fixture tokenizers.
// Run: cd models/tokenizers && node bench_encode.js   (best of 7 runs after 3 warm-ups, process CPU time)
'use strict';
const fs = require('fs');
const path = require('path');
const hf = require('@anush008/tokenizers');

const repo = path.join(__dirname, '..', '..');
const base = fs.readFileSync(path.join(repo, 'LICENSE'), 'utf8') + fs.readFileSync(path.join(__dirname, 'train_extra.txt'), 'utf8');
let text = '';
while (text.length < 1000000) text += base;

// Process CPU time (user + system, all threads) in ms: less sensitive than wall time to other load.
async function time(fn) {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
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
    const best = a => Math.min(...a);
    console.log(`${name}: ${ids.length} ids, encode ${best(enc).toFixed(0)} ms CPU, decode ${best(dec).toFixed(0)} ms CPU`);
  }
}
main().catch(e => { console.error(e); process.exit(1); });
