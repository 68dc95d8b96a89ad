// Trains the demo model's tokenizer with HF `tokenizers` (Rust, via @anush008/tokenizers).
//
// A GPT-2 style byte-level BPE: ByteLevel pre-tokenizer (GPT-2 regex, no prefix space),
// ByteLevel decoder, no post-processor template (the library encodes prompt pieces without
// special tokens; "<s>" in the rendered chat template is matched as an added token).
// Ids: 0 <pad>, 1 <s>, 2 </s>, 3 <image>, 4 <boi>, 5 <eoi> (special added tokens), then the
// 256 byte symbols in byte order (any UTF-8 text encodes), then the learned merges in order.
//
// Run:  cd models/demo/tokenizer && npm install
//       /usr/bin/python3 ../shapes.py --corpus > /tmp/demo-corpus.txt
//       node train_tokenizer.js /tmp/demo-corpus.txt ../model/tokenizer.json
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const hf = require('@anush008/tokenizers');

const SPECIALS = ['<pad>', '<s>', '</s>', '<image>', '<boi>', '<eoi>'];

/** GPT-2's bytes_to_unicode: byte b -> the printable character ByteLevel uses for it. */
function byteSymbols() {
  const printable = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const symbols = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    symbols[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return symbols;
}

async function main() {
  const [corpus, out] = process.argv.slice(2);
  if (!corpus || !out) throw new Error('usage: node train_tokenizer.js CORPUS.txt OUT/tokenizer.json');

  const trainer = new hf.Tokenizer(hf.BPE.empty());
  trainer.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
  trainer.train([corpus]);
  const file = path.join(os.tmpdir(), `casa-demo-train-${process.pid}.json`);
  trainer.save(file, false);
  const trained = JSON.parse(fs.readFileSync(file, 'utf8')).model;
  fs.unlinkSync(file);

  const symbols = byteSymbols();
  const alphabet = new Set(symbols);
  for (const t of Object.keys(trained.vocab)) {
    if (t.length === 1 && !alphabet.has(t)) throw new Error(`unexpected initial symbol ${t}`);
  }
  const merges = trained.merges.map(m => (Array.isArray(m) ? m : m.split(' ')));
  const tokens = SPECIALS.concat(symbols, merges.map(([a, b]) => a + b));
  const vocab = {};
  tokens.forEach((t, i) => { if (!(t in vocab)) vocab[t] = i; });
  if (Object.keys(vocab).length !== tokens.length) throw new Error('duplicate merge result');

  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false,
      rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
  const text = JSON.stringify(json, null, 1);
  // Round trip through the library: it must load and encode the template pieces as expected.
  const tok = hf.Tokenizer.fromString(text);
  const enc = await tok.encode('<s>User: ', null, { addSpecialTokens: false });
  if (enc.getIds()[0] !== 1) throw new Error(`<s> not matched as a special token: ${enc.getIds()}`);
  fs.writeFileSync(out, text + '\n');
  console.log(`vocab ${tokens.length} (specials ${SPECIALS.length}, bytes 256, merges ${merges.length}) -> ${out}`);
  for (const s of ['<s>User: ', 'What colour is the circle?\nAssistant:', ' red</s>', ' top left</s>\nUser: ',
    'Describe the image.\nAssistant:', ' a red circle, an orange square and a blue triangle on a grey background']) {
    const e = await tok.encode(s, null, { addSpecialTokens: false });
    console.log(JSON.stringify(s), JSON.stringify(e.getTokens()), JSON.stringify(e.getIds()));
  }
}

main().catch(e => { console.error(e); process.exit(1); });
