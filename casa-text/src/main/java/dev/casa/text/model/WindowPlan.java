package dev.casa.text.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The CASA window steps of one call (model-format.md §4.2, §4.4), planned once from the state's
 * current window and the call's insertion points, and replayed by every CASA layer.
 *
 * <p>An image opens a new window when the current one has text (or is window −1), dropping the
 * old one; with no text since the last image it joins the current window. Text appends to the
 * current window. Row numbers refer to the window buffer: image keys first, then text keys.
 */
final class WindowPlan {

    /**
     * An image step ({@code image >= 0}: its index in the call, keys written from {@code keyRow},
     * rotated at {@code ropePosition}) or a text step (chunk rows {@code [from, to)} appended at
     * {@code keyRow}, attending over {@code imageKeys} image keys and {@code textBefore} earlier text keys).
     */
    record Step(int image, int from, int to, int keyRow, int imageKeys, int textBefore, int ropePosition) {
        boolean isImage() { return image >= 0; }
    }

    final List<Step> steps = new ArrayList<>();
    /** The current window after the call. */
    int start, images, imageKeys, textKeys;
    /** Buffer rows the call needs at most, and the largest image / image-key counts. */
    int peakRows, peakImageKeys, maxImageTokens;

    static WindowPlan plan(DecoderState s, int rows, List<ImageInput> call) {
        WindowPlan p = new WindowPlan();
        p.start = s.windowStart;
        p.images = s.windowImages;
        p.imageKeys = s.windowImageKeys;
        p.textKeys = s.windowTextKeys;
        p.peakRows = p.imageKeys + p.textKeys;
        p.peakImageKeys = p.imageKeys;
        int done = 0;
        for (int m = 0; m <= call.size(); m++) {
            int until = m < call.size() ? call.get(m).insertAt() : rows;
            if (until > done) {
                p.steps.add(new Step(-1, done, until, p.imageKeys + p.textKeys, p.imageKeys, p.textKeys, 0));
                p.textKeys += until - done;
                done = until;
                p.peakRows = Math.max(p.peakRows, p.imageKeys + p.textKeys);
            }
            if (m == call.size()) break;
            int n = call.get(m).numTokens();
            if (p.textKeys > 0 || p.images == 0) {
                p.start = s.textTokens + done;
                p.images = 0;
                p.imageKeys = 0;
                p.textKeys = 0;
            }
            p.steps.add(new Step(m, 0, 0, p.imageKeys, 0, 0, p.start));
            p.images++;
            p.imageKeys += n;
            p.maxImageTokens = Math.max(p.maxImageTokens, n);
            p.peakImageKeys = Math.max(p.peakImageKeys, p.imageKeys);
            p.peakRows = Math.max(p.peakRows, p.imageKeys + p.textKeys);
        }
        return p;
    }

    /** Records the window after the call in the state. */
    void commit(DecoderState s) {
        s.windowStart = start;
        s.windowImages = images;
        s.windowImageKeys = imageKeys;
        s.windowTextKeys = textKeys;
    }
}
