package dev.casa.text.casa;

import dev.casa.text.lm.ImageInput;
import java.util.ArrayList;
import java.util.List;

/**
 * The CASA window steps of one call (model-format.md §4.2, §4.4), planned once from the current window
 * and the call's insertion points, and replayed by every CASA layer.
 *
 * <p>An image opens a new window when the current one has text (or is window −1), dropping the old
 * one; with no text since the last image it joins the current window. Text appends to the current
 * window. Row numbers refer to the window buffer: image keys first, then text keys.
 */
public final class WindowPlan {

    /**
     * An image step ({@code image >= 0}: its index in the call, keys written from {@code keyRow}, rotated
     * relative to the window start {@code start}) or a text step (call rows {@code [from, to)} appended at
     * {@code keyRow}, attending over {@code imageKeys} image keys and {@code textBefore} earlier text keys).
     */
    record Step(int image, int from, int to, int keyRow, int imageKeys, int textBefore, int start) {
        boolean isImage() { return image >= 0; }
    }

    final List<Step> steps = new ArrayList<>();
    /** The current window after the call. */
    int start, images, imageKeys, textKeys;
    /** Buffer rows the call needs at most, and the largest image. */
    int peakRows, maxImageTokens;
    /** Per image of the call: its first cos/sin row in the state's image-key tables, or −1 (not rotated). */
    int[] ropeRow = new int[0];

    /**
     * @param firstPosition text position of the call's first row (the window start of an image inserted
     *                      before row j is {@code firstPosition + j})
     */
    static WindowPlan plan(CasaWindowState s, int rows, List<ImageInput> call, int firstPosition) {
        WindowPlan p = new WindowPlan();
        p.start = s.start;
        p.images = s.images;
        p.imageKeys = s.imageKeys;
        p.textKeys = s.textKeys;
        p.peakRows = p.imageKeys + p.textKeys;
        int done = 0;
        for (int m = 0; m <= call.size(); m++) {
            int until = m < call.size() ? call.get(m).insertAt() : rows;
            if (until > done) {
                p.steps.add(new Step(-1, done, until, p.imageKeys + p.textKeys, p.imageKeys, p.textKeys, p.start));
                p.textKeys += until - done;
                done = until;
                p.peakRows = Math.max(p.peakRows, p.imageKeys + p.textKeys);
            }
            if (m == call.size()) break;
            int n = call.get(m).numTokens();
            if (p.textKeys > 0 || p.images == 0) {
                p.start = firstPosition + done;
                p.images = 0;
                p.imageKeys = 0;
                p.textKeys = 0;
            }
            p.steps.add(new Step(m, 0, 0, p.imageKeys, 0, 0, p.start));
            p.images++;
            p.imageKeys += n;
            p.maxImageTokens = Math.max(p.maxImageTokens, n);
            p.peakRows = Math.max(p.peakRows, p.imageKeys + p.textKeys);
        }
        return p;
    }

    /** Records the window after the call in the state. */
    void commit(CasaWindowState s) {
        s.start = start;
        s.images = images;
        s.imageKeys = imageKeys;
        s.textKeys = textKeys;
    }
}
