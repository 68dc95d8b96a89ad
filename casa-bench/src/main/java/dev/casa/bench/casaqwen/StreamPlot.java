package dev.casa.bench.casaqwen;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Six line charts over frames, CASA vs insertion, as a PNG: wall time per frame, time to first token, decode
 * speed, CPU-seconds per frame (what a frame costs whatever share of the cores it got), KV cache, RSS.
 */
final class StreamPlot {
    private static final int PANEL_W = 500, PANEL_H = 340, TOP = 40;
    private static final Color CASA = new Color(0x1f77b4), INSERTION = new Color(0xff7f0e);

    private StreamPlot() {}

    static void write(Path png, List<FrameRecord> records, String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(3 * PANEL_W, 2 * PANEL_H + TOP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("CASA vs insertion, one session over a video stream (" + subtitle + ")", 20, 26);
        panel(g, 0, TOP, records, "time per frame (s)", r -> r.frameMs() / 1e3);
        panel(g, PANEL_W, TOP, records, "time to first token (s)", r -> r.ttftMs() / 1e3);
        panel(g, 2 * PANEL_W, TOP, records, "decode (tokens/s)", FrameRecord::decodeTokPerS);
        panel(g, 0, TOP + PANEL_H, records, "CPU-seconds per frame (all threads)", r -> r.frameMs() * r.cores() / 1e3);
        panel(g, PANEL_W, TOP + PANEL_H, records, "KV cache used (MB, fp32)", r -> r.kvBytesUsed() / 1e6);
        panel(g, 2 * PANEL_W, TOP + PANEL_H, records, "RSS (GB; mapped weights included)", r -> r.rssBytes() / 1e9);
        g.dispose();
        if (png.getParent() != null) Files.createDirectories(png.getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    private static void panel(Graphics2D g, int x0, int y0, List<FrameRecord> records, String title, ToDoubleFunction<FrameRecord> y) {
        int left = x0 + 70, right = x0 + PANEL_W - 20, top = y0 + 30, bottom = y0 + PANEL_H - 50;
        double maxFrame = 1, maxY = 0;
        for (FrameRecord r : records) {
            maxFrame = Math.max(maxFrame, r.frame() + 1);
            double v = y.applyAsDouble(r);
            if (Double.isFinite(v)) maxY = Math.max(maxY, v);
        }
        maxY = niceCeiling(maxY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        g.setColor(new Color(0xdddddd));
        for (int i = 0; i <= 5; i++) {
            int py = bottom - (bottom - top) * i / 5;
            g.drawLine(left, py, right, py);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 5; i++) {
            int py = bottom - (bottom - top) * i / 5;
            String label = format(maxY * i / 5);
            g.drawString(label, left - 6 - fm.stringWidth(label), py + 4);
            int px = left + (right - left) * i / 5;
            String frame = String.valueOf(Math.round(maxFrame * i / 5));
            g.drawString(frame, px - fm.stringWidth(frame) / 2, bottom + 16);
        }
        g.drawString("frame", (left + right) / 2 - 15, bottom + 34);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, left, top - 10);
        line(g, records, "casa", CASA, left, right, top, bottom, maxFrame, maxY, y);
        line(g, records, "insertion", INSERTION, left, right, top, bottom, maxFrame, maxY, y);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        legend(g, CASA, "CASA", left + 10, top + 16);
        legend(g, INSERTION, "insertion (plain Qwen2.5-VL)", left + 10, top + 32);
    }

    private static void line(Graphics2D g, List<FrameRecord> records, String fusion, Color color, int left, int right,
                             int top, int bottom, double maxFrame, double maxY, ToDoubleFunction<FrameRecord> y) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        int px = -1, py = -1;
        for (FrameRecord r : records) {
            if (!r.fusion().equals(fusion)) continue;
            double v = y.applyAsDouble(r);
            if (!Double.isFinite(v)) continue;
            int x = left + (int) Math.round((right - left) * (r.frame() + 1) / maxFrame);
            int yy = bottom - (int) Math.round((bottom - top) * Math.min(1, v / maxY));
            if (px >= 0) g.drawLine(px, py, x, yy);
            else g.fillOval(x - 2, yy - 2, 4, 4);
            px = x;
            py = yy;
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void legend(Graphics2D g, Color c, String label, int x, int y) {
        g.setColor(c);
        g.fillRect(x, y - 8, 18, 4);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 24, y - 2);
    }

    private static double niceCeiling(double v) {
        if (!(v > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (m * p >= v) return m * p;
        return 10 * p;
    }

    private static String format(double v) {
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2g", v);
    }
}
