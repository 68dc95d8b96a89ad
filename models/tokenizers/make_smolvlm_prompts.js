// Oracle ids for the SmolVLM-256M-Instruct prompt test (casa-vlm SmolVLMRealFilesTest).
//
// The prompt texts are written here by hand from HF transformers v4.51.3's Idefics3Processor
// (_prompt_split_image: per tile "<fake_token_around_image><row_r_col_c>" + "<image>" x image_seq_len, "\n" after
// each row, then "\n<fake_token_around_image><global-img>" + "<image>" x image_seq_len + "<fake_token_around_image>")
// and the model's chat_template.json, with image_seq_len 64 (processor_config.json) and the tile grids of
// Idefics3ImageProcessor for a 1920x1080 image (2048x1152 -> 2048x1536: 3 rows x 4 cols) and a 300x800 image
// (768x2048 -> 1024x2048: 4 rows x 2 cols). They are encoded by HF `tokenizers` (Rust) through the npm package
// @anush008/tokenizers with add_special_tokens=true, as the processor's tokenizer call does.
//
// Run:  cd models/tokenizers && npm ci && node make_smolvlm_prompts.js ../../../shared/fixtures/real/smolvlm-256m-instruct
// Output: casa-vlm/src/test/resources/smolvlm/real-prompts.expected.json (texts and ids; the tokenizer is not copied)
'use strict';
const fs = require('fs');
const path = require('path');
const hf = require('@anush008/tokenizers');

const dir = process.argv[2] || path.join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'real', 'smolvlm-256m-instruct');
const OUT = path.join(__dirname, '..', '..', 'casa-vlm', 'src', 'test', 'resources', 'smolvlm', 'real-prompts.expected.json');

const SEQ = 64;
const FAKE = '<fake_token_around_image>';
const run = '<image>'.repeat(SEQ);

function split(rows, cols) {
  let s = '';
  for (let r = 1; r <= rows; r++) {
    for (let c = 1; c <= cols; c++) s += FAKE + `<row_${r}_col_${c}>` + run;
    s += '\n';
  }
  return s + '\n' + FAKE + '<global-img>' + run + FAKE;
}

const cases = [
  {
    name: 'one_image',
    text: '<|im_start|>User:' + split(3, 4) + 'Can you describe this image?<end_of_utterance>\nAssistant:',
  },
  {
    name: 'two_images',
    text: '<|im_start|>User:' + split(3, 4) + 'What is in this picture?<end_of_utterance>\n'
      + 'Assistant: A red bicycle leaning on a wall.<end_of_utterance>\n'
      + 'User: And in this one?' + split(4, 2) + '<end_of_utterance>\nAssistant:',
  },
];

(async () => {
  const tok = hf.Tokenizer.fromString(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  const out = {
    provenance: 'ids from HF tokenizers (Rust) via npm @anush008/tokenizers 0.6.0 on SmolVLM-256M-Instruct\'s tokenizer.json '
      + '(add_special_tokens=true); texts written by hand from transformers v4.51.3 Idefics3Processor and the model\'s '
      + 'chat_template.json; made by models/tokenizers/make_smolvlm_prompts.js',
    cases: [],
  };
  for (const c of cases) {
    const enc = await tok.encode(c.text, null, { addSpecialTokens: true });
    out.cases.push({ name: c.name, text: c.text, ids: enc.getIds() });
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(out) + '\n');
  console.log('wrote', OUT, out.cases.map(c => c.name + ':' + c.ids.length).join(' '));
})();
