package dev.casa.peers;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.io.File;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * Greedy decode and prefill speed of Jlama 0.8.4 on a model directory (config.json, model.safetensors,
 * tokenizer.json), with the same protocol as casa-bench's QuantDecodeBench: decode {@code tokens} tokens after a
 * prompt of {@code context} (after {@code warmup} untimed steps), median step; prefill of {@code prompt} tokens, median
 * of {@code runs}. Prints one line: {@code JLAMA decode <tok/s> prefill <tok/s>}.
 *
 * <pre>JlamaDecode DIR WEIGHTS(F32|BF16|Q4) THREADS CONTEXT WARMUP TOKENS PROMPT RUNS</pre>
 */
public final class JlamaDecode {
    public static void main(String[] a) throws Exception {
        File dir = new File(a[0]);
        String weights = a[1];
        int threads = Integer.parseInt(a[2]), context = Integer.parseInt(a[3]), warmup = Integer.parseInt(a[4]);
        int tokens = Integer.parseInt(a[5]), prompt = Integer.parseInt(a[6]), runs = Integer.parseInt(a[7]);
        long t0 = System.nanoTime();
        if (weights.equals("Q4")) {
            // Jlama's Q4 path: its quantizer writes a Q4 copy of the model (as `jlama quantize` does), which then loads
            // as stored. (Quantizing BF16 weights at load leaves them BF16 in 0.8.4, and F32 x BF16 is unsupported.)
            File q4 = new File(dir.getParentFile(), dir.getName() + "-Q4");
            if (!new File(q4, "config.json").exists()) {
                SafeTensorSupport.quantizeModel(dir.toPath(), DType.Q4, new String[0], new String[0], Optional.of(q4.toPath()));
                System.out.printf("JLAMA quantized %s to %s in %.1f s%n", dir, q4, (System.nanoTime() - t0) / 1e9);
            }
            dir = q4;
            t0 = System.nanoTime();
        }
        Optional<DType> quantize = Optional.empty();
        File work = new File(dir, "jlama-work");
        work.mkdirs();
        DType working = DType.valueOf(System.getProperty("jlama.working", "F32"));
        AbstractModel m = ModelSupport.loadModel(dir, work, working, DType.I8, quantize, Optional.of(threads));
        System.out.printf("JLAMA loaded %s (%s) in %.1f s%n", dir, weights, (System.nanoTime() - t0) / 1e9);
        int vocab = m.getConfig().vocabularySize;
        KvBufferCache cache = new KvBufferCache(m);
        try (AbstractTensor logits = m.makeDenseTensor(vocab)) {
            KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
            int[] ids = ids(context, vocab);
            AbstractTensor last = m.batchForward(ids, 0, kv);
            int next = m.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            last.close();
            double[] s = new double[tokens];
            for (int i = -warmup, pos = context; i < tokens; i++, pos++) {
                long t = System.nanoTime();
                AbstractTensor out = m.forward(next, pos, kv, Optional.empty());
                next = m.sample(out, 0f, 0f, logits);
                out.close();
                if (i >= 0) s[i] = (System.nanoTime() - t) / 1e9;
            }
            double decode = 1 / median(s);
            double[] p = new double[runs];
            int[] promptIds = ids(prompt, vocab);
            for (int r = -1; r < runs; r++) {
                KvBufferCache.KvBuffer fresh = cache.getKvBuffer(UUID.randomUUID());
                long t = System.nanoTime();
                AbstractTensor out = m.batchForward(promptIds, 0, fresh);
                m.sample(out.slice(out.shape().first() - 1), 0f, 0f, logits);
                out.close();
                if (r >= 0) p[r] = (System.nanoTime() - t) / 1e9;
                fresh.close();
            }
            System.out.printf("JLAMA decode %.4f prefill %.4f%n", decode, prompt / median(p));
        }
        System.exit(0);   // Jlama's worker pools are not daemon threads
    }

    /** The same pseudo-random ids as QuantDecodeBench. */
    static int[] ids(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 3 + (int) ((i * 2654435761L) % (vocab - 3));
        return ids;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
