// Encodes text with HF `tokenizers` for train.py: one JSON string per stdin line ->
// one JSON array of ids per stdout line (no special tokens added; added tokens such as
// "<s>" and "</s>" in the text are matched as the library does).
// Usage: node encode_server.js TOKENIZER.json
'use strict';
const fs = require('fs');
const readline = require('readline');
const hf = require('@anush008/tokenizers');

const tok = hf.Tokenizer.fromString(fs.readFileSync(process.argv[2], 'utf8'));
const rl = readline.createInterface({ input: process.stdin });
const queue = [];
let busy = false;

async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const text = JSON.parse(queue.shift());
    const enc = await tok.encode(text, null, { addSpecialTokens: false });
    process.stdout.write(JSON.stringify(enc.getIds()) + '\n');
  }
  busy = false;
}

rl.on('line', line => { queue.push(line); drain(); });
