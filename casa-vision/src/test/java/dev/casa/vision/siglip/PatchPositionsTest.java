package dev.casa.vision.siglip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * Position ids against torch 1.13 (the fixtures' version) running HF v4.51.3's
 * {@code Idefics3VisionEmbeddings} arithmetic:
 * <pre>
 * boundaries = torch.arange(1 / N, 1.0, 1 / N)
 * fh = torch.arange(0, 1 - 1e-6, 1 / nb_patches_h)   # nb_patches_h a 0-dim int64 tensor
 * bh = torch.bucketize(fh, boundaries, right=True)   # same for w
 * ids = (bh[:, None] * N + bw).flatten()
 * </pre>
 * The expected lists are torch's printed output, pasted.
 */
class PatchPositionsTest {

    @Test
    void smallGridsMatchTorch() {
        assertArrayEquals(new int[] {0, 1, 3, 4, 6, 16, 17, 19, 20, 22, 40, 41, 43, 44, 46}, PatchPositions.bucketed(3, 5, 8));
        assertArrayEquals(new int[] {0, 4, 8, 12, 16, 20, 24, 116, 120, 124, 128, 132, 136, 140, 232, 236, 240, 244, 248,
                252, 256, 348, 352, 356, 360, 364, 368, 372, 464, 468, 472, 476, 480, 484, 488, 580, 584, 588, 592, 596, 600,
                604, 696, 700, 704, 708, 712, 716, 720}, PatchPositions.bucketed(7, 7, 29));
        assertArrayEquals(PatchPositions.plain(4), PatchPositions.bucketed(4, 4, 4));
    }

    /** Full-size grids whose float32 coordinates repeat a bucket in torch: not the identity. */
    @Test
    void fullGridsThatAreNotTheIdentity() {
        int[] b19 = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 13, 14, 15, 16, 17, 18};
        int[] b25 = {0, 1, 2, 3, 4, 4, 6, 7, 8, 8, 9, 10, 11, 12, 14, 14, 16, 17, 17, 19, 19, 21, 22, 22, 24};
        assertArrayEquals(grid(b19, 19), PatchPositions.bucketed(19, 19, 19));
        assertArrayEquals(grid(b25, 25), PatchPositions.bucketed(25, 25, 25));
    }

    /** SmolVLM (512/16 = 32) and the fixtures (64/8 = 8): exact reciprocals, the identity. */
    @Test
    void powersOfTwoAreTheIdentity() {
        assertArrayEquals(PatchPositions.plain(32), PatchPositions.bucketed(32, 32, 32));
        assertArrayEquals(PatchPositions.plain(8), PatchPositions.bucketed(8, 8, 8));
    }

    private static int[] grid(int[] buckets, int n) {
        int[] ids = new int[buckets.length * buckets.length];
        for (int r = 0; r < buckets.length; r++) {
            for (int c = 0; c < buckets.length; c++) ids[r * buckets.length + c] = buckets[r] * n + buckets[c];
        }
        return ids;
    }
}
