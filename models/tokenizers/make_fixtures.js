// Makes the tokenizer oracle fixtures for casa-text's Java tokenizer tests.
//
// The oracle is HF `tokenizers` (Rust, 0.22) through the npm package @anush008/tokenizers.
// 1. Trains two small BPE models on ../../LICENSE + train_extra.txt: a byte-level one (GPT-2 /
//    Llama-3 / Qwen2 style) and a Metaspace one given Llama-style ids (<unk>, <s>, </s>, the 256
//    <0xXX> byte-fallback tokens, then the learned pieces).
// 2. Writes several tokenizer.json variants around those models (the real pipelines of GPT-2,
//    Llama-2, Llama-3, Qwen2, Mistral/Helium, plus hand-written ones exercising other components).
// 3. Loads every variant back with Tokenizer.fromString and records, for each test string, the
//    library's ids (without / with special tokens) and decodes, plus decodes of random id lists.
//
// Run:  cd models/tokenizers && npm install && node make_fixtures.js
// Output: casa-text/src/test/resources/tokenizers/<name>.tokenizer.json and <name>.expected.jsonl
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const hf = require('@anush008/tokenizers');

const OUT = path.join(__dirname, '..', '..', 'casa-text', 'src', 'test', 'resources', 'tokenizers');
const TRAIN_FILES = [path.join(__dirname, '..', '..', 'LICENSE'), path.join(__dirname, 'train_extra.txt')];
const BYTE_LEVEL_VOCAB = 1200;   // learned tokens kept (keeps the fixtures small)
const METASPACE_VOCAB = 1000;

// ---------- training ----------

function train(preTokenizer) {
  const tok = new hf.Tokenizer(hf.BPE.empty());
  tok.setPreTokenizer(preTokenizer);
  tok.train(TRAIN_FILES);
  const file = path.join(os.tmpdir(), `casa-train-${process.pid}.json`);
  tok.save(file, false);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  return json.model;
}

/** Keeps the tokens with the smallest ids and the merges whose parts and result are all kept. */
function truncate(model, keep) {
  const entries = Object.entries(model.vocab).sort((a, b) => a[1] - b[1]).slice(0, keep);
  const tokens = entries.map(e => e[0]);
  const kept = new Set(tokens);
  const merges = model.merges.filter(([a, b]) => kept.has(a) && kept.has(b) && kept.has(a + b));
  return { tokens, merges };
}

function bpeModel(vocabTokens, merges, options) {
  const vocab = {};
  vocabTokens.forEach((t, i) => { if (!(t in vocab)) vocab[t] = i; });
  return Object.assign({
    type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
    end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
  }, options, { vocab, merges });
}

function addedToken(id, content, special, opts = {}) {
  return Object.assign({ id, content, single_word: false, lstrip: false, rstrip: false,
    normalized: !special, special }, opts);
}

function tokenizerJson(parts) {
  return Object.assign({ version: '1.0', truncation: null, padding: null, added_tokens: [],
    normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null }, parts);
}

const template = (bos, id) => ({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
    { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { [bos]: { id: bos, ids: [id], tokens: [bos] } },
});

const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// Not used by a fixture tokenizer, only by the regex oracle: GPT-4o (o200k) and a possessive cl100k form.
const O200K_REGEX = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const CL100K_POSSESSIVE_REGEX = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";
const byteLevel = (addPrefixSpace, useRegex) =>
  ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: useRegex });
const split = (pattern, behavior, invert = false) => ({ type: 'Split', pattern, behavior, invert });
const llamaDecoder = { type: 'Sequence', decoders: [
  { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
  { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };

function buildVariants() {
  const variants = {};

  // ----- byte-level BPE -----
  const bl = truncate(train(hf.byteLevelPreTokenizer(false, true)), BYTE_LEVEL_VOCAB);
  const alphabet = hf.byteLevelAlphabet();
  const blTokens = bl.tokens.concat(alphabet.filter(c => !bl.tokens.includes(c)).sort());
  // Whole words present in the vocabulary but not reachable by the merges: only ignore_merges finds them.
  const wordOnly = ['Ġlicensor', 'ĠLicensor', 'Ġtokenizer', 'Ġpicture'].filter(w => !blTokens.includes(w));
  let n = blTokens.length;
  const blMerges = bl.merges;
  const blMergesStrings = blMerges.map(([a, b]) => `${a} ${b}`);

  variants.gpt2 = tokenizerJson({
    added_tokens: [addedToken(n, '<|endoftext|>', true)],
    pre_tokenizer: byteLevel(false, true),
    post_processor: byteLevel(true, true),
    decoder: byteLevel(true, true),
    model: bpeModel(blTokens.concat(['<|endoftext|>']), blMergesStrings),
  });
  const l3Tokens = blTokens.concat(wordOnly);
  const l3n = l3Tokens.length;
  variants.llama3 = tokenizerJson({
    added_tokens: [addedToken(l3n, '<|begin_of_text|>', true), addedToken(l3n + 1, '<|end_of_text|>', true),
      addedToken(l3n + 2, '<|eot_id|>', true), addedToken(l3n + 3, '<|reserved_special_token_0|>', true)],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: LLAMA3_REGEX }, 'Isolated'), byteLevel(false, false)] },
    post_processor: { type: 'Sequence', processors: [byteLevel(true, false), template('<|begin_of_text|>', l3n)] },
    decoder: byteLevel(true, true),
    model: bpeModel(l3Tokens, blMerges, { ignore_merges: true }),
  });
  variants.qwen2 = tokenizerJson({
    added_tokens: [addedToken(n, '<|endoftext|>', true), addedToken(n + 1, '<|im_start|>', true),
      addedToken(n + 2, '<|im_end|>', true), addedToken(n + 3, '<tool_call>', false, { normalized: false })],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: QWEN2_REGEX }, 'Isolated'), byteLevel(false, false)] },
    post_processor: byteLevel(false, false),
    decoder: byteLevel(false, false),
    model: bpeModel(blTokens, blMerges),
  });
  // Hand-written: Whitespace + Digits before a prefix-adding ByteLevel, NFKC, added tokens with strip flags.
  variants.bytelevel_mix = tokenizerJson({
    added_tokens: [addedToken(n, '<|endoftext|>', true, { lstrip: true, rstrip: true }),
      addedToken(n + 1, ' world', false), addedToken(n + 2, 'ing', false, { single_word: true })],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: false },
      byteLevel(true, false)] },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', n], cls: ['<|endoftext|>', n],
      trim_offsets: true, add_prefix_space: true },
    decoder: byteLevel(true, true),
    model: bpeModel(blTokens, blMerges),
  });

  // ----- Metaspace BPE with byte fallback (Llama ids) -----
  const ms = truncate(train(hf.metaspacePreTokenizer()), METASPACE_VOCAB);
  const bytes = [];
  for (let b = 0; b < 256; b++) bytes.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const msTokens = ['<unk>', '<s>', '</s>'].concat(bytes, ms.tokens);
  const msMergesStrings = ms.merges.map(([a, b]) => `${a} ${b}`);
  const llamaAdded = [addedToken(0, '<unk>', true), addedToken(1, '<s>', true), addedToken(2, '</s>', true)];
  const fallback = { unk_token: '<unk>', fuse_unk: true, byte_fallback: true };

  variants.llama2 = tokenizerJson({
    added_tokens: llamaAdded,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' },
      { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    post_processor: template('<s>', 1),
    decoder: llamaDecoder,
    model: bpeModel(msTokens, msMergesStrings, fallback),
  });
  const m = msTokens.length;
  variants.mistral = tokenizerJson({
    added_tokens: llamaAdded.concat([addedToken(m, '[INST]', true), addedToken(m + 1, '[/INST]', true)]),
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: template('<s>', 1),
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    model: bpeModel(msTokens.concat(['[INST]', '[/INST]']), ms.merges, fallback),
  });
  // Older SentencePiece conversions: Metaspace splitting at every space (legacy add_prefix_space form).
  variants.metaspace_split = tokenizerJson({
    added_tokens: llamaAdded,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true },
    post_processor: template('<s>', 1),
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' },
      { type: 'Metaspace', replacement: '▁', add_prefix_space: true }] },
    model: bpeModel(msTokens, ms.merges, fallback),
  });
  // Hand-written: NFKC + Lowercase + Strip + regex Replace; Digits, Punctuation, Metaspace(always, split).
  variants.metaspace_mix = tokenizerJson({
    added_tokens: llamaAdded.concat([addedToken(m, '<mask>', true, { lstrip: true, rstrip: true }),
      addedToken(m + 1, 'brown', false, { single_word: true }), addedToken(m + 2, 'ship', false, { normalized: false })]),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' },
      { type: 'Strip', strip_left: true, strip_right: true },
      { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true },
      { type: 'Punctuation', behavior: 'Isolated' },
      { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }] },
    post_processor: { type: 'BertProcessing', sep: ['</s>', 2], cls: ['<s>', 1] },
    decoder: llamaDecoder,
    model: bpeModel(msTokens.concat(['<mask>', 'brown', 'ship']), ms.merges, fallback),
  });
  // Hand-written: NFD, Split with every behavior and invert, unk without byte fallback, no fuse.
  variants.split_mix = tokenizerJson({
    added_tokens: llamaAdded,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      split({ String: '▁' }, 'MergedWithNext'),
      split({ String: '-' }, 'MergedWithPrevious'),
      split({ Regex: '\\d+' }, 'MergedWithNext'),
      split({ Regex: '[,;.]' }, 'Contiguous'),
      split({ Regex: 'x' }, 'Removed'),
      split({ Regex: '[A-Z]' }, 'MergedWithNext', true),
      split({ Regex: '[aeiou]+' }, 'MergedWithPrevious', true)] },
    post_processor: { type: 'Sequence', processors: [template('<s>', 1)] },
    // Strip per token before Fuse: HF's Strip panics on an empty string when stop > 0.
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { Regex: '▁+' }, content: ' ' },
      { type: 'Strip', content: ' ', start: 0, stop: 1 }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: bpeModel(msTokens, ms.merges, { unk_token: '<unk>', fuse_unk: false, byte_fallback: false }),
  });
  // Hand-written: Metaspace(never) + WhitespaceSplit, fused unk, no decoder (tokens joined by spaces).
  variants.unk_nodecoder = tokenizerJson({
    added_tokens: llamaAdded,
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
      { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true }] },
    model: bpeModel(msTokens, ms.merges, { unk_token: '<unk>', fuse_unk: true, byte_fallback: false }),
  });
  // Hand-written tiny model: continuing_subword_prefix + end_of_word_suffix, BPEDecoder.
  const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
  const sub = ['[UNK]'];
  for (const l of letters) sub.push(l, `##${l}`, `${l}</w>`, `##${l}</w>`);
  const subMerges = [['t', '##h'], ['th', '##e</w>'], ['##i', '##n'], ['##in', '##g</w>'], ['a', '##n'],
    ['an', '##d</w>'], ['o', '##f</w>'], ['##e', '##r'], ['##er', '##s</w>']];
  for (const [a, b] of subMerges) sub.push(a + b.slice(2));
  variants.subword = tokenizerJson({
    added_tokens: [addedToken(0, '[UNK]', true)],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '##' }, content: '' },
      { type: 'BPEDecoder', suffix: '</w>' }] },
    model: bpeModel(sub, subMerges, { unk_token: '[UNK]', fuse_unk: false,
      continuing_subword_prefix: '##', end_of_word_suffix: '</w>' }),
  });
  return variants;
}

// ---------- test corpus ----------

function testCorpus() {
  const long = [];
  for (let i = 0; i < 40; i++) {
    long.push(`Line ${i}: The licensor grants you ${i * 37} rights, café ${'ab'.repeat(i % 5)}  \t東京 😀 `);
  }
  return [
    '',
    ' ',
    '  ',
    'Hello world',
    'Hello world!',
    ' Hello world',
    'hello   world',
    'The quick brown fox jumps over the lazy dog.',
    "I'm sure you'd agree they've done it; it's theirs. IT'S OK, WE'LL SEE. It'ſ odd.",
    'Licensed under the Apache License, Version 2.0 (the "License");',
    'public static void main(String[] args) {\n    return x + 1;\n}',
    'def f(x):\n\treturn x**2  # square\n\n\n',
    '\t\tindented\ttabs\t',
    'a  b   c    d     e',
    'line1\nline2\r\nline3\rline4\n\n',
    '   leading and trailing spaces   ',
    '\n',
    'Numbers: 0 12 345 6789 12345678 3.14159 1,000,000 -17 ²³ ½ ٣',
    'Café crème brûlée naïve résumé',
    'Cafe\u0301 cre\u0300me bru\u0302le\u0301e nai\u0308ve',
    'Ｆｕｌｌｗｉｄｔｈ ＡＢＣ ﬁ ligature ℌ',
    '東京は日本の首都です。今日はいい天気ですね。',
    '我喜欢学习中文。你好，世界！',
    'مرحبا بالعالم، كيف حالك؟',
    'Москва — столица России.',
    'ΣΊΣΥΦΟΣ Straße İstanbul',
    'Emoji: 😀 👍🏽 👩‍💻 👨‍👩‍👧‍👦 🇫🇷 ❤️',
    'special <s> inside </s> text <unk>',
    '<s>starts with bos',
    'end with eos</s>',
    '<|endoftext|>Hello<|endoftext|> world <|endoftext|>',
    '<|begin_of_text|><|eot_id|> x <|reserved_special_token_0|>',
    '<|im_start|>user\nWhat is this?<|im_end|>\n<|im_start|>assistant\n<tool_call>',
    '[INST] Describe the image. [/INST] A cat.',
    'a <mask> b<mask>c  <mask>  d',
    'brown brownie the brown-fox shipping ship',
    'hello world helloworld sing singing ing',
    'the thing and others of those',
    'well-known state-of-the-art e-mail',
    'A1B2C3 abc123def 42nd',
    'semi;colon, comma. period... ,,;;',
    'MixedCASE WordsHere ABC abc',
    'Spaces\u00a0non\u2003breaking\u3000ideographic',
    'zero\u200bwidth\u200djoiner',
    'x',
    '\u00e9',
    '🎉',
    '!!!???...',
    'https://example.com/path?q=1&r=2#frag',
    '<0x41> <unk> ▁ ▁▁x',
    long.join(''),
  ].concat(randomStrings());
}

// Random strings from a pool of tricky fragments (seeded: the fixtures are reproducible).
function randomStrings() {
  const pool = ['a', 'b', 'e', 's', 't', 'T', ' ', '  ', '\t', '\n', '\r\n', 'é', 'e\u0301', 'ß', 'İ', 'Σ', '中', '文',
    '😀', '👍🏽', '\u200d', '0', '7', '42', '٣', '½', '.', ',', '-', "'", "'s", "'S", '<s>', '</s>', '<', '>', '|',
    '<|endoftext|>', '<mask>', '[INST]', '▁', 'ſ', 'ﬁ', 'Ａ', '\u00a0', '\u3000', 'ing', 'brown', 'ship', ' world',
    '<0x41>', 'x', 'the', 'The', ' the'];
  const random = rng(12345);
  const out = [];
  for (let i = 0; i < 40; i++) {
    const n = 1 + Math.floor(random() * 14);
    let s = '';
    for (let j = 0; j < n; j++) s += pool[Math.floor(random() * pool.length)];
    out.push(s);
  }
  return out;
}

// Deterministic PRNG (mulberry32) for the random decode cases.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function record(name, json) {
  const text = JSON.stringify(json);
  const tok = hf.Tokenizer.fromString(text);
  fs.writeFileSync(path.join(OUT, `${name}.tokenizer.json`), text);
  const lines = [];
  const vocabSize = tok.getVocabSize(true);
  lines.push(JSON.stringify({ vocab_size: vocabSize }));
  for (const s of testCorpus()) {
    const plain = await tok.encode(s, null, { addSpecialTokens: false });
    const special = await tok.encode(s, null, { addSpecialTokens: true });
    const ids = plain.getIds();
    const idsSpecial = special.getIds();
    lines.push(JSON.stringify({
      text: s, ids, ids_special: idsSpecial,
      decoded: await tok.decode(idsSpecial, false),
      decoded_skip: await tok.decode(idsSpecial, true),
    }));
  }
  const random = rng(name.length * 7919 + 17);
  for (let i = 0; i < 40; i++) {
    const len = 1 + Math.floor(random() * 8);
    const ids = [];
    for (let j = 0; j < len; j++) ids.push(Math.floor(random() * vocabSize));
    lines.push(JSON.stringify({ decode_ids: ids, decoded: await tok.decode(ids, false),
      decoded_skip: await tok.decode(ids, true) }));
  }
  fs.writeFileSync(path.join(OUT, `${name}.expected.jsonl`), lines.join('\n') + '\n');
  return lines.length;
}

// The real split regexes, run alone: HF's pieces for each test string (checks the Oniguruma translation).
function recordRegexSplits() {
  const extra = ["'S 'T 'Re 'VE 'LL 'D 'M", "it'ſ 'K", 'x  \n  y \n\n\tz   ', 'a\u00a0b\u2003c\u000bd\u0085e',
    '123456789 12.5', '٣٤٥ ²³ ⅷ', '  leading', 'trailing  ', 'tab\t\tsep', "don't won't y'all", '\r\n\r\n x'];
  const patterns = { gpt2: GPT2_REGEX, llama3: LLAMA3_REGEX, qwen2: QWEN2_REGEX, o200k: O200K_REGEX,
    cl100k_possessive: CL100K_POSSESSIVE_REGEX };
  const lines = [JSON.stringify({ patterns })];
  for (const [name, regex] of Object.entries(patterns)) {
    const tok = hf.Tokenizer.fromString(JSON.stringify(tokenizerJson({
      pre_tokenizer: split({ Regex: regex }, 'Isolated'), model: bpeModel(['a'], []) })));
    const pre = tok.getPreTokenizer();
    for (const s of testCorpus().concat(extra)) {
      lines.push(JSON.stringify({ regex: name, text: s, pieces: pre.preTokenizeString(s).map(p => p[0]) }));
    }
  }
  fs.writeFileSync(path.join(OUT, 'regex_splits.jsonl'), lines.join('\n') + '\n');
  return lines.length;
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const variants = buildVariants();
  for (const [name, json] of Object.entries(variants)) {
    const count = await record(name, json);
    console.log(`${name}: ${count} lines`);
  }
  console.log(`regex_splits: ${recordRegexSplits()} lines`);
}

main().catch(e => { console.error(e); process.exit(1); });
