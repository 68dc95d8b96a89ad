package dev.casa.bench.casaqwen;

import dev.casa.vision.image.RgbImage;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Deterministic video frames: a circle, a square and a triangle moving over a grey background, frame
 * {@code i} a pure function of {@code i} (the stream is the same in every run and for both fusions).
 */
final class SyntheticFrames {
    private final int width, height;

    SyntheticFrames(int width, int height) {
        this.width = width;
        this.height = height;
    }

    RgbImage frame(int i) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(128, 128, 128));
        g.fillRect(0, 0, width, height);
        int s = Math.min(width, height) / 6;
        // circle: left to right and back; square: along the diagonal; triangle: a slow orbit
        int cx = bounce(i * 7, width - s), cy = height / 4;
        g.setColor(new Color(128, 0, 160));
        g.fillOval(cx, cy, s, s);
        int q = bounce(i * 5, Math.min(width, height) - s);
        g.setColor(new Color(240, 130, 20));
        g.fillRect(q, q, s, s);
        double a = i * 0.05;
        int tx = (int) (width / 2 + width / 3.0 * Math.cos(a)), ty = (int) (height / 2 + height / 3.0 * Math.sin(a));
        g.setColor(new Color(30, 170, 60));
        g.fillPolygon(new Polygon(new int[] {tx, tx - s / 2, tx + s / 2}, new int[] {ty - s / 2, ty + s / 2, ty + s / 2}, 3));
        g.dispose();
        return RgbImage.of(img);
    }

    /** 0 → max → 0 → ... */
    private static int bounce(int t, int max) {
        if (max <= 0) return 0;
        int period = 2 * max, p = Math.floorMod(t, period);
        return p <= max ? p : period - p;
    }
}
