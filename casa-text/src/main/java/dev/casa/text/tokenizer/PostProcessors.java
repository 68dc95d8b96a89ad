package dev.casa.text.tokenizer;

import java.util.List;

/** The post-processors of HF tokenizers this library supports (for one sequence). */
final class PostProcessors {
    private PostProcessors() {}

    /** TemplateProcessing's "single" template, flattened: special ids, with the sequence at {@code -1}. */
    record Template(int[] before, int[] after) implements PostProcessor {
        @Override public int[] process(int[] ids) { return concat(before, ids, after); }
    }

    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        @Override public int[] process(int[] ids) {
            for (PostProcessor p : steps) ids = p.process(ids);
            return ids;
        }
    }

    /** ByteLevel only trims offsets: ids are unchanged. */
    record Identity() implements PostProcessor {
        @Override public int[] process(int[] ids) { return ids; }
    }

    static int[] concat(int[] a, int[] b, int[] c) {
        int[] out = new int[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }
}
