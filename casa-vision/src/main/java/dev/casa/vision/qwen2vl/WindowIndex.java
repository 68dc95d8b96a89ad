package dev.casa.vision.qwen2vl;

import java.util.Arrays;
import java.util.List;

/**
 * The token order and attention segments of one forward over the concatenated patches of some
 * images (HF {@code get_window_index}, {@code rot_pos_emb} and {@code cu_seqlens}).
 *
 * <p>Patches come in HF's order: per image, per frame, merge units (2×2 patches for merge size 2)
 * row-major over the {@code h/m × w/m} unit grid, the {@code m²} patches of a unit consecutive. Qwen2.5-VL
 * regroups merge units into windows of {@code windowUnits × windowUnits} units (windows row-major per
 * frame, units row-major within a window; windows at the right and bottom edges are cut short where
 * the unit grid does not divide), so that each window is a contiguous run of rows; the tower runs in
 * that order and the merger's output is put back with {@link #inverse}. Qwen2-VL has no windows
 * ({@code windowUnits = 0}): the order is the identity.
 *
 * <ul>
 *   <li>{@link #unitOrder}: HF {@code window_index}: row-block {@code p} of the window order holds merge unit
 *       {@code unitOrder[p]} of the concatenated input;</li>
 *   <li>{@link #inverse}: HF {@code reverse_indices = argsort(window_index)};</li>
 *   <li>{@link #cuWindowSeqlens}: patch boundaries of the windows (HF {@code cu_window_seqlens} after
 *       {@code unique_consecutive}: no empty windows);</li>
 *   <li>{@link #cuSeqlens}: patch boundaries of every image frame (HF {@code cu_seqlens}), the same in
 *       either order since windows never cross frames;</li>
 *   <li>{@link #positions}: the (row, column) patch position of every row of the window order, the
 *       input of the 2-D rotary.</li>
 * </ul>
 */
public final class WindowIndex {
    private final int mergeSize;
    private final int patches;
    private final int[] unitOrder;
    private final int[] inverse;
    private final int[] cuWindowSeqlens;
    private final int[] cuSeqlens;
    private final int[] positions;

    private WindowIndex(int mergeSize, int patches, int[] unitOrder, int[] inverse, int[] cuWindowSeqlens,
                        int[] cuSeqlens, int[] positions) {
        this.mergeSize = mergeSize;
        this.patches = patches;
        this.unitOrder = unitOrder;
        this.inverse = inverse;
        this.cuWindowSeqlens = cuWindowSeqlens;
        this.cuSeqlens = cuSeqlens;
        this.positions = positions;
    }

    /**
     * The order for {@code grids} (images in input order). {@code windowUnits} is the window side in
     * merge units ({@link Qwen2VisionConfig#windowUnits}), 0 for no windows. Each grid's h and w must
     * be multiples of {@code spatialMergeSize} (an IllegalArgumentException naming the image otherwise).
     */
    public static WindowIndex of(List<GridThw> grids, int spatialMergeSize, int windowUnits) {
        if (spatialMergeSize < 1) throw new IllegalArgumentException("spatial_merge_size must be positive, got " + spatialMergeSize);
        if (windowUnits < 0) throw new IllegalArgumentException("window size must be >= 0, got " + windowUnits);
        int m = spatialMergeSize, mu = m * m;
        long total = 0, frames = 0;
        for (int i = 0; i < grids.size(); i++) {
            GridThw g = grids.get(i);
            if (g.h() % m != 0 || g.w() % m != 0) {
                throw new IllegalArgumentException("image " + i + ": grid " + g + ": h and w must be multiples of"
                        + " spatial_merge_size=" + m);
            }
            total += g.patches();
            frames += g.t();
        }
        if (total > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("too many patches: " + total);
        int patches = (int) total, units = patches / mu;

        // top-left patch (row, col) of every merge unit of the input order; frame boundaries
        int[] unitRow = new int[units], unitCol = new int[units];
        int[] cuSeqlens = new int[(int) frames + 1];
        int u = 0, f = 0;
        for (GridThw g : grids) {
            int uh = g.h() / m, uw = g.w() / m;
            for (int t = 0; t < g.t(); t++) {
                for (int bh = 0; bh < uh; bh++) {
                    for (int bw = 0; bw < uw; bw++, u++) {
                        unitRow[u] = bh * m;
                        unitCol[u] = bw * m;
                    }
                }
                cuSeqlens[f + 1] = cuSeqlens[f] + g.h() * g.w();
                f++;
            }
        }

        int[] order = new int[units];
        int[] cuWindows;
        if (windowUnits == 0) {
            for (int i = 0; i < units; i++) order[i] = i;
            cuWindows = cuSeqlens.clone();
        } else {
            int ws = windowUnits;
            int[] cu = new int[units + 1];   // at most one window per unit
            int windows = 0, p = 0, base = 0;
            for (GridThw g : grids) {
                int uh = g.h() / m, uw = g.w() / m;
                int nh = (uh + ws - 1) / ws, nw = (uw + ws - 1) / ws;
                for (int t = 0; t < g.t(); t++) {
                    int frameBase = base + t * uh * uw;
                    for (int wh = 0; wh < nh; wh++) {
                        for (int ww = 0; ww < nw; ww++) {
                            int r1 = Math.min(uh, (wh + 1) * ws), c1 = Math.min(uw, (ww + 1) * ws);
                            for (int r = wh * ws; r < r1; r++) {
                                for (int c = ww * ws; c < c1; c++) order[p++] = frameBase + r * uw + c;
                            }
                            cu[windows + 1] = p * mu;
                            windows++;
                        }
                    }
                }
                base += g.t() * uh * uw;
            }
            cuWindows = Arrays.copyOf(cu, windows + 1);
        }

        int[] inverse = new int[units];
        for (int p = 0; p < units; p++) inverse[order[p]] = p;
        int[] positions = new int[2 * patches];
        for (int p = 0; p < units; p++) {
            int src = order[p];
            for (int s = 0; s < mu; s++) {
                int row = p * mu + s;
                positions[2 * row] = unitRow[src] + s / m;
                positions[2 * row + 1] = unitCol[src] + s % m;
            }
        }
        return new WindowIndex(m, patches, order, inverse, cuWindows, cuSeqlens, positions);
    }

    /** Patch rows in all. */
    public int patches() { return patches; }

    /** Merge units (merged tokens) in all. */
    public int units() { return unitOrder.length; }

    public int spatialMergeSize() { return mergeSize; }

    /** Whether the window order is the input order. */
    public boolean isIdentity() {
        for (int p = 0; p < unitOrder.length; p++) if (unitOrder[p] != p) return false;
        return true;
    }

    /** HF {@code window_index} (a copy). */
    public int[] unitOrder() { return unitOrder.clone(); }

    /** HF {@code reverse_indices} (a copy). */
    public int[] inverse() { return inverse.clone(); }

    /** HF {@code cu_window_seqlens}, without repeated boundaries (a copy). */
    public int[] cuWindowSeqlens() { return cuWindowSeqlens.clone(); }

    /** HF {@code cu_seqlens}: one segment per image frame (a copy). */
    public int[] cuSeqlens() { return cuSeqlens.clone(); }

    /** {@code [row, col]} pairs, one per patch row of the window order (a copy). */
    public int[] positions() { return positions.clone(); }

    /** Merge unit of the input order at row-block {@code p} of the window order. */
    int unitAt(int p) { return unitOrder[p]; }

    int[] positionsView() { return positions; }

    int[] cuWindowSeqlensView() { return cuWindowSeqlens; }

    int[] cuSeqlensView() { return cuSeqlens; }
}
